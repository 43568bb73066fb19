using System.Text.Json;
using System.Text.Json.Nodes;

namespace Meshwork.Portal.Audit;

public enum DiffKind
{
    Same,
    Removed,
    Added,
    Changed,
}

/// <summary>One row of a side-by-side diff: the left (before) and right (after) line, either may be absent.</summary>
public sealed record DiffRow(DiffKind Kind, int? LeftNumber, string? Left, int? RightNumber, string? Right);

/// <summary>
/// Side-by-side line diff of two resource versions. Both are pretty-printed first (JSON is
/// canonical from the store, so equal content gives equal lines), then aligned by a longest
/// common subsequence; a removed line followed by an added one is shown as one changed row.
/// </summary>
public static class LineDiff
{
    public static IReadOnlyList<DiffRow> Compute(string? beforeJson, string? afterJson)
    {
        var left = Lines(beforeJson);
        var right = Lines(afterJson);
        var n = left.Length;
        var m = right.Length;
        var lcs = new int[n + 1, m + 1];
        for (var i = n - 1; i >= 0; i--)
            for (var j = m - 1; j >= 0; j--)
                lcs[i, j] = left[i] == right[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);

        var raw = new List<DiffRow>();
        int a = 0, b = 0;
        while (a < n || b < m)
        {
            if (a < n && b < m && left[a] == right[b])
            {
                raw.Add(new DiffRow(DiffKind.Same, a + 1, left[a], b + 1, right[b]));
                a++;
                b++;
            }
            else if (a < n && (b == m || lcs[a + 1, b] >= lcs[a, b + 1]))
            {
                // Removals first, so a removed line and its replacement pair up as one changed row.
                raw.Add(new DiffRow(DiffKind.Removed, a + 1, left[a], null, null));
                a++;
            }
            else
            {
                raw.Add(new DiffRow(DiffKind.Added, null, null, b + 1, right[b]));
                b++;
            }
        }
        return PairChanges(raw);
    }

    /// <summary>Pretty-printed JSON lines; empty for a missing side (a create's before, a delete's after).</summary>
    public static string[] Lines(string? json)
    {
        if (string.IsNullOrEmpty(json))
            return [];
        try
        {
            var node = JsonNode.Parse(json);
            return (node?.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) ?? "null").Split('\n');
        }
        catch (JsonException)
        {
            return json.Split('\n');
        }
    }

    private static List<DiffRow> PairChanges(List<DiffRow> rows)
    {
        var result = new List<DiffRow>(rows.Count);
        var i = 0;
        while (i < rows.Count)
        {
            if (rows[i].Kind != DiffKind.Removed)
            {
                result.Add(rows[i++]);
                continue;
            }
            var removed = new List<DiffRow>();
            while (i < rows.Count && rows[i].Kind == DiffKind.Removed)
                removed.Add(rows[i++]);
            var added = new List<DiffRow>();
            while (i < rows.Count && rows[i].Kind == DiffKind.Added)
                added.Add(rows[i++]);
            var pairs = Math.Min(removed.Count, added.Count);
            for (var k = 0; k < pairs; k++)
                result.Add(new DiffRow(DiffKind.Changed, removed[k].LeftNumber, removed[k].Left, added[k].RightNumber, added[k].Right));
            result.AddRange(removed.Skip(pairs));
            result.AddRange(added.Skip(pairs));
        }
        return result;
    }
}
