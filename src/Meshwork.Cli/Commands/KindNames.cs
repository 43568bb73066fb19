using Meshwork.Model.Resources;

namespace Meshwork.Cli.Commands;

/// <summary>Kind names as users type them: "services", "service", "Service", "svc", "httproutes", "routes"...</summary>
public static class KindNames
{
    private static readonly Dictionary<string, ResourceKind> Aliases = Build();

    public static string Segment(ResourceKind kind) => kind switch
    {
        ResourceKind.Service => "services",
        ResourceKind.HttpRoute => "httproutes",
        ResourceKind.ResiliencePolicy => "resiliencepolicies",
        ResourceKind.AccessPolicy => "accesspolicies",
        ResourceKind.Rollout => "rollouts",
        ResourceKind.MeshSettings => "meshsettings",
        ResourceKind.TcpRoute => "tcproutes",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public static bool TryParse(string text, out ResourceKind kind) => Aliases.TryGetValue(text.Trim().ToLowerInvariant(), out kind);

    public static string Known => string.Join(", ", Enum.GetValues<ResourceKind>().Select(Segment));

    private static Dictionary<string, ResourceKind> Build()
    {
        var aliases = new Dictionary<string, ResourceKind>();
        foreach (var kind in Enum.GetValues<ResourceKind>())
        {
            aliases[kind.ToString().ToLowerInvariant()] = kind;
            aliases[Segment(kind)] = kind;
        }
        aliases["svc"] = ResourceKind.Service;
        aliases["route"] = ResourceKind.HttpRoute;
        aliases["routes"] = ResourceKind.HttpRoute;
        aliases["resiliencepolicy"] = ResourceKind.ResiliencePolicy;
        aliases["accesspolicy"] = ResourceKind.AccessPolicy;
        aliases["tcproute"] = ResourceKind.TcpRoute;
        return aliases;
    }
}
