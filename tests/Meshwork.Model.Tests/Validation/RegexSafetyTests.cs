using System.Text.RegularExpressions;
using Meshwork.Model.Validation;

namespace Meshwork.Model.Tests.Validation;

public class RegexSafetyTests
{
    private const string Unsupported = "the regular expression uses a construct that linear-time matching cannot run "
        + "(backreferences, lookahead/lookbehind, atomic groups, conditionals and RightToLeft are not supported, as in Envoy's RE2): ";

    [Theory]
    [InlineData("^/api(/[a-z0-9]+)*$")]
    [InlineData("^/reviews/[0-9]+$")]
    [InlineData("(ab)+")]
    [InlineData("(?:/[^/]+)+/?")]
    [InlineData("(?<id>[0-9]+)-(?<name>\\w+)")]
    [InlineData("(?i)gold|silver")]
    [InlineData(".*\\.json$")]
    [InlineData("\\bword\\b")]
    public void Accepts_LinearPattern(string pattern) => Assert.Null(RegexSafety.Check(pattern));

    /// <summary>The shapes that made a backtracking engine take exponential time: linear without backtracking, so accepted.</summary>
    [Theory]
    [InlineData("(a+)+$")]
    [InlineData("^(\\d+\\.?)*$")]
    [InlineData("(.*)*x")]
    [InlineData("(a|aa)+$")]
    [InlineData("(?:\\w+\\s?)+$")]
    public void Accepts_FormerlyCatastrophicShapes(string pattern) => Assert.Null(RegexSafety.Check(pattern));

    [Theory]
    [InlineData("(a)\\1")]
    [InlineData("(?<x>a)\\k<x>")]
    [InlineData("(?=a)a")]
    [InlineData("a(?!b)")]
    [InlineData("(?<=/api)/x")]
    [InlineData("(?<!x)y")]
    [InlineData("(?>a+)b")]
    [InlineData("(?(a)a|b)")]
    public void Rejects_ConstructsLinearMatchingCannotRun(string pattern) =>
        Assert.StartsWith(Unsupported, RegexSafety.Check(pattern));

    [Fact]
    public void Compile_RunsWithoutBacktrackingAndWithoutATimeout()
    {
        var regex = RegexSafety.Compile("(a+)+");
        Assert.True(regex.Options.HasFlag(RegexOptions.NonBacktracking));
        Assert.Equal(Regex.InfiniteMatchTimeout, regex.MatchTimeout);
    }

    [Fact]
    public void Compile_MatchesTheWholeValue()
    {
        var regex = RegexSafety.Compile("/api/.*");
        Assert.Matches(regex, "/api/x");
        Assert.DoesNotMatch(regex, "/v1/api/x");
    }

    [Fact]
    public void Rejects_EmptyPattern() =>
        Assert.Equal("an empty regular expression matches everything; use a pathPrefix '/' match or leave the condition out", RegexSafety.Check(""));

    [Fact]
    public void Rejects_VeryLongPattern() =>
        Assert.Equal("the regular expression is longer than 1024 characters", RegexSafety.Check(new string('a', 1025)));

    [Theory]
    [InlineData("(")]
    [InlineData("[a-")]
    [InlineData("a{2,1}")]
    [InlineData("*a")]
    [InlineData("a)|(b")]
    public void Rejects_InvalidSyntax(string pattern) =>
        Assert.StartsWith("not a valid regular expression: ", RegexSafety.Check(pattern));
}
