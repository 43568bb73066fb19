using System.Text.Json.Nodes;
using Meshwork.Model.Resources;

namespace Meshwork.Model.Interop;

/// <summary>
/// HttpRoute as a Gateway API HTTPRoute (gateway.networking.k8s.io/v1), TcpRoute as a TCPRoute (v1alpha2): service parents as GAMMA
/// parentRefs, backends with their service's port. Gateway API selects no subsets and injects no
/// faults, so versions and faults are warnings; other kinds have no Gateway API equivalent.
/// </summary>
internal static class GatewayApiExporter
{
    public static IEnumerable<JsonObject> Export(Resource resource, IReadOnlyList<Resource> all, ExportWriter writer)
    {
        if (resource is TcpRoute tcp)
        {
            yield return TcpRoute(tcp, all, writer);
            yield break;
        }
        if (resource is not HttpRoute route)
        {
            writer.Note($"{resource.Kind} '{resource.Metadata.Namespace}/{resource.Metadata.Name}' has no Gateway API equivalent; not exported (use --format istio or meshwork)");
            yield break;
        }
        var spec = new JsonObject
        {
            ["parentRefs"] = Array(route.ParentRefs.Select(p => Parent(p))),
        };
        if (route.Hostnames.Count > 0)
            spec["hostnames"] = Array(route.Hostnames.Select(h => JsonValue.Create(h)));
        spec["rules"] = Array(route.Rules.Select((r, i) => Rule(r, $"rules[{i}]", route, all, writer)));
        yield return ManifestExporter.Manifest("gateway.networking.k8s.io/v1", "HTTPRoute", route.Metadata, spec);
    }

    /// <summary>A TCPRoute (v1alpha2) attached to its service by the route's port, as GatewayApiTcpRouteImporter reads it.</summary>
    private static JsonObject TcpRoute(TcpRoute route, IReadOnlyList<Resource> all, ExportWriter writer)
    {
        var spec = new JsonObject
        {
            ["parentRefs"] = Array([new JsonObject { ["group"] = "", ["kind"] = "Service", ["name"] = route.Service, ["port"] = route.Port }]),
            ["rules"] = Array(route.Rules.Select((r, i) =>
            {
                var rule = new JsonObject();
                if (r.Name is not null)
                    rule["name"] = r.Name;
                rule["backendRefs"] = Array(r.BackendRefs.Select((b, j) => Backend(b, route, all, writer, $"rules[{i}].backendRefs[{j}]")));
                return rule;
            })),
        };
        return ManifestExporter.Manifest("gateway.networking.k8s.io/v1alpha2", "TCPRoute", route.Metadata, spec);
    }

    private static JsonObject Parent(ParentRef parent)
    {
        var json = parent.Kind == ParentKind.Service
            ? new JsonObject { ["group"] = "", ["kind"] = "Service", ["name"] = parent.Name }
            : new JsonObject { ["name"] = parent.Name };
        if (parent.Namespace is not null)
            json["namespace"] = parent.Namespace;
        return json;
    }

    private static JsonObject Rule(HttpRouteRule rule, string path, HttpRoute route, IReadOnlyList<Resource> all, ExportWriter writer)
    {
        var json = new JsonObject();
        if (rule.Name is not null)
            json["name"] = rule.Name;
        if (rule.Matches.Count > 0)
            json["matches"] = Array(rule.Matches.Select(Match));
        if (rule.Filters.Count > 0)
            json["filters"] = Array(rule.Filters.Select((f, i) => Filter(f, route, all, writer, $"{path}.filters[{i}]")));
        if (rule.BackendRefs.Count > 0)
            json["backendRefs"] = Array(rule.BackendRefs.Select((b, i) => Backend(b, route, all, writer, $"{path}.backendRefs[{i}]")));
        if (rule.Timeouts is { } timeouts)
        {
            var t = new JsonObject();
            if (timeouts.Request is { } request)
                t["request"] = writer.Duration(request, $"{path}.timeouts.request");
            if (timeouts.BackendRequest is { } backend)
                t["backendRequest"] = writer.Duration(backend, $"{path}.timeouts.backendRequest");
            json["timeouts"] = t;
        }
        if (rule.Fault is not null)
            writer.Warning($"{path}.fault", "Gateway API has no fault injection; not exported");
        return json;
    }

    private static JsonObject Match(HttpRouteMatch match)
    {
        var json = new JsonObject();
        if (match.Path is { } path)
            json["path"] = new JsonObject { ["type"] = path.Type.ToString(), ["value"] = path.Value };
        if (match.Method is not null)
            json["method"] = match.Method;
        if (match.Headers.Count > 0)
            json["headers"] = Array(match.Headers.Select(h => new JsonObject { ["type"] = h.Type.ToString(), ["name"] = h.Name, ["value"] = h.Value }));
        if (match.QueryParams.Count > 0)
            json["queryParams"] = Array(match.QueryParams.Select(q => new JsonObject { ["type"] = q.Type.ToString(), ["name"] = q.Name, ["value"] = q.Value }));
        return json;
    }

