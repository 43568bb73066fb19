using Meshwork.ControlPlane.Tests.Infrastructure;
using Meshwork.Model.Interop;
using Meshwork.Model.Policy;
using Meshwork.Model.Resources;
using Meshwork.Store;
using Meshwork.Testing.Postgres;
using Meshwork.Testing.Waiting;
using Xunit.Abstractions;

namespace Meshwork.ControlPlane.Tests.Mesh;

/// <summary>
/// Istio manifests imported the way the portal imports them (<see cref="ManifestImporter"/> against the stored state,
/// then one <see cref="ResourceService.ApplyManyAsync"/>) behave on real traffic as Istio documents: a weighted split
/// with retries, and AuthorizationPolicies (DENY before ALLOW; with an ALLOW policy, callers it does not name are
/// refused). Real Postgres, control plane, sidecar processes and demo backends; requests through the web sidecar
/// cross two proxies over mTLS.
/// </summary>
[Collection(MeshCollection.Name)]
public sealed class ImportedIstioTrafficTests(MeshFixture mesh, ITestOutputHelper output) : IClassFixture<MeshFixture>
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    private static string Split(string retries) => $$"""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: orders, namespace: default}
        spec:
          hosts: [orders]
          http:
          - route:
            - destination: {host: orders, subset: v1}
              weight: 75
            - destination: {host: orders, subset: v2}
              weight: 25
            retries: {{retries}}
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: orders, namespace: default}
        spec:
          host: orders
          subsets:
          - name: v1
            labels: {version: v1}
          - name: v2
            labels: {version: v2}
        """;

    private const string DenyInternal = """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: orders-deny-internal, namespace: default}
        spec:
          selector: {matchLabels: {app: orders}}
          action: DENY
          rules:
          - to:
            - operation: {paths: ["/internal/*"]}
        """;

    private static string Allow(string source) => $$"""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: orders-allow, namespace: default}
        spec:
          selector:
            matchLabels: {app: orders}
          action: ALLOW
          rules:
          - from:
            - source: {{source}}
        """;

    /// <summary>Translates against what is stored and writes every resource in one audited change, as ManifestImportService does.</summary>
    private async Task<ImportResult> ImportAsync(string yaml)
    {
        await using var db = MigratedDatabase.OpenSession(mesh.ConnectionString);
        var store = new ResourceService(db, TimeProvider.System);
        var stored = await store.ListAsync();
        var result = ManifestImporter.Import(yaml, stored.Select(s => s.Resource).ToList());
        Assert.True(!result.Errors.Any() && result.Resources.Count > 0, string.Join("\n", result.Messages));
        foreach (var message in result.Messages) output.WriteLine($"import {message.Severity}: {message.Path}: {message.Message}");
        var versioned = result.Resources.Select(r => r with
        {
            Metadata = r.Metadata with { Version = stored.FirstOrDefault(s => s.Resource.Key == r.Key)?.Resource.Metadata.Version ?? 0 },
        }).ToList();
        var applied = await store.ApplyManyAsync(versioned, new ChangeActor("tests", ChangeSource.Api) { Reason = "import of istio.yaml" });
        Assert.True(applied is ChangeResult.Applied, $"import failed: {applied}");
        return result;
    }

    private async Task DeleteAsync(ResourceKey key)
    {
        await using var db = MigratedDatabase.OpenSession(mesh.ConnectionString);
        var store = new ResourceService(db, TimeProvider.System);
        if (await store.GetAsync(key) is { } stored)
            Assert.True(await store.DeleteAsync(key, stored.Resource.Metadata.Version, new ChangeActor("tests", ChangeSource.Api)) is ChangeResult.Applied);
    }

    /// <summary>Sends <paramref name="count"/> requests one after another and tallies who answered (or the failure).</summary>
    private static async Task<Dictionary<string, int>> TallyAsync(HttpClient client, int count)
    {
        var tally = new Dictionary<string, int>();
        for (var i = 0; i < count; i++)
        {
            var servedBy = await MeshFixture.ServedByAsync(client);
            tally[servedBy] = tally.GetValueOrDefault(servedBy) + 1;
        }
        return tally;
    }

    private static async Task<(int Status, string? DeniedBy)> GetAsync(HttpClient client, string url)
    {
        using var response = await client.GetAsync(url);
        return ((int)response.StatusCode, response.Headers.TryGetValues("x-meshwork-denied-by", out var values) ? values.First() : null);
    }

    [Fact]
    public async Task ImportedVirtualService_WeightedSplitAndRetries_AsIstioDocuments()
    {
        await mesh.OrdersV2Backend.SetErrorRateAsync(0);
        using var client = mesh.Web.OutboundClient();
        ImportResult? import = null;
        try
        {
            import = await ImportAsync(Split("{attempts: 2, perTryTimeout: 5s, retryOn: 5xx}"));
            var policy = Assert.Single(import.Resources.OfType<ResiliencePolicy>());
            Assert.Equal((2, "orders"), (policy.Retries!.Attempts, policy.Service));

            // The split reached the web sidecar once v2 answers (the route and its retries are one change, one snapshot).
            await Eventually.HoldsAsync(async () => await MeshFixture.ServedByAsync(client) == "orders-v2-a", "orders v2 serving through the imported split", Generous);

            // 75/25 on counted real requests: 400 requests put v2's share within 0.25 ± 0.10 (more than 4 standard deviations).
            var split = await TallyAsync(client, 400);
            output.WriteLine("split: " + string.Join(", ", split.Select(kv => $"{kv.Key}={kv.Value}")));
            Assert.Equal(400, split.GetValueOrDefault("orders-v1-a") + split.GetValueOrDefault("orders-v2-a"));
            Assert.InRange(split["orders-v2-a"] / 400.0, 0.15, 0.35);

            // v2 now fails every second request it receives with 503 (1st ok, 2nd fails, 3rd ok, ...): Istio retries
            // a 5xx, so every caller gets 200, and each request v2 answered after its first cost exactly one failed attempt.
            await mesh.OrdersV2Backend.SetErrorRateAsync(0.5);
            var errorsBefore = (await mesh.OrdersV2Backend.StatsAsync()).Errors;
            var retried = await TallyAsync(client, 200);
            var stats = await mesh.OrdersV2Backend.StatsAsync();
            output.WriteLine($"with v2 failing: {string.Join(", ", retried.Select(kv => $"{kv.Key}={kv.Value}"))}; v2 attempts {stats.Requests}, failed {stats.Errors - errorsBefore}");
            Assert.Equal(200, retried.GetValueOrDefault("orders-v1-a") + retried.GetValueOrDefault("orders-v2-a"));
            var servedByV2 = retried["orders-v2-a"];
            Assert.True(servedByV2 > 1, $"v2 answered {servedByV2} of 200");
            Assert.Equal(servedByV2 - 1, stats.Errors - errorsBefore);
            Assert.Equal(servedByV2 + (stats.Errors - errorsBefore), stats.Requests);

            // attempts: 0 turns Istio's retries off: the same failures now reach the caller.
            await ImportAsync(Split("{attempts: 0}"));
            await Eventually.HoldsAsync(async () => (await MeshFixture.ServedByAsync(client)).StartsWith("HTTP 503"), "v2's 503 reaching the caller without retries", Generous);
        }
        finally
        {
            await mesh.OrdersV2Backend.SetErrorRateAsync(0);
            foreach (var key in import?.Resources.OfType<ResiliencePolicy>().Select(p => p.Key) ?? [])
                await DeleteAsync(key);
            await mesh.ApplyAsync(MeshFixture.OrdersRoute("v1"));
        }
    }

    [Fact]
    public async Task ImportedAuthorizationPolicies_DenyOnAPath_AllowFromAPrincipalThenANamespace_403ExactlyWhereIstioRefuses()
    {
        await mesh.ApplyAsync(MeshFixture.OrdersRoute("v1"));
        using var web = mesh.Web.OutboundClient();
        // A second caller with another identity: the orders v2 sidecar (spiffe://cluster.local/ns/default/sa/orders).
        using var orders = mesh.OrdersV2.OutboundClient();
        await MeshFixture.WaitForServedByAsync(web, "orders-v1-a", Generous);
        try
        {
            await ImportAsync(DenyInternal + "\n---\n" + Allow("{principals: [cluster.local/ns/default/sa/web]}"));

            // DENY is evaluated first: /internal/* is refused even for the allowed caller ...
            await Eventually.HoldsAsync(async () => (await GetAsync(web, "http://orders/internal/report")).Status == 403, "the DENY on /internal/* enforced", Generous);
            Assert.Equal((403, "orders-deny-internal"), await GetAsync(web, "http://orders/internal/report"));
            // ... every other path is allowed for the principal the ALLOW names (the prefix is by segment: /internalx is not under it) ...
            Assert.Equal((200, null), await GetAsync(web, "http://orders/"));
            Assert.Equal((200, null), await GetAsync(web, "http://orders/products/1"));
            Assert.Equal((200, null), await GetAsync(web, "http://orders/internalx"));
            // ... and a caller no ALLOW policy names is refused everywhere (Istio: ALLOW policies exist, none matched).
            Assert.Equal((403, AccessDecision.NoAllowMatched), await GetAsync(orders, "http://orders/"));

            // The same ALLOW from a namespace admits both callers of namespace default; the DENY still holds.
            await ImportAsync(Allow("{namespaces: [default]}"));
            await Eventually.HoldsAsync(async () => (await GetAsync(orders, "http://orders/")).Status == 200, "the namespace ALLOW admitting the orders caller", Generous);
            Assert.Equal((200, null), await GetAsync(web, "http://orders/products/1"));
            Assert.Equal((403, "orders-deny-internal"), await GetAsync(orders, "http://orders/internal/report"));
            Assert.Equal((403, "orders-deny-internal"), await GetAsync(web, "http://orders/internal/report"));

            // A namespace no caller is in: both refused.
            await ImportAsync(Allow("{namespaces: [payments]}"));
            await Eventually.HoldsAsync(async () => (await GetAsync(web, "http://orders/")).Status == 403, "an ALLOW for another namespace refusing web", Generous);
            Assert.Equal((403, AccessDecision.NoAllowMatched), await GetAsync(orders, "http://orders/"));
        }
        finally
        {
            await DeleteAsync(new ResourceKey(ResourceKind.AccessPolicy, "default", "orders-deny-internal"));
            await DeleteAsync(new ResourceKey(ResourceKind.AccessPolicy, "default", "orders-allow"));
        }
    }
}
