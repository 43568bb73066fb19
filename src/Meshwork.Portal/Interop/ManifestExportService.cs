using Meshwork.Model.Interop;
using Meshwork.Model.Resources;
using Meshwork.Store;

namespace Meshwork.Portal.Interop;

/// <summary>One format a resource can be exported as, named for people ("Istio VirtualService") and for URLs ("istio").</summary>
public sealed record ExportTarget(ExportFormat Format, string Name, string Label);

/// <summary>
/// Exports stored resources with <see cref="ManifestExporter"/> (what <c>meshctl export</c> runs) for
/// <c>GET /api/v1/export</c>, the portal's Export menu and its download link: one translation path, so
/// the page, the file and the API always say the same. Resources are exported with their services'
/// ports, versions and policies read from the whole store.
/// </summary>
public sealed class ManifestExportService(ResourceService store)
{
    /// <summary>The format names URLs take (docs/api.md).</summary>
    public static readonly IReadOnlyDictionary<string, ExportFormat> Formats = new Dictionary<string, ExportFormat>(StringComparer.OrdinalIgnoreCase)
    {
        ["gateway-api"] = ExportFormat.GatewayApi,
        ["istio"] = ExportFormat.Istio,
        ["meshwork"] = ExportFormat.Meshwork,
    };

    public static string NameOf(ExportFormat format) => Formats.First(f => f.Value == format).Key;

    /// <summary>
    /// The formats that say something for a resource of this kind (the others only answer "not exported"),
    /// labelled with what they produce.
    /// </summary>
    public static IReadOnlyList<ExportTarget> TargetsFor(ResourceKind kind)
    {
        var targets = new List<ExportTarget> { Target(ExportFormat.Meshwork, "Meshwork YAML") };
        if (kind is ResourceKind.HttpRoute or ResourceKind.TcpRoute)
            targets.Add(Target(ExportFormat.GatewayApi, kind == ResourceKind.HttpRoute ? "Gateway API HTTPRoute" : "Gateway API TCPRoute"));
        if (kind switch
            {
                ResourceKind.HttpRoute or ResourceKind.TcpRoute => "Istio VirtualService",
                ResourceKind.AccessPolicy => "Istio AuthorizationPolicy",
                ResourceKind.Service or ResourceKind.ResiliencePolicy => "Istio DestinationRule",
                _ => null,
            } is { } istio)
        {
            targets.Add(Target(ExportFormat.Istio, istio));
        }
        return targets;
    }

    /// <summary>The stored resources <paramref name="select"/> takes.</summary>
    public async Task<ExportResult> ExportAsync(ExportFormat format, Func<Resource, bool> select, CancellationToken ct = default)
    {
        var all = (await store.ListAsync(ct: ct)).Select(s => s.Resource).ToList();
        return ManifestExporter.Export(all.Where(select).ToList(), format, all);
    }

    /// <summary>One stored resource; null when it is not stored.</summary>
    public async Task<ExportResult?> ExportAsync(ResourceKey key, ExportFormat format, CancellationToken ct = default)
    {
        var all = (await store.ListAsync(ct: ct)).Select(s => s.Resource).ToList();
        var resource = all.FirstOrDefault(r => r.Key == key);
        return resource is null ? null : ManifestExporter.Export([resource], format, all);
    }

    /// <summary>The downloaded file's name: <c>reviews.httproute.gateway-api.yaml</c>.</summary>
    public static string FileName(ResourceKey key, ExportFormat format) =>
        $"{key.Name}.{key.Kind.ToString().ToLowerInvariant()}.{NameOf(format)}.yaml";

    private static ExportTarget Target(ExportFormat format, string label) => new(format, NameOf(format), label);
}
