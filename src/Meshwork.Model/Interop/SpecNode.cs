using System.Globalization;
using Meshwork.Model.Serialization;
using Meshwork.Model.Serialization.Yaml;

namespace Meshwork.Model.Interop;

/// <summary>
/// A read cursor over one node of an upstream manifest. Every field a translator reads is
/// marked; whatever it never reads is reported by <see cref="ReportUnread"/> as a warning naming
/// its path, so a field without an equivalent can never be dropped silently, including fields of
/// upstream versions newer than this translator.
/// </summary>
internal sealed class SpecNode
{
    private readonly YamlTreeNode _node;
    private readonly DocumentReader _reader;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    // One cursor per field, however often it is asked for, so what one caller reads counts for all.
    private readonly Dictionary<string, SpecNode?> _fields = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyList<SpecNode>> _items = new(StringComparer.Ordinal);

    public SpecNode(YamlTreeNode node, string path, DocumentReader reader)
    {
        _node = node;
        Path = path;
        _reader = reader;
        if (node is YamlTreeMapping)
            reader.Track(this);
    }

    public string Path { get; }

    public bool IsMapping => _node is YamlTreeMapping;

    public string FieldPath(string name) => Path.Length == 0 ? name : $"{Path}.{name}";

    /// <summary>The field's node, marked as read; null when absent or null.</summary>
    public SpecNode? Field(string name)
    {
        _read.Add(name);
        if (_node is not YamlTreeMapping mapping)
            return null;
        if (_fields.TryGetValue(name, out var known))
            return known;
        var value = mapping.Entries.LastOrDefault(e => e.Key is YamlTreeScalar { Value: var k } && k == name).Value;
        return _fields[name] = value is null or YamlTreeScalar { IsNull: true } ? null : new SpecNode(value, FieldPath(name), _reader);
    }

    public bool Has(string name) =>
        _node is YamlTreeMapping mapping && mapping.Entries.Any(e => e.Key is YamlTreeScalar { Value: var k } && k == name
            && e.Value is not YamlTreeScalar { IsNull: true });

    /// <summary>Marks a field read without using it: bookkeeping Meshwork does not need (status, uid).</summary>
    public void Ignore(params string[] names)
    {
        foreach (var name in names)
            _read.Add(name);
    }

    /// <summary>Marks a field read and warns, with a reason, when it is present.</summary>
    public bool Unsupported(string name, string why)
    {
        _read.Add(name);
        if (!Has(name))
            return false;
        _reader.Warning(FieldPath(name), why);
        return true;
    }

    public string? Scalar()
    {
        if (_node is YamlTreeScalar scalar)
            return scalar.Value;
        _reader.Error(Path, "must be a single value, not a list or mapping");
        return null;
    }

    public string? String(string name) => Field(name)?.Scalar();

    public int? Int(string name)
    {
        var node = Field(name);
        if (node?.Scalar() is not { } text)
            return null;
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            return value;
        _reader.Error(node.Path, $"'{text}' is not a whole number");
        return null;
    }

    public double? Double(string name)
    {
        var node = Field(name);
        if (node?.Scalar() is not { } text)
            return null;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value))
            return value;
        _reader.Error(node.Path, $"'{text}' is not a number");
        return null;
    }

    public bool? Bool(string name)
    {
        var node = Field(name);
        if (node?.Scalar() is not { } text)
            return null;
        if (bool.TryParse(text, out var value))
            return value;
        _reader.Error(node.Path, $"'{text}' is not true or false");
        return null;
    }

    /// <summary>A Go / protobuf duration ("10s", "0.5s", "1h30m").</summary>
    public TimeSpan? Duration(string name)
    {
        var node = Field(name);
        if (node?.Scalar() is not { } text)
            return null;
        if (Durations.TryParse(text, out var value))
            return value;
        _reader.Error(node.Path, Durations.FormatError(text));
        return null;
    }

    /// <summary>The items of a list field; an absent field is an empty list.</summary>
    public IReadOnlyList<SpecNode> Items(string name)
    {
        if (_items.TryGetValue(name, out var known))
            return known;
        var node = Field(name);
        if (node is null)
            return _items[name] = [];
        if (node._node is not YamlTreeSequence sequence)
        {
            _reader.Error(node.Path, "must be a list");
            return _items[name] = [];
        }
        return _items[name] = sequence.Items.Select((item, i) => new SpecNode(item, $"{node.Path}[{i}]", _reader)).ToList();
    }

    public IReadOnlyList<string> Strings(string name) =>
        Items(name).Select(i => i.Scalar()).OfType<string>().ToList();

    /// <summary>A mapping field's entries (labels, Istio's header maps); every entry counts as read.</summary>
    public IReadOnlyList<(string Key, SpecNode Value)> Entries(string name)
    {
        var node = Field(name);
        if (node is null)
            return [];
        if (node._node is not YamlTreeMapping)
        {
            _reader.Error(node.Path, "must be a mapping");
            return [];
        }
        return node.EntriesOfSelf(bracketed: true);
    }

    /// <summary>This mapping's own entries, each marked read.</summary>
    public IReadOnlyList<(string Key, SpecNode Value)> EntriesOfSelf(bool bracketed = false)
    {
        if (_node is not YamlTreeMapping mapping)
            return [];
        var entries = new List<(string, SpecNode)>();
        foreach (var (key, value) in mapping.Entries)
        {
            if (key is not YamlTreeScalar { Value: var k })
                continue;
            _read.Add(k);
            entries.Add((k, new SpecNode(value, bracketed ? $"{Path}[\"{k}\"]" : FieldPath(k), _reader)));
        }
        return entries;
    }

    public IReadOnlyDictionary<string, string> StringMap(string name) =>
        Entries(name).Select(e => (e.Key, Value: e.Value.Scalar())).Where(e => e.Value is not null)
            .ToDictionary(e => e.Key, e => e.Value!, StringComparer.Ordinal);

    /// <summary>Every key present but never read: a warning each, named by its path.</summary>
    public void ReportUnread()
    {
        if (_node is not YamlTreeMapping mapping)
            return;
        foreach (var (key, value) in mapping.Entries)
        {
            if (key is YamlTreeScalar { Value: var k } && !_read.Contains(k) && value is not YamlTreeScalar { IsNull: true })
                _reader.Warning(FieldPath(k), "no equivalent in Meshwork; ignored");
        }
    }
}
