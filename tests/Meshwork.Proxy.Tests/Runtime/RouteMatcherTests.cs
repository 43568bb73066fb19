using Meshwork.Model.Resources;
using Meshwork.Proxy.Runtime;
using Microsoft.AspNetCore.Http;

namespace Meshwork.Proxy.Tests.Runtime;

/// <summary>
/// Route regexes run on the non-backtracking engine. The patterns below make a backtracking engine
/// try an exponential number of ways through the first alternative before it may try the second; a
/// match timeout would then report "no match" for a request that does match. Linear matching gets
/// both answers right, and no timeout is involved.
/// </summary>
public sealed class RouteMatcherTests
{
    private static readonly string LongA = new('a', 64);

    [Fact]
    public void PathRegex_CatastrophicShape_MatchesCorrectly()
    {
        var matcher = new RouteMatcher(new HttpRouteMatch { Path = new PathMatch { Type = PathMatchType.RegularExpression, Value = "/(a+)+b|/a*!" } });

        Assert.True(matcher.Matches(Request(path: "/" + LongA + "!")));
        Assert.True(matcher.Matches(Request(path: "/" + LongA + "b")));
        Assert.False(matcher.Matches(Request(path: "/" + LongA + "?")));
    }

    [Fact]
    public void HeaderRegex_CatastrophicShape_MatchesCorrectly()
    {
        var matcher = new RouteMatcher(new HttpRouteMatch
        {
            Headers = [new HeaderMatch { Name = "x-user", Type = StringMatchType.RegularExpression, Value = "(a|aa)+b|a+!" }],
        });

        Assert.True(matcher.Matches(Request(header: LongA + "!")));
        Assert.False(matcher.Matches(Request(header: LongA + "c")));
    }

    [Fact]
    public void QueryRegex_CatastrophicShape_MatchesCorrectly()
    {
        var matcher = new RouteMatcher(new HttpRouteMatch
        {
            QueryParams = [new QueryParamMatch { Name = "q", Type = StringMatchType.RegularExpression, Value = "(a*)*b|a+x" }],
        });

        Assert.True(matcher.Matches(Request(query: LongA + "x")));
        Assert.False(matcher.Matches(Request(query: LongA + "y")));
    }

    private static HttpRequest Request(string path = "/", string? header = null, string? query = null)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Path = path;
        if (header is not null)
            context.Request.Headers["x-user"] = header;
        if (query is not null)
            context.Request.QueryString = QueryString.Create("q", query);
        return context.Request;
    }
}
