using System.Globalization;
using System.Text.Json.Serialization;
using Meshwork.Protocol.Status;

namespace Meshwork.Portal.ViewModels;

/// <summary>
/// The data of one Cytoscape element; edges carry source and target, version nodes their service as parent. Canary:
/// the progress of the live rollout whose canary the element is (or leads to), for example "canary 20% · step 2/5 · Progressing".
/// </summary>
public sealed record GraphData(
    string Id,
    string Label,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Parent = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Source = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Target = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Canary = null);

/// <summary>One Cytoscape element as the graph script takes it ("nodes" or "edges", data, space-separated classes).</summary>
public sealed record GraphElement(string Group, GraphData Data, string Classes);

/// <summary>Which part of the mesh the graph shows: one namespace or all, idle edges or not, a search that highlights.</summary>
public sealed record TopologyFilter(string? Namespace = null, bool HideIdle = false, string? Search = null);

/// <summary>How an edge or version is doing, judged by <see cref="HealthThresholds"/> on the share of failed requests.</summary>
public enum TrafficHealth { Idle, Healthy, Degraded, Failing }

/// <summary>Failed shares (0..1) above which traffic is degraded and failing: MeshSettings' percentages, Kiali's 0.1 % and 10 % by default.</summary>
public sealed record HealthThresholds(double DegradedAbove, double FailingAbove)
{
    public static readonly HealthThresholds Default = From(new Meshwork.Model.Resources.MeshSettings { Metadata = new() { Name = Meshwork.Model.Resources.MeshSettings.SingletonName } });

    public static HealthThresholds From(Meshwork.Model.Resources.MeshSettings settings) => new(settings.DegradedAbovePercent / 100, settings.FailingAbovePercent / 100);
}

/// <summary>
/// The topology graph from the live status: a compound node per service holding a node per version
/// (callers without a version get one named after the service), an edge per observed call labelled with
/// its rate, success rate and p99 and classed by health, and for services receiving on two or more
/// versions each edge's share of the caller's requests to that service, so a canary split is visible.
/// The canary version of a live rollout, and every edge to it, are classed "canary" and carry the rollout's
/// progress (the edge in its label too). TCP route edges come after the HTTP ones (<see cref="TopologyTcpEdges"/>).
/// Elements are ordered parents, then versions, then edges, as the graph adds them.
/// </summary>
public static class TopologyGraphModel
{
    public static TrafficHealth HealthOf(GoldenSignals? signals, HealthThresholds thresholds)
    {
        if (signals is null || signals.Requests == 0) return TrafficHealth.Idle;
        var failed = (double)signals.Failures / signals.Requests;
        return failed > thresholds.FailingAbove ? TrafficHealth.Failing : failed > thresholds.DegradedAbove ? TrafficHealth.Degraded : TrafficHealth.Healthy;
    }

    public static string ServiceId(string ns, string service) => $"svc:{ns}/{service}";

    public static string VersionId(string ns, string service, string version) => $"ver:{ns}/{service}/{version}";

