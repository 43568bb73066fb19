using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Meshwork.Portal.Deployments;

/// <summary>One target of the generator's mix: a URL and its share of the requests (weight among the weights).</summary>
public sealed record DemoTrafficTarget(string Url, int Weight);

/// <summary>What the generator sends (requests per second, 0 = paused, over the weighted targets) and has sent so far.</summary>
public sealed record DemoTrafficView(double Rps, IReadOnlyList<DemoTrafficTarget> Targets, long Sent, long Ok, long Failed);

/// <summary>The generator's answer to a change: its new view, or the errors it named by field.</summary>
public sealed record DemoTrafficPut(DemoTrafficView? View, IReadOnlyDictionary<string, string> Errors);

/// <summary>
/// The HTTP client of the generator's control endpoint. It only carries requests: who may change the
/// traffic, what is a valid change and the audit are <see cref="ViewModels.DemoTrafficViewModel"/>'s. Everything the
/// generator answers is read as untrusted (size-limited, shape-checked).
/// </summary>
public sealed class DemoTrafficGenerator(HttpClient http, Uri controlUrl)
{
    /// <summary>The client's MaxResponseContentBufferSize: a view of a few targets is a few hundred bytes.</summary>
    public const int MaxAnswerBytes = 256 * 1024;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public Uri ControlUrl { get; } = controlUrl;

    public async Task<DemoTrafficView> ReadAsync(CancellationToken ct = default)
    {
        using var response = await http.GetAsync(ControlUrl, ct);
        response.EnsureSuccessStatusCode();
        return await ReadViewAsync(response, ct);
    }

    public async Task<DemoTrafficPut> PutAsync(double rps, IReadOnlyList<DemoTrafficTarget> targets, CancellationToken ct = default)
    {
        using var response = await http.PutAsJsonAsync(ControlUrl, new { rps, targets = targets.Select(t => new { url = t.Url, weight = t.Weight }) }, Json, ct);
        if (response.StatusCode == HttpStatusCode.BadRequest)
        {
            var problem = await ReadJsonAsync<ValidationAnswer>(response, ct);
            return new DemoTrafficPut(null, (problem.Errors ?? []).ToDictionary(e => e.Key, e => string.Join(" ", e.Value)));
        }
        response.EnsureSuccessStatusCode();
        return new DemoTrafficPut(await ReadViewAsync(response, ct), new Dictionary<string, string>());
    }

    private static async Task<DemoTrafficView> ReadViewAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var view = await ReadJsonAsync<DemoTrafficView>(response, ct);
        if (view.Targets is null || view.Targets.Any(t => t?.Url is null))
            throw new InvalidDataException($"{response.RequestMessage?.RequestUri} answered without its targets");
        return view;
    }

    // The client's MaxResponseContentBufferSize bounds what is read here.
    private static async Task<T> ReadJsonAsync<T>(HttpResponseMessage response, CancellationToken ct) =>
        JsonSerializer.Deserialize<T>(await response.Content.ReadAsByteArrayAsync(ct), Json)
        ?? throw new InvalidDataException($"{response.RequestMessage?.RequestUri} answered null");

    private sealed record ValidationAnswer(Dictionary<string, string[]>? Errors);
}
