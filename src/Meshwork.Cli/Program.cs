using Meshwork.Cli;

return await MeshctlApp.RunAsync(args, CliEnvironment.FromProcess());
