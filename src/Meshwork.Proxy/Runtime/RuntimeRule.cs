using Meshwork.Model.Resources;
using Meshwork.Model.Snapshots;
using Microsoft.AspNetCore.Http;

namespace Meshwork.Proxy.Runtime;

/// <summary>A compiled rule ready for the request path: matchers, weights and filters split by kind.</summary>
public sealed class RuntimeRule
{
    private readonly RouteMatcher[] matchers;
    private readonly WeightedCluster[] backends;
    private readonly int totalWeight;

    public RuntimeRule(CompiledRule rule)
    {
        Model = rule;
        matchers = rule.Matches.Select(m => new RouteMatcher(m)).ToArray();
        backends = rule.Backends.Where(b => b.Weight > 0).ToArray();
        totalWeight = backends.Sum(b => b.Weight);
        RequestHeaders = rule.Filters.FirstOrDefault(f => f.Type == HttpRouteFilterType.RequestHeaderModifier)?.RequestHeaderModifier;
        ResponseHeaders = rule.Filters.FirstOrDefault(f => f.Type == HttpRouteFilterType.ResponseHeaderModifier)?.ResponseHeaderModifier;
        Rewrite = rule.Filters.FirstOrDefault(f => f.Type == HttpRouteFilterType.UrlRewrite)?.UrlRewrite;
        Redirect = rule.Filters.FirstOrDefault(f => f.Type == HttpRouteFilterType.RequestRedirect)?.RequestRedirect;
    }

    public CompiledRule Model { get; }
    public HeaderModifier? RequestHeaders { get; }
    public HeaderModifier? ResponseHeaders { get; }
    public UrlRewrite? Rewrite { get; }
    public RequestRedirect? Redirect { get; }

    /// <summary>The matcher that selected the request (null: the rule matches everything), or false.</summary>
    public bool TryMatch(HttpRequest request, out RouteMatcher? matched)
    {
        matched = null;
        if (matchers.Length == 0)
            return true;
        foreach (var matcher in matchers)
        {
            if (matcher.Matches(request))
            {
                matched = matcher;
                return true;
            }
        }
        return false;
    }

    /// <summary>Weighted choice among backends; null when every weight is 0 (Gateway API: 500).</summary>
    public string? PickCluster()
    {
        if (totalWeight == 0)
            return null;
        if (backends.Length == 1)
            return backends[0].Cluster;
        var roll = Random.Shared.Next(totalWeight);
        foreach (var backend in backends)
        {
            roll -= backend.Weight;
            if (roll < 0)
                return backend.Cluster;
        }
        return backends[^1].Cluster;
    }
}

/// <summary>A virtual host: domains and ordered rules.</summary>
public sealed class RuntimeVirtualHost(VirtualHost model)
{
    public VirtualHost Model { get; } = model;
    public RuntimeRule[] Rules { get; } = model.Rules.Select(r => new RuntimeRule(r)).ToArray();

    public RuntimeRule? Match(HttpRequest request, out RouteMatcher? matcher)
    {
        foreach (var rule in Rules)
        {
            if (rule.TryMatch(request, out matcher))
                return rule;
        }
        matcher = null;
        return null;
    }
}

/// <summary>Host -> virtual host for one listener: exact names, then the longest "*.suffix", then "*".</summary>
public sealed class HostTable
{
    private readonly Dictionary<string, RuntimeVirtualHost> exact = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<(string Suffix, RuntimeVirtualHost Host)> suffixes = [];
    private RuntimeVirtualHost? any;

    public void Add(RuntimeVirtualHost host, ICollection<string> errors)
    {
        foreach (var domain in host.Model.Domains)
        {
            if (domain == "*")
                any ??= host;
            else if (domain.StartsWith("*.", StringComparison.Ordinal))
                suffixes.Add((domain[1..], host));
            else if (!exact.TryAdd(domain, host))
                errors.Add($"virtualHosts[{host.Model.Name}].domains: '{domain}' is also served by '{exact[domain].Model.Name}'");
        }
        suffixes.Sort((a, b) => b.Suffix.Length.CompareTo(a.Suffix.Length));
    }

    public RuntimeVirtualHost? Find(string host)
    {
        if (exact.TryGetValue(host, out var found))
            return found;
        foreach (var (suffix, candidate) in suffixes)
        {
            if (host.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
                return candidate;
        }
        return any;
    }
}
