using Meshwork.Model.Resources;

namespace Meshwork.Model.Interop;

/// <summary>
/// Kubernetes Gateway API HTTPRoute (gateway.networking.k8s.io/v1, v1beta1), including GAMMA
/// routes whose parentRef is a Service. Our HttpRoute is modelled on it, so most fields map one
/// to one; defaults are the spec's (match path PathPrefix "/", backendRef weight 1, redirect 302).
/// </summary>
internal static class GatewayApiHttpRouteImporter
{
    private const string GatewayGroup = "gateway.networking.k8s.io";

    public static void Translate(DocumentReader document, ImportSession session)
    {
        if (document.MetadataAndSpec() is not var (metadata, spec))
            return;
        var route = new HttpRoute
        {
            Metadata = metadata,
            ParentRefs = spec.Items("parentRefs").Select(p => ParentRef(p, document)).OfType<ParentRef>().ToList(),
            Hostnames = spec.Strings("hostnames"),
            Rules = spec.Items("rules").Select(r => Rule(r, document)).ToList(),
        };
        if (route.ParentRefs.Count == 0 && !document.HasErrors)
            document.Error(spec.FieldPath("parentRefs"), "a route needs a parent: a Service (GAMMA, east/west) or a Gateway");
        session.Add(route, document);
    }

    private static ParentRef? ParentRef(SpecNode node, DocumentReader document)
    {
        var group = node.String("group") ?? GatewayGroup;
        var kind = node.String("kind") ?? "Gateway";
        node.Unsupported("sectionName", "a route attaches to the whole parent in Meshwork (no listener or port sections); ignored");
        // A Meshwork service has one port, so a Service parent's port names that port.
        node.Ignore("port");
        ParentKind? parentKind = (group, kind) switch
        {
            (GatewayGroup, "Gateway") => ParentKind.Gateway,
            ("" or "core", "Service") => ParentKind.Service,
            _ => null,
        };
        if (parentKind is null)
        {
            document.Warning(node.Path, $"a parent of kind '{kind}' in group '{group}' has no equivalent (only Gateway and Service); the parent is left out");
            return null;
        }
        var name = node.String("name");
        if (string.IsNullOrEmpty(name))
        {
            document.Error(node.FieldPath("name"), "is required");
            return null;
        }
        return new ParentRef { Kind = parentKind.Value, Name = name, Namespace = node.String("namespace") };
    }

    private static HttpRouteRule Rule(SpecNode node, DocumentReader document)
    {
        var filters = node.Items("filters").Select(f => Filter(f, document)).OfType<HttpRouteFilter>().ToList();
        return new HttpRouteRule
        {
            Name = node.String("name"),
            // The spec's default for an empty matches list is one match of PathPrefix "/": ours too.
            Matches = node.Items("matches").Select(m => Match(m, document)).ToList(),
            Filters = filters,
            BackendRefs = node.Items("backendRefs").Select(b => Backend(b, document, allowFilters: true)).OfType<BackendRef>().ToList(),
            Timeouts = Timeouts(node.Field("timeouts"), document),
        };
    }

    private static HttpRouteMatch Match(SpecNode node, DocumentReader document)
    {
        var path = node.Field("path");
        return new HttpRouteMatch
        {
            Path = path is null ? null : new PathMatch
            {
                Type = Enum<PathMatchType>(path, "type", document) ?? PathMatchType.PathPrefix,
                Value = path.String("value") ?? "/",
            },
            Method = node.String("method"),
            Headers = node.Items("headers").Select(h => new HeaderMatch
            {
                Type = Enum<StringMatchType>(h, "type", document) ?? StringMatchType.Exact,
                Name = h.String("name") ?? "",
                Value = h.String("value") ?? "",
            }).ToList(),
            QueryParams = node.Items("queryParams").Select(q => new QueryParamMatch
            {
                Type = Enum<StringMatchType>(q, "type", document) ?? StringMatchType.Exact,
                Name = q.String("name") ?? "",
                Value = q.String("value") ?? "",
            }).ToList(),
        };
    }

    private static HttpRouteFilter? Filter(SpecNode node, DocumentReader document)
    {
        var type = node.String("type");
        switch (type)
        {
            case "RequestHeaderModifier":
                return new HttpRouteFilter { Type = HttpRouteFilterType.RequestHeaderModifier, RequestHeaderModifier = HeaderModifier(node.Field("requestHeaderModifier")) };
            case "ResponseHeaderModifier":
                return new HttpRouteFilter { Type = HttpRouteFilterType.ResponseHeaderModifier, ResponseHeaderModifier = HeaderModifier(node.Field("responseHeaderModifier")) };
            case "URLRewrite":
                var rewrite = node.Field("urlRewrite");
                return new HttpRouteFilter
                {
                    Type = HttpRouteFilterType.UrlRewrite,
                    UrlRewrite = rewrite is null ? null : new UrlRewrite { Hostname = rewrite.String("hostname"), Path = PathModifier(rewrite.Field("path"), document) },
                };
            case "RequestRedirect":
                var redirect = node.Field("requestRedirect");
                return new HttpRouteFilter
                {
                    Type = HttpRouteFilterType.RequestRedirect,
                    RequestRedirect = redirect is null ? null : new RequestRedirect
                    {
                        Scheme = redirect.String("scheme"),
                        Hostname = redirect.String("hostname"),
                        Path = PathModifier(redirect.Field("path"), document),
                        Port = redirect.Int("port"),
                        StatusCode = redirect.Int("statusCode") ?? 302,
                    },
                };
            case "RequestMirror":
                var mirror = node.Field("requestMirror");
                if (mirror?.Field("backendRef") is not { } backendNode || Backend(backendNode, document, allowFilters: false) is not { } backend)
                {
                    document.Error(node.FieldPath("requestMirror.backendRef"), "is required");
                    return null;
                }
                return new HttpRouteFilter
                {
                    Type = HttpRouteFilterType.RequestMirror,
                    RequestMirror = new RequestMirror { BackendRef = backend with { Weight = 1 }, Percent = MirrorPercent(mirror, document) },
                };
            default:
                document.Warning(node.Path, type is null
                    ? "a filter without a type; ignored"
                    : $"filter type '{type}' has no equivalent in Meshwork (RequestHeaderModifier, ResponseHeaderModifier, URLRewrite, RequestRedirect and RequestMirror do); ignored");
                node.Ignore("extensionRef", "cors", "externalAuth", "requestHeaderModifier", "responseHeaderModifier", "urlRewrite", "requestRedirect", "requestMirror");
                return null;
        }
    }

