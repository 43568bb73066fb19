using System.Text.Json.Nodes;
using Meshwork.DemoApps.Backend;

namespace Meshwork.DemoApps.Shop;

/// <summary>
/// A call from one shop service to another by its mesh name (http://catalog/...). The client uses
/// the default proxy, HTTP_PROXY: the app's own sidecar, so the mesh routes, secures and measures
/// every edge. A failed call is a value, not an exception: each role decides whether it can answer
/// without that callee.
/// </summary>
public sealed class Callee(IHttpClientFactory clients)
{
    public const string ClientName = "mesh";

    public sealed record Answer(JsonNode? Body, string? ServedBy, string? Failure)
    {
        public bool Ok => Failure is null;
    }

    public async Task<Answer> GetAsync(string service, string path, CancellationToken cancellationToken)
    {
        var client = clients.CreateClient(ClientName);
        try
        {
            using var response = await client.GetAsync($"http://{service}{path}", cancellationToken);
            var servedBy = response.Headers.TryGetValues(DemoHost.ServedByHeader, out var values) ? values.FirstOrDefault() : null;
            if (!response.IsSuccessStatusCode)
                return new Answer(null, servedBy, $"{service} answered {(int)response.StatusCode}");
            return new Answer(JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken)), servedBy, null);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return new Answer(null, null, $"{service} unreachable: {e.Message}");
        }
    }
}
