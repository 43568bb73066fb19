using System.Text;
using System.Text.RegularExpressions;

namespace Meshwork.Model.Validation;

/// <summary>
/// Checks user regular expressions (path, header and query matches) before they reach a proxy.
/// Two defences against catastrophic backtracking, because a proxy evaluates them on every request:
/// 1. a static check rejects nested unbounded quantifiers such as <c>(a+)+</c> or <c>(\w*)*</c>,
///    the classic exponential shape; it is deterministic, so it is the primary rule;
/// 2. a probe matches the compiled pattern (with <see cref="MatchTimeout"/>) against short
///    adversarial inputs built from the pattern's own characters, which catches what the static
///    check cannot see, e.g. overlapping alternatives <c>(a|aa)+$</c>.
/// Proxies should compile with <see cref="Options"/> and <see cref="MatchTimeout"/> too.
/// </summary>
public static class RegexSafety
{
    public const RegexOptions Options = RegexOptions.CultureInvariant;

    /// <summary>The budget for one match in a proxy; generous for a linear pattern on a URL.</summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(50);

    /// <summary>The probe's budget: far above what a linear pattern needs on 40 characters.</summary>
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromMilliseconds(250);

    public const int MaxLength = 1024;

    /// <summary>Null when <paramref name="pattern"/> is safe to use, else why not.</summary>
    public static string? Check(string pattern)
    {
        if (pattern.Length == 0)
            return "an empty regular expression matches everything; use a pathPrefix '/' match or leave the condition out";
        if (pattern.Length > MaxLength)
            return $"the regular expression is longer than {MaxLength} characters";
        Regex regex, fullMatch;
        try
        {
            regex = new Regex(pattern, Options, ProbeTimeout);
            fullMatch = new Regex(FullMatch(pattern), Options, ProbeTimeout);
        }
        catch (ArgumentException ex)
        {
            return $"not a valid regular expression: {ex.Message}";
        }
        if (FindNestedQuantifier(pattern) is { } at)
            return $"the regular expression nests a repeated group inside a repetition (at character {at}), which can take exponential time to match (catastrophic backtracking); rewrite it without nested quantifiers";
        foreach (var input in ProbeInputs(pattern))
        {
            // A busy machine can stall one match past the budget; a catastrophic pattern times out every time.
            // Both forms: proxies match the whole value, and anchoring is what makes many patterns backtrack.
            foreach (var candidate in new[] { fullMatch, regex })
            {
                if (TimesOut(candidate, input) && TimesOut(candidate, input))
                    return "the regular expression takes too long to match a short input (catastrophic backtracking); simplify it";
            }
        }
        return null;
    }

    /// <summary>How proxies apply a user pattern: it must match the whole path or value, as with Envoy's RE2 full match.</summary>
    public static string FullMatch(string pattern) => "^(?:" + pattern + ")$";

    private static bool TimesOut(Regex regex, string input)
    {
        try
        {
            regex.IsMatch(input);
            return false;
        }
        catch (RegexMatchTimeoutException)
        {
            return true;
        }
    }

    /// <summary>
    /// Index of a repeated group whose body can match in many ways, or null: the group repeats
    /// without bound, contains an unbounded quantifier, and has a branch with no unrepeated
    /// character to anchor each iteration, as in <c>(a+)+</c>, <c>(\d+\.?)*</c> or <c>(.*)*</c>.
    /// <c>(/[a-z]+)*</c> passes: every iteration must consume a '/', so splits are unambiguous.
    /// </summary>
    internal static int? FindNestedQuantifier(string pattern)
    {
        var scanner = new NestedQuantifierScanner(pattern);
        scanner.ScanAlternation();
        return scanner.Found;
    }

    private sealed class NestedQuantifierScanner(string pattern)
    {
        private int _i;

        public int? Found { get; private set; }

        /// <summary>Scans branches until ')' or the end; the result describes the whole alternation.</summary>
        public (bool HasUnbounded, bool EveryBranchAnchored) ScanAlternation()
        {
            var hasUnbounded = false;
            var everyBranchAnchored = true;
            while (true)
            {
                var (branchUnbounded, branchAnchored) = ScanBranch();
                hasUnbounded |= branchUnbounded;
                everyBranchAnchored &= branchAnchored;
                if (_i < pattern.Length && pattern[_i] == '|')
                {
                    _i++;
                    continue;
                }
                return (hasUnbounded, everyBranchAnchored);
            }
        }

        private (bool HasUnbounded, bool Anchored) ScanBranch()
        {
            var hasUnbounded = false;
            var anchored = false;
            while (_i < pattern.Length && pattern[_i] is not ('|' or ')'))
            {
                var atomStart = _i;
                var (consumes, innerUnbounded, innerAnchored, isGroup) = ScanAtom();
                var (quantified, unbounded) = ScanQuantifier();
                if (isGroup && unbounded && innerUnbounded && !innerAnchored)
                    Found ??= atomStart;
                hasUnbounded |= innerUnbounded || unbounded;
                if (!quantified && consumes && (!isGroup || innerAnchored))
                    anchored = true;
            }
            return (hasUnbounded, anchored);
        }

