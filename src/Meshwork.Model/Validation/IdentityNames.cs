using Meshwork.Model.Validation.Rules;

namespace Meshwork.Model.Validation;

/// <summary>
/// The model's name rules for what a proxy or an operator names outside a resource document
/// (bootstrap token scopes, a proxy's Hello, the keys of its stats): the same grammars the
/// validator applies to resources, so nothing reaches the registry or a snapshot that a resource
/// could not have named.
/// </summary>
public static class IdentityNames
{
    /// <summary>The control plane's own namespace (its SPIFFE id is spiffe://TD/ns/meshwork-system/sa/control-plane): no proxy may claim it.</summary>
    public const string ReservedNamespace = "meshwork-system";

    /// <summary>Explicit wildcard in a bootstrap token's scope: any service, or any namespace except <see cref="ReservedNamespace"/>.</summary>
    public const string Wildcard = "*";

    public const string DnsLabelRule = Names.DnsLabelRule;

    public const string ProxyIdRule = "use 1-253 lowercase letters, digits, '-' or '.', starting and ending with a letter or digit";

    /// <summary>Services, namespaces and versions: a DNS-1123 label, as in resource metadata.</summary>
    public static bool IsDnsLabel(string? value) => Names.IsDnsLabel(value);

    /// <summary>A proxy id: a DNS-1123 subdomain (it becomes an instance id, a registry key and a log field).</summary>
    public static bool IsProxyId(string? value) => Names.IsDnsSubdomain(value);

    public static bool IsHostname(string? value) => Names.IsDnsSubdomain(value);

    public static bool IsLabelKey(string? value) => Names.IsLabelKey(value);

    public static bool IsLabelValue(string value) => Names.IsLabelValue(value);
}
