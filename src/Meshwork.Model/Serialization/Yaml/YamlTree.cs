using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Meshwork.Model.Serialization.Yaml;

/// <summary>
/// A YAML document as a plain tree with source positions. We build it from parser events
/// ourselves (rather than YamlStream) so one bad document does not hide the others, duplicate
/// keys become issues instead of exceptions, and alias expansion and depth stay bounded.
/// </summary>
internal abstract record YamlTreeNode(int Line, int Column);

internal sealed record YamlTreeScalar(string Value, bool IsPlain, int Line, int Column) : YamlTreeNode(Line, Column)
{
    /// <summary>Plain "null", "~" or nothing at all: YAML's null.</summary>
    public bool IsNull => IsPlain && Value is "" or "~" or "null" or "Null" or "NULL";
}

internal sealed record YamlTreeSequence(IReadOnlyList<YamlTreeNode> Items, int Line, int Column) : YamlTreeNode(Line, Column);

internal sealed record YamlTreeMapping(IReadOnlyList<KeyValuePair<YamlTreeNode, YamlTreeNode>> Entries, int Line, int Column)
    : YamlTreeNode(Line, Column);

/// <summary>A document of the stream: its tree, or the reason it could not be built.</summary>
internal sealed record YamlTreeDocument(int Index, YamlTreeNode? Root, string? Error);

internal static class YamlTreeReader
{
    /// <summary>Deeper than any resource; bounds recursion on hostile input.</summary>
    private const int MaxDepth = 64;

    /// <summary>Far deeper than any resource, low enough that the scanner stays fast.</summary>
    public const int MaxFlowNesting = 512;

    /// <summary>
    /// YamlDotNet's scanner takes time quadratic in the nesting of flow collections ("[[[[...")
    /// (20,000 levels: 1.5 s; 200,000: minutes), so such text is refused before parsing. Counting
    /// brackets without regard to quotes can only overestimate depth for text with hundreds of
    /// unbalanced brackets in strings, which no resource has. Returns the line where the depth
    /// first exceeds <see cref="MaxFlowNesting"/>, or null.
    /// </summary>
    public static int? FindExcessiveFlowNesting(string text)
    {
        var depth = 0;
        var line = 1;
        foreach (var c in text)
        {
            switch (c)
            {
                case '\n':
                    line++;
                    break;
                case '[' or '{':
                    if (++depth > MaxFlowNesting)
                        return line;
                    break;
                case ']' or '}':
                    depth = Math.Max(0, depth - 1);
                    break;
            }
        }
        return null;
    }

    /// <summary>
    /// Reads every document. A syntax error ends the stream (the parser cannot resynchronise),
    /// so it is reported on the document it occurred in and nothing after it is read.
    /// </summary>
    public static IReadOnlyList<YamlTreeDocument> ReadAll(string text)
    {
        var documents = new List<YamlTreeDocument>();
        var parser = new TrackingParser(new Parser(new StringReader(text)));
        var index = 0;
        try
        {
            parser.Consume<StreamStart>();
            while (!parser.Accept<StreamEnd>(out _))
            {
                parser.Consume<DocumentStart>();
                var anchors = new Dictionary<string, YamlTreeNode>();
                string? error = null;
                YamlTreeNode? root = null;
                if (!parser.Accept<DocumentEnd>(out _))
                    root = ReadNode(parser, anchors, 0, ref error);
                parser.Consume<DocumentEnd>();
                documents.Add(new YamlTreeDocument(index, error is null ? root : null, error));
                index++;
            }
        }
        catch (YamlException ex)
        {
            documents.Add(new YamlTreeDocument(index, null, $"not valid YAML at line {ex.Start.Line}, column {ex.Start.Column}: {Describe(ex)}"));
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or IndexOutOfRangeException)
        {
            // YamlDotNet's scanner throws these on some malformed input instead of a YamlException.
            documents.Add(new YamlTreeDocument(index, null,
                $"not valid YAML after line {parser.LastGood.Line}, column {parser.LastGood.Column}: check the indentation, brackets and quotes there"));
        }
        return documents;
    }

    /// <summary>Remembers where the last successfully parsed event ended, to locate errors the scanner does not.</summary>
    private sealed class TrackingParser(IParser inner) : IParser
    {
        public Mark LastGood { get; private set; } = Mark.Empty;

        public ParsingEvent? Current => inner.Current;

        public bool MoveNext()
        {
            if (inner.Current is { } current)
                LastGood = current.End;
            return inner.MoveNext();
        }
    }

    private static string Describe(YamlException ex)
    {
        // YamlDotNet prefixes messages with "(Line: 1, Col: 2, ...): "; we say where ourselves.
        var message = ex.Message;
        var cut = message.IndexOf("): ", StringComparison.Ordinal);
        return cut >= 0 && message.StartsWith('(') ? message[(cut + 3)..] : message;
    }

    private static YamlTreeNode ReadNode(IParser parser, Dictionary<string, YamlTreeNode> anchors, int depth, ref string? error)
    {
        var current = parser.Current ?? throw new YamlException("unexpected end of the stream");
        var mark = current.Start;
        if (depth > MaxDepth)
        {
            error ??= $"nested more than {MaxDepth} levels deep at line {mark.Line}";
            parser.SkipThisAndNestedEvents();
            return new YamlTreeScalar("", true, (int)mark.Line, (int)mark.Column);
        }

        switch (current)
        {
            case AnchorAlias alias:
                parser.MoveNext();
                if (anchors.TryGetValue(alias.Value.Value, out var target))
                    return target;
                error ??= $"line {mark.Line}: the alias *{alias.Value.Value} names no anchor";
                return new YamlTreeScalar("", true, (int)mark.Line, (int)mark.Column);

            case Scalar scalar:
                parser.MoveNext();
                return Remember(scalar.Anchor, anchors,
                    new YamlTreeScalar(scalar.Value, scalar.Style is ScalarStyle.Plain or ScalarStyle.Any, (int)mark.Line, (int)mark.Column));

            case SequenceStart start:
            {
                parser.MoveNext();
                var items = new List<YamlTreeNode>();
                while (!parser.Accept<SequenceEnd>(out _))
                    items.Add(ReadNode(parser, anchors, depth + 1, ref error));
                parser.MoveNext();
                return Remember(start.Anchor, anchors, new YamlTreeSequence(items, (int)mark.Line, (int)mark.Column));
            }

            case MappingStart start:
            {
                parser.MoveNext();
                var entries = new List<KeyValuePair<YamlTreeNode, YamlTreeNode>>();
                while (!parser.Accept<MappingEnd>(out _))
                {
                    var key = ReadNode(parser, anchors, depth + 1, ref error);
                    var value = ReadNode(parser, anchors, depth + 1, ref error);
                    entries.Add(new(key, value));
                }
                parser.MoveNext();
                return Remember(start.Anchor, anchors, new YamlTreeMapping(entries, (int)mark.Line, (int)mark.Column));
            }

            default:
                throw new YamlException(mark, current.End, $"unexpected {current.GetType().Name}");
        }
    }

    private static YamlTreeNode Remember(AnchorName anchor, Dictionary<string, YamlTreeNode> anchors, YamlTreeNode node)
    {
        if (!anchor.IsEmpty)
            anchors[anchor.Value] = node;
        return node;
    }
}
