using Meshwork.DemoFleet;

// Usage (connection string from ConnectionStrings__Meshwork):
//   seed DIR          apply every DIR/*.yaml resource that does not exist yet (actor meshwork-up, source System)
//   token             revoke the previous demo-fleet token, issue a new one (24 h) and print its secret
var connectionString = Environment.GetEnvironmentVariable("ConnectionStrings__Meshwork");
if (string.IsNullOrWhiteSpace(connectionString) || !(args is ["seed", _] or ["token"]))
{
    await Console.Error.WriteLineAsync("usage: ConnectionStrings__Meshwork=... Meshwork.DemoFleet seed DIR | token");
    return 2;
}
return args[0] == "seed"
    ? await DemoSeeder.SeedAsync(connectionString, args[1])
    : await DemoToken.IssueAsync(connectionString);
