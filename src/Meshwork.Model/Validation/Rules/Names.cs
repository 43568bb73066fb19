using System.Text.RegularExpressions;

namespace Meshwork.Model.Validation.Rules;

/// <summary>Name grammars from Kubernetes (DNS-1123, label keys) and HTTP (header tokens).</summary>
public static partial class Names
{
    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex DnsLabelShape();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex DnsSubdomainShape();

    // Kubernetes label name part and value: alphanumerics with '-', '_' and '.' inside.
    [GeneratedRegex("^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex LabelPartShape();

    // RFC 9110 token: the characters a header field name may use.
    [GeneratedRegex(@"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex TokenShape();

    // SPIFFE trust domain: lowercase letters, digits, '.', '-' and '_'.
    [GeneratedRegex("^[a-z0-9._-]+$", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex TrustDomainShape();

    public const string DnsLabelRule = "use 1-63 lowercase letters, digits or '-', starting and ending with a letter or digit";

    public static bool IsDnsLabel(string? value) => value is { Length: > 0 and <= 63 } && DnsLabelShape().IsMatch(value);

    public static bool IsDnsSubdomain(string? value) => value is { Length: > 0 and <= 253 } && DnsSubdomainShape().IsMatch(value);

    /// <summary>A host name, optionally with one leading "*." wildcard label (Gateway API hostnames).</summary>
    public static bool IsHostname(string? value) =>
        value is not null && IsDnsSubdomain(value.StartsWith("*.", StringComparison.Ordinal) ? value[2..] : value);

    public static bool IsHeaderName(string? value) => value is { Length: > 0 and <= 256 } && TokenShape().IsMatch(value);

    public static bool IsTrustDomain(string? value) =>
        value is { Length: > 0 and <= 255 } && TrustDomainShape().IsMatch(value) && !value.StartsWith('.') && !value.EndsWith('.') && !value.Contains("..");

    /// <summary>Kubernetes label key: optional DNS-subdomain prefix and '/', then a name of up to 63 characters.</summary>
    public static bool IsLabelKey(string? key)
    {
        if (string.IsNullOrEmpty(key))
            return false;
        var slash = key.IndexOf('/');
        var name = key;
        if (slash >= 0)
        {
            if (!IsDnsSubdomain(key[..slash]))
                return false;
            name = key[(slash + 1)..];
        }
        return name.Length is > 0 and <= 63 && LabelPartShape().IsMatch(name);
    }

    /// <summary>Kubernetes label value: empty, or up to 63 alphanumerics with '-', '_' and '.' inside.</summary>
    public static bool IsLabelValue(string value) => value.Length == 0 || (value.Length <= 63 && LabelPartShape().IsMatch(value));

    /// <summary>The methods Gateway API HTTPRoute matches accept.</summary>
    public static readonly IReadOnlyList<string> HttpMethods = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"];
}