    public static IReadOnlyList<GraphElement> Build(IReadOnlyList<EdgeSignals> edges, IReadOnlyList<ServiceVersionSignals> versions, TopologyFilter filter,
        HealthThresholds thresholds, IReadOnlyList<TopologyCanary>? canaries = null, IReadOnlyList<TcpEdgeSignals>? tcpEdges = null)
    {
        var canaryOf = (canaries ?? []).ToDictionary(c => VersionId(c.Namespace, c.Service, c.Version), c => c.Label, StringComparer.Ordinal);
        TrafficHealth HealthOf(GoldenSignals? signals) => TopologyGraphModel.HealthOf(signals, thresholds);
        bool InScope(string ns) => filter.Namespace is null || filter.Namespace == ns;
        var shownEdges = edges
            .Where(e => InScope(e.SourceNamespace) || InScope(e.DestinationNamespace))
            .Where(e => !filter.HideIdle || HealthOf(e.Signals) != TrafficHealth.Idle)
            .ToList();
        var shownTcpEdges = (tcpEdges ?? [])
            .Where(e => InScope(e.SourceNamespace) || InScope(e.DestinationNamespace))
            .Where(e => !filter.HideIdle || !TopologyTcpEdges.IsIdle(e))
            .ToList();

        var nodes = new Dictionary<string, (string Ns, string Service, string Version, ServiceVersionSignals? Signals)>();
        void AddVersion(string ns, string service, string version, ServiceVersionSignals? signals)
        {
            var id = VersionId(ns, service, version);
            if (!nodes.TryGetValue(id, out var known) || known.Signals is null)
                nodes[id] = (ns, service, version, signals ?? known.Signals);
        }
        foreach (var v in versions.Where(v => InScope(v.Namespace) && (!filter.HideIdle || HealthOf(v.Signals) != TrafficHealth.Idle || v.Instances > 0)))
            AddVersion(v.Namespace, v.Service, v.Version, v);
        foreach (var (sourceNs, source, sourceVersion, destinationNs, destination, destinationVersion) in shownEdges
                     .Select(e => (e.SourceNamespace, e.SourceService, e.SourceVersion, e.DestinationNamespace, e.DestinationService, e.DestinationVersion))
                     .Concat(shownTcpEdges.Select(e => (e.SourceNamespace, e.SourceService, e.SourceVersion, e.DestinationNamespace, e.DestinationService, e.DestinationVersion))))
        {
            AddVersion(sourceNs, source, VersionOrService(sourceVersion, source), null);
            AddVersion(destinationNs, destination, VersionOrService(destinationVersion, destination), null);
        }

        var search = filter.Search?.Trim();
        bool Matches(string service, string version) =>
            string.IsNullOrEmpty(search) || service.Contains(search, StringComparison.OrdinalIgnoreCase) || version.Contains(search, StringComparison.OrdinalIgnoreCase);

        var elements = new List<GraphElement>();
        foreach (var service in nodes.Values.GroupBy(n => (n.Ns, n.Service)).OrderBy(g => g.Key.Ns).ThenBy(g => g.Key.Service))
        {
            var dimmed = service.All(n => !Matches(n.Service, n.Version)) ? " dimmed" : "";
            elements.Add(new GraphElement("nodes", new GraphData(ServiceId(service.Key.Ns, service.Key.Service), $"{service.Key.Service} ({service.Key.Ns})"), "service" + dimmed));
        }
        foreach (var (id, n) in nodes.OrderBy(n => n.Key, StringComparer.Ordinal))
        {
            var label = n.Signals is { } s ? $"{n.Version} · {s.HealthyInstances}/{s.Instances} up" : n.Version;
            var health = HealthOf(n.Signals?.Signals).ToString().ToLowerInvariant();
            var dimmed = Matches(n.Service, n.Version) ? "" : " dimmed";
            var canary = canaryOf.GetValueOrDefault(id);
            elements.Add(new GraphElement("nodes", new GraphData(id, label, Parent: ServiceId(n.Ns, n.Service), Canary: canary),
                $"version {health}{(canary is null ? "" : " canary")}{dimmed}"));
        }

        // A caller's share of its requests to a service, per destination version: the split it observes.
        var toService = shownEdges
            .GroupBy(e => (e.SourceNamespace, e.SourceService, e.SourceVersion, e.DestinationNamespace, e.DestinationService))
            .ToDictionary(g => g.Key, g => (Total: g.Sum(e => e.Signals?.Rps ?? 0), Versions: g.Count()));
        foreach (var e in shownEdges.OrderBy(e => EdgeId(e), StringComparer.Ordinal))
        {
            var split = toService[(e.SourceNamespace, e.SourceService, e.SourceVersion, e.DestinationNamespace, e.DestinationService)];
            var share = split.Versions >= 2 && split.Total > 0 ? (e.Signals?.Rps ?? 0) / split.Total : (double?)null;
            var health = HealthOf(e.Signals).ToString().ToLowerInvariant();
            var dimmed = Matches(e.SourceService, e.SourceVersion) || Matches(e.DestinationService, e.DestinationVersion) ? "" : " dimmed";
            var target = VersionId(e.DestinationNamespace, e.DestinationService, VersionOrService(e.DestinationVersion, e.DestinationService));
            var canary = canaryOf.GetValueOrDefault(target);
            var label = EdgeLabel(e.Signals, share);
            elements.Add(new GraphElement("edges", new GraphData(EdgeId(e), canary is null ? label : $"{canary}\n{label}",
                Source: VersionId(e.SourceNamespace, e.SourceService, VersionOrService(e.SourceVersion, e.SourceService)),
                Target: target, Canary: canary),
                health + (share is null ? "" : " split") + (canary is null ? "" : " canary") + dimmed));
        }
        foreach (var e in shownTcpEdges.OrderBy(TopologyTcpEdges.Id, StringComparer.Ordinal))
        {
            var dimmed = Matches(e.SourceService, e.SourceVersion) || Matches(e.DestinationService, e.DestinationVersion) ? "" : " dimmed";
            elements.Add(new GraphElement("edges", new GraphData(TopologyTcpEdges.Id(e), TopologyTcpEdges.Label(e),
                Source: VersionId(e.SourceNamespace, e.SourceService, VersionOrService(e.SourceVersion, e.SourceService)),
                Target: VersionId(e.DestinationNamespace, e.DestinationService, VersionOrService(e.DestinationVersion, e.DestinationService))),
                TopologyTcpEdges.Classes(e) + dimmed));
        }
        return elements;
    }

    public static string EdgeId(EdgeSignals e) =>
        $"edge:{e.SourceNamespace}/{e.SourceService}/{e.SourceVersion}->{e.DestinationNamespace}/{e.DestinationService}/{e.DestinationVersion}";

    /// <summary>For example "12.5 rps · 99.2% · p99 41 ms", and "· 30% of split" for one version of a split.</summary>
    public static string EdgeLabel(GoldenSignals? signals, double? share)
    {
        if (signals is null || signals.Requests == 0) return "idle";
        var inv = CultureInfo.InvariantCulture;
        var label = string.Create(inv, $"{signals.Rps:0.#} rps · {signals.SuccessRate * 100:0.#}% · p99 {signals.P99Ms:0} ms");
        return share is { } s ? label + string.Create(inv, $" · {s * 100:0}% of split") : label;
    }

    private static string VersionOrService(string version, string service) => string.IsNullOrEmpty(version) ? service : version;
}
