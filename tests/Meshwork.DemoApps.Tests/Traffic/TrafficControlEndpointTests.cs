using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Meshwork.Testing.Processes;
using Meshwork.Testing.Waiting;

namespace Meshwork.DemoApps.Tests.Traffic;

/// <summary>
/// The traffic generator as `./meshwork up` runs it, a process with a control endpoint, sending to two
/// real demo backends: PUT /traffic changes the mix (and rate) while it runs; a bad change is refused
/// naming each field and changes nothing.
/// </summary>
public sealed class TrafficControlEndpointTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private readonly HttpClient http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };
    private readonly int controlPort = FreePort.Next();
    private DemoBackendProcess first = null!, second = null!;
    private ChildProcess generator = null!;

    private string Control => $"http://127.0.0.1:{controlPort}/traffic";

    public async Task InitializeAsync()
    {
        var backends = await Task.WhenAll(DemoBackendProcess.StartAsync("first", "v1", "first-1"), DemoBackendProcess.StartAsync("second", "v1", "second-1"));
        (first, second) = (backends[0], backends[1]);
        generator = ChildProcess.Start("Meshwork.DemoApps",
            ["traffic", "--rps", "40", "--admin-urls", $"http://127.0.0.1:{controlPort}", first.Url + "/", second.Url + "/"], name: "traffic");
        await generator.WaitForHttpOkAsync($"http://127.0.0.1:{controlPort}/health");
    }

    [Fact]
    public async Task Put_MixWithAZeroWeight_StopsTrafficToThatTarget_WhileTheOtherKeepsGettingIt()
    {
        await Eventually.HoldsAsync(async () => await second.RequestCountAsync() > 5, "the second target gets traffic at first", Patience);

        using var put = await http.PutAsJsonAsync(Control, new { rps = 50, targets = new[] { new { url = first.Url + "/", weight = 1 }, new { url = second.Url + "/", weight = 0 } } });
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        using var view = JsonDocument.Parse(await http.GetStringAsync(Control));
        Assert.Equal(50, view.RootElement.GetProperty("rps").GetDouble());

        // Requests sent before the change may still land; once the first target has had 20 more
        // (at 50/s the new plan is running), the second one's count stays where it is.
        var firstAtChange = await first.RequestCountAsync();
        await Eventually.HoldsAsync(async () => await first.RequestCountAsync() > firstAtChange + 20, "the first target keeps getting traffic", Patience);
        var secondSettled = await second.RequestCountAsync();
        var firstSettled = await first.RequestCountAsync();
        await Eventually.HoldsAsync(async () => await first.RequestCountAsync() > firstSettled + 40, "the first target gets 40 more requests", Patience);
        Assert.Equal(secondSettled, await second.RequestCountAsync());
    }

    [Fact]
    public async Task Put_InvalidChange_Answers400NamingEachField_AndKeepsThePlan()
    {
        var before = JsonDocument.Parse(await http.GetStringAsync(Control)).RootElement;
        using var put = await http.PutAsJsonAsync(Control, new { rps = 5000, targets = new[] { new { url = "not a url", weight = 1 } } });
        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        var errors = JsonDocument.Parse(await put.Content.ReadAsStringAsync()).RootElement.GetProperty("errors");
        Assert.Contains("between 0", errors.GetProperty("rps")[0].GetString());
        Assert.Contains("absolute http(s) URL", errors.GetProperty("targets[0].url")[0].GetString());

        var after = JsonDocument.Parse(await http.GetStringAsync(Control)).RootElement;
        Assert.Equal(before.GetProperty("rps").GetDouble(), after.GetProperty("rps").GetDouble());
        Assert.Equal(before.GetProperty("targets").ToString(), after.GetProperty("targets").ToString());
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await generator.DisposeAsync();
        await Task.WhenAll(first.DisposeAsync().AsTask(), second.DisposeAsync().AsTask());
    }
}