    private static JsonObject Filter(HttpRouteFilter filter, HttpRoute route, IReadOnlyList<Resource> all, ExportWriter writer, string path) => filter.Type switch
    {
        HttpRouteFilterType.RequestHeaderModifier => new JsonObject { ["type"] = "RequestHeaderModifier", ["requestHeaderModifier"] = Modifier(filter.RequestHeaderModifier) },
        HttpRouteFilterType.ResponseHeaderModifier => new JsonObject { ["type"] = "ResponseHeaderModifier", ["responseHeaderModifier"] = Modifier(filter.ResponseHeaderModifier) },
        HttpRouteFilterType.UrlRewrite => new JsonObject { ["type"] = "URLRewrite", ["urlRewrite"] = Rewrite(filter.UrlRewrite) },
        HttpRouteFilterType.RequestRedirect => new JsonObject { ["type"] = "RequestRedirect", ["requestRedirect"] = Redirect(filter.RequestRedirect) },
        _ => new JsonObject
        {
            ["type"] = "RequestMirror",
            ["requestMirror"] = filter.RequestMirror is { } mirror
                ? new JsonObject { ["backendRef"] = BackendTarget(mirror.BackendRef, route, all, writer, $"{path}.requestMirror.backendRef"), ["percent"] = (int)Math.Round(mirror.Percent) }
                : new JsonObject(),
        },
    };

    private static JsonObject Modifier(HeaderModifier? modifier)
    {
        var json = new JsonObject();
        if (modifier is null)
            return json;
        if (modifier.Set.Count > 0)
            json["set"] = Array(modifier.Set.Select(h => new JsonObject { ["name"] = h.Name, ["value"] = h.Value }));
        if (modifier.Add.Count > 0)
            json["add"] = Array(modifier.Add.Select(h => new JsonObject { ["name"] = h.Name, ["value"] = h.Value }));
        if (modifier.Remove.Count > 0)
            json["remove"] = Array(modifier.Remove.Select(r => JsonValue.Create(r)));
        return json;
    }

    private static JsonObject Rewrite(UrlRewrite? rewrite)
    {
        var json = new JsonObject();
        if (rewrite?.Hostname is not null)
            json["hostname"] = rewrite.Hostname;
        if (rewrite?.Path is { } path)
            json["path"] = PathModifier(path);
        return json;
    }

    private static JsonObject Redirect(RequestRedirect? redirect)
    {
        var json = new JsonObject();
        if (redirect is null)
            return json;
        if (redirect.Scheme is not null)
            json["scheme"] = redirect.Scheme;
        if (redirect.Hostname is not null)
            json["hostname"] = redirect.Hostname;
        if (redirect.Path is { } path)
            json["path"] = PathModifier(path);
        if (redirect.Port is { } port)
            json["port"] = port;
        json["statusCode"] = redirect.StatusCode;
        return json;
    }

    private static JsonObject PathModifier(PathModifier path) => path.Type == PathModifierType.ReplaceFullPath
        ? new JsonObject { ["type"] = "ReplaceFullPath", ["replaceFullPath"] = path.Value }
        : new JsonObject { ["type"] = "ReplacePrefixMatch", ["replacePrefixMatch"] = path.Value };

    private static JsonObject Backend(BackendRef backend, Resource route, IReadOnlyList<Resource> all, ExportWriter writer, string path)
    {
        var json = BackendTarget(backend, route, all, writer, path);
        json["weight"] = backend.Weight;
        return json;
    }

    /// <summary>A Service backendRef: Gateway API requires its port, which is the Meshwork service's port.</summary>
    private static JsonObject BackendTarget(BackendRef backend, Resource route, IReadOnlyList<Resource> all, ExportWriter writer, string path)
    {
        var ns = backend.Namespace ?? route.Metadata.Namespace;
        var service = all.OfType<Service>().FirstOrDefault(s => s.Metadata.Name == backend.Service && s.Metadata.Namespace == ns);
        if (backend.Version is not null)
        {
            writer.Warning($"{path}.version",
                $"Gateway API selects no versions (subsets): requests go to every version of '{backend.Service}'; with GAMMA, deploy a Service per version (e.g. '{backend.Service}-{backend.Version}') and name it instead");
        }
        var json = new JsonObject { ["name"] = backend.Service };
        if (backend.Namespace is not null)
            json["namespace"] = backend.Namespace;
        json["port"] = service?.Port ?? new Service { Metadata = route.Metadata }.Port;
        return json;
    }

    internal static JsonArray Array(IEnumerable<JsonNode?> items) => new(items.ToArray());
}
