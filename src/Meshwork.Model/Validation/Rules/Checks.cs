using System.Globalization;
using Meshwork.Model.Resources;
using Meshwork.Model.Serialization;

namespace Meshwork.Model.Validation.Rules;

/// <summary>
/// The shared vocabulary of the validator: one method per kind of check, each with the one
/// message users see for it, so the same mistake reads the same everywhere.
/// </summary>
internal sealed class Checks(IssueCollector issues, ValidationContext context)
{
    /// <summary>Above this, a timeout or interval is a typo, not a plan.</summary>
    public static readonly TimeSpan DefaultMaxDuration = TimeSpan.FromHours(24);

    public IssueCollector Issues { get; } = issues;
    public ValidationContext Context { get; } = context ?? ValidationContext.Empty;

    public void Error(string path, string message) => Issues.Error(path, message);

    public void Warning(string path, string message) => Issues.Warning(path, message);

    public static string F(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>Reports a required value that is absent; true when present.</summary>
    public bool Required(string path, object? value)
    {
        if (value is null || value is string { Length: 0 })
        {
            Error(path, "is required");
            return false;
        }
        return true;
    }

    /// <summary>A required DNS-1123 label (names of resources, namespaces, versions, services).</summary>
    public bool DnsLabel(string path, string? value)
    {
        if (!Required(path, value))
            return false;
        if (Names.IsDnsLabel(value))
            return true;
        Error(path, $"'{value}' is not a valid name: {Names.DnsLabelRule}");
        return false;
    }

    /// <summary>An optional DNS-1123 label: null is fine, anything else must be valid.</summary>
    public bool OptionalDnsLabel(string path, string? value) => value is null || DnsLabel(path, value);

    public void Range(string path, long value, long min, long max)
    {
        if (value < min || value > max)
            Error(path, $"must be between {min} and {max}, was {value}");
    }

    public void AtLeast(string path, long value, long min)
    {
        if (value < min)
            Error(path, min == 1 ? $"must be at least 1, was {value}" : $"must be at least {min}, was {value}");
    }

    public void Percent(string path, double value)
    {
        if (!(value >= 0 && value <= 100))
            Error(path, $"must be a percentage between 0 and 100, was {F(value)}");
    }

    public void Port(string path, int value)
    {
        if (value is < 1 or > 65535)
            Error(path, $"must be a port between 1 and 65535, was {value}");
    }

    /// <summary>A duration that must be above zero and at most <paramref name="max"/> (default 24h).</summary>
    public void PositiveDuration(string path, TimeSpan value, TimeSpan? max = null, TimeSpan? min = null)
    {
        var lower = min ?? TimeSpan.Zero;
        if (value <= TimeSpan.Zero)
            Error(path, $"must be longer than 0s, was {Durations.Format(value)}");
        else if (value < lower)
            Error(path, $"must be at least {Durations.Format(lower)}, was {Durations.Format(value)}");
        else if (value > (max ?? DefaultMaxDuration))
            Error(path, $"must be at most {Durations.Format(max ?? DefaultMaxDuration)}, was {Durations.Format(value)}");
    }

    public void OptionalPositiveDuration(string path, TimeSpan? value, TimeSpan? max = null)
    {
        if (value is { } v)
            PositiveDuration(path, v, max);
    }

    /// <summary>An enum value that is one of the declared names (casts can produce others).</summary>
    public bool Defined<TEnum>(string path, TEnum value)
        where TEnum : struct, Enum
    {
        if (Enum.IsDefined(value))
            return true;
        var names = string.Join(", ", Enum.GetNames<TEnum>().Select(n => char.ToLowerInvariant(n[0]) + n[1..]));
        Error(path, $"'{value}' is not allowed here; use one of {names}");
        return false;
    }

    public void HeaderName(string path, string? value)
    {
        if (Required(path, value) && !Names.IsHeaderName(value))
            Error(path, $"'{value}' is not a valid header name: use letters, digits and !#$%&'*+-.^_`|~");
    }

    public void HttpMethod(string path, string? value)
    {
        if (value is null)
            return;
        if (!Names.HttpMethods.Contains(value, StringComparer.Ordinal))
            Error(path, $"'{value}' is not an HTTP method; use one of {string.Join(", ", Names.HttpMethods)}");
    }

    public void Hostname(string path, string? value)
    {
        if (Required(path, value) && !Names.IsHostname(value))
            Error(path, $"'{value}' is not a valid host name: use lowercase DNS labels separated by '.', optionally starting with '*.'");
    }

    /// <summary>A path a proxy compares with request paths: it must start with '/'.</summary>
    public void AbsolutePath(string path, string? value)
    {
        if (Required(path, value) && !value!.StartsWith('/'))
            Error(path, $"must start with '/', was '{value}'");
    }

    public void Regex(string path, string? value)
    {
        if (!Required(path, value))
            return;
        if (!_regexVerdicts.TryGetValue(value!, out var problem))
            _regexVerdicts[value!] = problem = RegexSafety.Check(value!);
        if (problem is not null)
            Error(path, problem);
    }

    /// <summary>Kubernetes-style labels: valid keys, valid values.</summary>
    public void Labels(string path, IReadOnlyDictionary<string, string>? labels)
    {
        if (labels is null)
            return;
        foreach (var (key, value) in labels)
        {
            var entryPath = ValidationPath.Key(path, key ?? "");
            if (!Names.IsLabelKey(key))
                Error(entryPath, $"'{key}' is not a valid label key: an optional DNS prefix and '/', then up to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit");
            else if (value is null)
                Error(entryPath, "a value is required (it may be empty)");
            else if (!Names.IsLabelValue(value))
                Error(entryPath, $"'{value}' is not a valid label value: up to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit");
        }
    }

    /// <summary>
    /// Bounds a list, as Gateway API's CRDs do (maxItems), so one resource cannot make the
    /// validator, the snapshot compiler or a proxy do unbounded work.
    /// </summary>
    public bool MaxItems<T>(string path, IReadOnlyList<T>? items, int max)
    {
        if (items is null || items.Count <= max)
            return true;
        Error(path, $"must have at most {max} items, has {items.Count}");
        return false;
    }

    /// <summary>Same pattern, same verdict: a route often repeats one regex across matches.</summary>
    private readonly Dictionary<string, string?> _regexVerdicts = new(StringComparer.Ordinal);

    /// <summary>Walks a list, reporting null items; calls <paramref name="each"/> with the path of every present item.</summary>
    public void Each<T>(string path, IReadOnlyList<T>? items, Action<string, T> each)
        where T : class
    {
        if (items is null)
            return;
        for (var i = 0; i < items.Count; i++)
        {
            var itemPath = ValidationPath.Index(path, i);
            if (items[i] is { } item)
                each(itemPath, item);
            else
                Error(itemPath, "must not be empty");
        }
    }

    /// <summary>Reports the second and later items sharing a key; items with a null key are skipped.</summary>
    public void NoDuplicates<T>(string path, IReadOnlyList<T?>? items, Func<T, string?> key, string field, string what, StringComparer? comparer = null, string note = "")
        where T : class
    {
        if (items is null)
            return;
        var first = new Dictionary<string, int>(comparer ?? StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i] is not { } item || key(item) is not { } k)
                continue;
            if (first.TryGetValue(k, out var earlier))
            {
                var itemPath = field.Length == 0 ? ValidationPath.Index(path, i) : ValidationPath.Field(ValidationPath.Index(path, i), field);
                Error(itemPath, $"duplicate {what} '{k}'{note}; {ValidationPath.Index(path, earlier)} has it too");
            }
            else
                first[k] = i;
        }
    }

    /// <summary>Reports a service the context does not know; returns it when known.</summary>
    /// <param name="namespaceSettable">Whether the reference has its own namespace field (backendRefs, parentRefs), which the hint then suggests.</param>
    public Service? KnownService(string path, string? name, string? ns, bool namespaceSettable = false)
    {
        if (!DnsLabel(path, name))
            return null;
        var service = Context.FindService(name, ns);
        if (service is null)
        {
            var elsewhere = Context.Services
                .Where(s => s?.Metadata is { } m && m.Name == name && m.Namespace != ns)
                .Select(s => s.Metadata.Namespace)
                .Distinct()
                .Order(StringComparer.Ordinal)
                .ToList();
            var fix = namespaceSettable ? "set namespace to use it" : "this resource must be in the service's namespace";
            var hint = elsewhere.Count == 0 ? "" : $"; there is one in namespace {string.Join(", ", elsewhere)} ({fix})";
            Error(path, $"unknown service '{name}' in namespace '{ns}'{hint}");
        }
        return service;
    }

    /// <summary>Reports a version <paramref name="service"/> does not define.</summary>
    public void KnownVersion(string path, Service service, string? version)
    {
        if (!DnsLabel(path, version))
            return;
        var versions = (service.Versions ?? []).Where(v => v?.Name is not null).Select(v => v.Name).ToList();
        if (versions.Contains(version!, StringComparer.Ordinal))
            return;
        var known = versions.Count == 0 ? "it defines no versions" : $"its versions are {string.Join(", ", versions)}";
        Error(path, $"service '{service.Metadata?.Name}' has no version '{version}'; {known}");
    }

    /// <summary>A backend (route backendRefs, mirror): the service and the version, if named, must exist.</summary>
    public void Backend(string path, BackendRef backend, string resourceNamespace)
    {
        var ns = backend.Namespace ?? resourceNamespace;
        OptionalDnsLabel(ValidationPath.Field(path, "namespace"), backend.Namespace);
        var service = KnownService(ValidationPath.Field(path, "service"), backend.Service, ns, namespaceSettable: true);
        if (backend.Version is not null && service is not null)
            KnownVersion(ValidationPath.Field(path, "version"), service, backend.Version);
        else if (backend.Version is not null)
            OptionalDnsLabel(ValidationPath.Field(path, "version"), backend.Version);
    }
}
