namespace Meshwork.Cli.Commands;

/// <summary>A unified-style line diff ("-" stored, "+" file), enough for reviewing a change before apply.</summary>
public static class TextDiff
{
    public static IReadOnlyList<string> Unified(string[] before, string[] after)
    {
        var n = before.Length;
        var m = after.Length;
        var lcs = new int[n + 1, m + 1];
        for (var i = n - 1; i >= 0; i--)
            for (var j = m - 1; j >= 0; j--)
                lcs[i, j] = before[i] == after[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
        var lines = new List<string>();
        int a = 0, b = 0;
        while (a < n || b < m)
        {
            if (a < n && b < m && before[a] == after[b])
            {
                lines.Add("  " + before[a]);
                a++;
                b++;
            }
            else if (b < m && (a == n || lcs[a, b + 1] >= lcs[a + 1, b]))
                lines.Add("+ " + after[b++]);
            else
                lines.Add("- " + before[a++]);
        }
        return lines;
    }
}
