namespace Meshwork.Portal.Deployments;

/// <summary>
/// How to run one configured binary: a published folder (the framework-dependent dll inside, else the
/// apphost executable), a .dll (run by `dotnet`) or an executable. Resolved once at start, so a
/// wrong path fails the portal's start with the setting named rather than the first deploy.
/// </summary>
public sealed record BinaryCommand(string FileName, IReadOnlyList<string> PrefixArguments)
{
    public static BinaryCommand Resolve(string setting, string path, string assemblyName)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            var dll = Path.Combine(full, assemblyName + ".dll");
            if (File.Exists(dll)) return new("dotnet", [dll]);
            var executable = Path.Combine(full, assemblyName);
            if (File.Exists(executable)) return new(executable, []);
            throw new InvalidOperationException($"{setting}: the folder {full} holds neither {assemblyName}.dll nor {assemblyName}");
        }
        if (!File.Exists(full))
            throw new InvalidOperationException($"{setting}: {full} does not exist (a published {assemblyName} folder, its .dll or its executable)");
        return full.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? new("dotnet", [full]) : new(full, []);
    }

    /// <summary>The binary's folder: a process runs from there, as the launcher runs each from its published folder.</summary>
    public string WorkingDirectory => Path.GetDirectoryName(PrefixArguments.Count > 0 ? PrefixArguments[0] : FileName)!;

    /// <summary>The whole command line for these arguments.</summary>
    public IReadOnlyList<string> With(IEnumerable<string> arguments) => [FileName, .. PrefixArguments, .. arguments];
}
