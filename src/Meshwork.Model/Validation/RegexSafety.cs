using System.Text.RegularExpressions;

namespace Meshwork.Model.Validation;

/// <summary>
/// How user regular expressions (path, header and query matches, the rollout's canary header) are
/// compiled and which ones are accepted. Proxies evaluate them on every request, on their event
/// loops, so they run with <see cref="RegexOptions.NonBacktracking"/>: matching is linear in the
/// input for every pattern, like Envoy's RE2, and no pattern can stall a loop (no timeout needed).
/// The price is the constructs a linear engine cannot run (backreferences, lookarounds, atomic
/// groups, conditionals, RightToLeft); RE2 refuses them too, so <see cref="Check"/> rejects them.
/// </summary>
public static class RegexSafety
{
    public const RegexOptions Options = RegexOptions.CultureInvariant | RegexOptions.NonBacktracking;

    public const int MaxLength = 1024;

    /// <summary>Null when <paramref name="pattern"/> can be compiled the way proxies compile it, else why not.</summary>
    public static string? Check(string pattern)
    {
        if (pattern.Length == 0)
            return "an empty regular expression matches everything; use a pathPrefix '/' match or leave the condition out";
        if (pattern.Length > MaxLength)
            return $"the regular expression is longer than {MaxLength} characters";
        try
        {
            // Both forms: the pattern alone must parse (so "a)|(b" cannot escape the full-match wrapper),
            // and the full-match form is what a proxy runs.
            _ = new Regex(pattern, RegexOptions.CultureInvariant);
            _ = Compile(pattern);
            return null;
        }
        catch (NotSupportedException ex)
        {
            return "the regular expression uses a construct that linear-time matching cannot run "
                + $"(backreferences, lookahead/lookbehind, atomic groups, conditionals and RightToLeft are not supported, as in Envoy's RE2): {ex.Message}";
        }
        catch (ArgumentException ex)
        {
            return $"not a valid regular expression: {ex.Message}";
        }
    }

    /// <summary>How proxies apply a user pattern: it must match the whole path or value, as with Envoy's RE2 full match.</summary>
    public static string FullMatch(string pattern) => "^(?:" + pattern + ")$";

    /// <summary>The compiled full-match form of a pattern <see cref="Check"/> accepted; throws for one it rejects.</summary>
    public static Regex Compile(string pattern) => new(FullMatch(pattern), Options);
}