    /// <summary>percent (v1.2+), or fraction numerator/denominator (denominator default 100); neither: every request.</summary>
    private static double MirrorPercent(SpecNode mirror, DocumentReader document)
    {
        if (mirror.Double("percent") is { } percent)
            return percent;
        if (mirror.Field("fraction") is { } fraction)
        {
            var numerator = fraction.Double("numerator") ?? 0;
            var denominator = fraction.Double("denominator") ?? 100;
            if (denominator > 0)
                return numerator / denominator * 100;
            document.Error(fraction.FieldPath("denominator"), "must be greater than 0");
        }
        return 100;
    }

    private static HeaderModifier HeaderModifier(SpecNode? node) => node is null ? new() : new HeaderModifier
    {
        Set = Headers(node, "set"),
        Add = Headers(node, "add"),
        Remove = node.Strings("remove"),
    };

    private static IReadOnlyList<HttpHeader> Headers(SpecNode node, string field) =>
        node.Items(field).Select(h => new HttpHeader { Name = h.String("name") ?? "", Value = h.String("value") ?? "" }).ToList();

    private static PathModifier? PathModifier(SpecNode? node, DocumentReader document)
    {
        if (node is null)
            return null;
        var type = Enum<PathModifierType>(node, "type", document);
        var full = node.String("replaceFullPath");
        var prefix = node.String("replacePrefixMatch");
        return type switch
        {
            PathModifierType.ReplaceFullPath => new PathModifier { Type = PathModifierType.ReplaceFullPath, Value = full ?? "/" },
            PathModifierType.ReplacePrefixMatch => new PathModifier { Type = PathModifierType.ReplacePrefixMatch, Value = prefix ?? "/" },
            _ => null,
        };
    }

    internal static BackendRef? Backend(SpecNode node, DocumentReader document, bool allowFilters)
    {
        var group = node.String("group") ?? "";
        var kind = node.String("kind") ?? "Service";
        // A Meshwork service has one port: the backend's port names it.
        node.Ignore("port", "name", "namespace", "weight");
        if (allowFilters)
            node.Unsupported("filters", "per-backend filters have no equivalent in Meshwork (filters apply to the whole rule); ignored");
        if (group is not ("" or "core") || kind != "Service")
        {
            document.Warning(node.Path, $"a backend of kind '{kind}' in group '{group}' has no equivalent (only Service); its share of requests goes to the rule's other backends");
            return null;
        }
        var name = node.String("name");
        if (string.IsNullOrEmpty(name))
        {
            document.Error(node.FieldPath("name"), "is required");
            return null;
        }
        return new BackendRef { Service = name, Namespace = node.String("namespace"), Weight = node.Int("weight") ?? 1 };
    }

    private static RouteTimeouts? Timeouts(SpecNode? node, DocumentReader document)
    {
        if (node is null)
            return null;
        var timeouts = new RouteTimeouts { Request = Timeout(node, "request", document), BackendRequest = Timeout(node, "backendRequest", document) };
        return timeouts is { Request: null, BackendRequest: null } ? null : timeouts;
    }

    /// <summary>"0s" disables a Gateway API timeout: no timeout of our own (MeshSettings.defaultRequestTimeout may still apply).</summary>
    private static TimeSpan? Timeout(SpecNode node, string field, DocumentReader document)
    {
        var value = node.Duration(field);
        if (value != TimeSpan.Zero)
            return value;
        document.Note(node.FieldPath(field), "0s disables the timeout: none is set (MeshSettings.defaultRequestTimeout applies if set)");
        return null;
    }

    /// <summary>Gateway API enum spelling (PathPrefix, RegularExpression) read into ours.</summary>
    private static T? Enum<T>(SpecNode node, string field, DocumentReader document) where T : struct, Enum
    {
        if (node.String(field) is not { } text)
            return null;
        if (System.Enum.TryParse<T>(text, ignoreCase: false, out var value) && System.Enum.IsDefined(value))
            return value;
        document.Error(node.FieldPath(field), $"'{text}' is not supported; use one of {string.Join(", ", System.Enum.GetNames<T>())}");
        return null;
    }
}
