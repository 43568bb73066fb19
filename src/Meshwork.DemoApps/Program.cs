using Meshwork.DemoApps.Backend;
using Meshwork.DemoApps.Traffic;

// One binary, two roles: `backend` (default) is a demo service behind a sidecar; `traffic` drives
// steady requests through the mesh so the portal has live golden signals to show.
if (args.Length > 0 && args[0] == "traffic")
    return await TrafficGenerator.RunAsync(args[1..]);

await DemoBackend.RunAsync(args.Length > 0 && args[0] == "backend" ? args[1..] : args);
return 0;