        private (bool Consumes, bool InnerUnbounded, bool InnerAnchored, bool IsGroup) ScanAtom()
        {
            var c = pattern[_i];
            switch (c)
            {
                case '\\':
                    var escaped = _i + 1 < pattern.Length ? pattern[_i + 1] : ' ';
                    _i += 2;
                    return (escaped is not ('b' or 'B' or 'A' or 'z' or 'Z' or 'G'), false, true, false);
                case '[':
                    _i = SkipClass(pattern, _i) + 1;
                    return (true, false, true, false);
                case '^' or '$':
                    _i++;
                    return (false, false, false, false);
                case '(':
                    _i++;
                    var zeroWidth = false;
                    if (_i < pattern.Length && pattern[_i] == '?')
                    {
                        var rest = pattern.AsSpan(_i);
                        zeroWidth = rest.StartsWith("?=") || rest.StartsWith("?!") || rest.StartsWith("?<=") || rest.StartsWith("?<!");
                        SkipGroupPrefix();
                    }
                    var (innerUnbounded, innerAnchored) = ScanAlternation();
                    if (_i < pattern.Length && pattern[_i] == ')')
                        _i++;
                    return (!zeroWidth, innerUnbounded, innerAnchored && !zeroWidth, true);
                default:
                    _i++;
                    return (true, false, true, false);
            }
        }

        /// <summary>Skips "?:", "?&lt;name&gt;", "?'name'", "?=", "?!", "?&lt;=", "?&lt;!", "?&gt;" and inline options "?i:" / "?i)".</summary>
        private void SkipGroupPrefix()
        {
            _i++; // '?'
            if (_i >= pattern.Length)
                return;
            var c = pattern[_i];
            if (c is ':' or '=' or '!' or '>')
            {
                _i++;
                return;
            }
            if (c is '<' or '\'')
            {
                var close = c == '<' ? '>' : '\'';
                if (_i + 1 < pattern.Length && pattern[_i + 1] is '=' or '!')
                {
                    _i += 2;
                    return;
                }
                var end = pattern.IndexOf(close, _i + 1);
                _i = end < 0 ? pattern.Length : end + 1;
                return;
            }
            while (_i < pattern.Length && pattern[_i] is not (':' or ')'))
                _i++;
            if (_i < pattern.Length && pattern[_i] == ':')
                _i++;
        }

        /// <summary>Reads a quantifier if one follows: *, +, ?, {n}, {n,}, {n,m}, each optionally lazy.</summary>
        private (bool Quantified, bool Unbounded) ScanQuantifier()
        {
            if (_i >= pattern.Length)
                return (false, false);
            var length = QuantifierLength(pattern, _i, out var unbounded);
            if (length == 0 && pattern[_i] == '?')
                length = 1;
            if (length == 0)
                return (false, false);
            _i += length;
            if (_i < pattern.Length && pattern[_i] == '?')
                _i++;
            return (true, unbounded);
        }
    }

    private static int SkipClass(string pattern, int i)
    {
        var j = i + 1;
        if (j < pattern.Length && pattern[j] == '^')
            j++;
        if (j < pattern.Length && pattern[j] == ']')
            j++;
        for (; j < pattern.Length; j++)
        {
            if (pattern[j] == '\\')
                j++;
            else if (pattern[j] == ']')
                return j;
        }
        return pattern.Length;
    }

    /// <summary>Length of the quantifier at <paramref name="i"/> (0 if none); unbounded for *, + and {n,} / {n,m} with m > 1.</summary>
    private static int QuantifierLength(string pattern, int i, out bool unbounded)
    {
        unbounded = false;
        if (pattern[i] is '*' or '+')
        {
            unbounded = true;
            return 1;
        }
        if (pattern[i] != '{')
            return 0;
        var close = pattern.IndexOf('}', i);
        if (close < 0)
            return 0;
        var parts = pattern[(i + 1)..close].Split(',');
        if (parts.Length > 2 || !int.TryParse(parts[0], out var min))
            return 0;
        if (parts.Length == 1)
            unbounded = min > 1;
        else if (parts[1].Length == 0)
            unbounded = true;
        else if (int.TryParse(parts[1], out var max))
            unbounded = max > 1;
        else
            return 0;
        return close - i + 1;
    }

    /// <summary>Runs of the pattern's own literal characters ending in one that breaks the match: where backtracking explodes.</summary>
    private static IEnumerable<string> ProbeInputs(string pattern)
    {
        var literals = pattern.Where(char.IsLetterOrDigit).Distinct().Take(4).ToList();
        literals.AddRange(['a', '/', '-', ' ']);
        foreach (var c in literals.Distinct())
        {
            var sb = new StringBuilder();
            sb.Append(c, 40).Append('\u0001');
            yield return sb.ToString();
            yield return "/" + sb;
        }
    }
}
