using Meshwork.DemoApps.Backend;
using Meshwork.DemoApps.Shop;
using Meshwork.DemoApps.Traffic;

// One binary, many roles: `backend` (default) is a plain echo service behind a sidecar; `frontend`,
// `catalog`, `pricing`, `reviews` and `ratings` are the demo shop's services; `traffic` drives
// steady requests at the shop (or any target) so the portal has live golden signals to show.
if (args.Length > 0 && args[0] == "traffic")
    return await TrafficGenerator.RunAsync(args[1..]);
if (args.Length > 0 && ShopApp.Roles.Contains(args[0]))
{
    await ShopApp.RunAsync(args[0], args[1..]);
    return 0;
}

await DemoBackend.RunAsync(args.Length > 0 && args[0] == "backend" ? args[1..] : args);
return 0;
