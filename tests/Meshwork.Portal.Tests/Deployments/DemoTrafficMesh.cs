using System.Net.Http.Json;
using System.Text.Json;
using Meshwork.Portal.Deployments;
using Meshwork.Portal.Tests.Infrastructure;
using Meshwork.Testing.Processes;

namespace Meshwork.Portal.Tests.Deployments;

/// <summary>
/// The test portal beside the demo traffic generator as `./meshwork up` runs it: a real process with its
/// control endpoint, sending at 5 requests/s, evenly, to two real demo backends whose own counters say
/// what arrived.
/// </summary>
public sealed class DemoTrafficMesh : IAsyncLifetime
{
    private readonly HttpClient http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };
    private readonly int controlPort = FreePort.Next();
    private ChildProcess? generator;

    public PortalFactory Portal { get; } = new();
    public DemoBackendProcess First { get; private set; } = null!;
    public DemoBackendProcess Second { get; private set; } = null!;
    public Uri ControlUrl => new($"http://127.0.0.1:{controlPort}/traffic");

    /// <summary>The portal's client of the generator, as Portal:DemoTraffic:ControlUrl makes it.</summary>
    public DemoTrafficGenerator Client() => DemoTrafficHosting.Create(ControlUrl);

    public async Task InitializeAsync()
    {
        await Portal.InitializeAsync();
        var backends = await Task.WhenAll(DemoBackendProcess.StartAsync("first", "v1", "first-1"), DemoBackendProcess.StartAsync("second", "v1", "second-1"));
        (First, Second) = (backends[0], backends[1]);
        generator = ChildProcess.Start("Meshwork.DemoApps",
            ["traffic", "--rps", "5", "--admin-urls", $"http://127.0.0.1:{controlPort}", First.Url + "/", Second.Url + "/"], name: "traffic");
        await generator.WaitForHttpOkAsync($"http://127.0.0.1:{controlPort}/health");
    }

    /// <summary>The generator's own view (GET /traffic), read directly rather than through the portal.</summary>
    public async Task<JsonElement> GeneratorViewAsync() => await http.GetFromJsonAsync<JsonElement>(ControlUrl);

    public async Task DisposeAsync()
    {
        if (generator is not null) await generator.DisposeAsync();
        if (First is not null) await First.DisposeAsync();
        if (Second is not null) await Second.DisposeAsync();
        http.Dispose();
        await ((IAsyncLifetime)Portal).DisposeAsync();
    }
}
