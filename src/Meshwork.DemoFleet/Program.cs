using Meshwork.DemoFleet;

// Usage (connection string from ConnectionStrings__Meshwork; the audit seal key, when set, from Audit__SealKey):
//   seed DIR          apply every DIR/*.yaml resource that does not exist yet (actor meshwork-up, source System)
//   token SERVICE     issue a bootstrap token for default/SERVICE (1 h, for one sidecar's join) and print its secret
var connectionString = Environment.GetEnvironmentVariable("ConnectionStrings__Meshwork");
if (string.IsNullOrWhiteSpace(connectionString) || !(args is ["seed", _] or ["token", _]))
{
    await Console.Error.WriteLineAsync("usage: ConnectionStrings__Meshwork=... Meshwork.DemoFleet seed DIR | token SERVICE");
    return 2;
}
return args[0] == "seed"
    ? await DemoSeeder.SeedAsync(connectionString, Environment.GetEnvironmentVariable("Audit__SealKey"), args[1])
    : await DemoToken.IssueAsync(connectionString, Environment.GetEnvironmentVariable("Audit__SealKey"), args[1]);
