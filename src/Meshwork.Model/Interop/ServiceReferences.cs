using Meshwork.Model.Resources;

namespace Meshwork.Model.Interop;

/// <summary>Every (namespace, service, version) a resource refers to, resolved in the resource's namespace.</summary>
internal static class ServiceReferences
{
    public readonly record struct Reference(string Namespace, string Service, string? Version);

    public static IEnumerable<Reference> Of(IEnumerable<Resource> resources) => resources.SelectMany(Of);

    private static IEnumerable<Reference> Of(Resource resource)
    {
        var ns = resource.Metadata.Namespace;
        switch (resource)
        {
            case HttpRoute route:
                foreach (var parent in route.ParentRefs.Where(p => p.Kind == ParentKind.Service))
                    yield return new(parent.Namespace ?? ns, parent.Name, null);
                var backends = route.Rules.SelectMany(r => r.BackendRefs)
                    .Concat(route.Rules.SelectMany(r => r.Filters).Select(f => f.RequestMirror?.BackendRef).OfType<BackendRef>());
                foreach (var backend in backends)
                    yield return new(backend.Namespace ?? ns, backend.Service, backend.Version);
                break;
            case TcpRoute route:
                yield return new(ns, route.Service, null);
                foreach (var backend in route.Rules.SelectMany(r => r.BackendRefs))
                    yield return new(backend.Namespace ?? ns, backend.Service, backend.Version);
                break;
            case ResiliencePolicy policy:
                yield return new(ns, policy.Service, null);
                break;
            case AccessPolicy { Service: { } service }:
                yield return new(ns, service, null);
                break;
            case Rollout rollout:
                yield return new(ns, rollout.Service, rollout.StableVersion);
                yield return new(ns, rollout.Service, rollout.CanaryVersion);
                break;
        }
    }
}
