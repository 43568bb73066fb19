using System.Text;
using Meshwork.Proxy.Http1;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Meshwork.Proxy.Tests.Http1;

/// <summary>Every accept rule of the lean parser, each with the input just outside it falling back.</summary>
public sealed class LeanRequestParserTests
{
    internal static readonly LeanLimits Kestrel = FromKestrel(new KestrelServerLimits());

    internal static LeanLimits FromKestrel(KestrelServerLimits limits) =>
        new(limits.MaxRequestLineSize, limits.MaxRequestHeadersTotalSize, limits.MaxRequestHeaderCount);

    private static (LeanParse Result, LeanRequestHead? Head, string? Reason) Parse(string text, LeanLimits? limits = null)
    {
        var result = LeanRequestParser.Parse(Encoding.Latin1.GetBytes(text), limits ?? Kestrel, out var head, out var reason);
        return (result, head, reason);
    }

    [Fact]
    public void A_plain_get_is_accepted_with_what_it_says()
    {
        var text = "GET /a/b?x=1&y=%20z HTTP/1.1\r\nHost: svc.local:8080\r\nAccept:  text/plain \r\nConnection: keep-alive\r\n\r\nNEXT";
        var (result, head, _) = Parse(text);
        Assert.Equal(LeanParse.Accepted, result);
        Assert.Equal("GET", head!.Method);
        Assert.Equal("/a/b?x=1&y=%20z", head.Target);
        Assert.Equal("/a/b", head.Path);
        Assert.Equal("?x=1&y=%20z", head.Query);
        Assert.Equal("svc.local:8080", head.Host);
        Assert.Equal(0, head.ContentLength);
        Assert.False(head.Close);
        Assert.Equal("text/plain", head.Headers.Single(h => h.Key == "Accept").Value);
        Assert.Equal(text.Length - "NEXT".Length, head.Length);
    }

    [Fact]
    public void A_post_with_content_length_and_close_is_accepted()
    {
        var (result, head, _) = Parse("POST /submit HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\nConnection: Close\r\n\r\n");
        Assert.Equal(LeanParse.Accepted, result);
        Assert.Equal(12, head!.ContentLength);
        Assert.True(head.Close);
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("HEAD")]
    [InlineData("DELETE")]
    [InlineData("OPTIONS")]
    public void Every_bodiless_method_of_the_subset_is_accepted(string method) =>
        Assert.Equal(LeanParse.Accepted, Parse($"{method} / HTTP/1.1\r\nHost: a\r\n\r\n").Result);

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r")]
    [InlineData("GET / HTT")]
    [InlineData("")]
    public void A_head_not_yet_ended_asks_for_more(string text) => Assert.Equal(LeanParse.Incomplete, Parse(text).Result);

    [Theory]
    // Request line.
    [InlineData("CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n", "method")]
    [InlineData("get / HTTP/1.1\r\nHost: a\r\n\r\n", "method")]
    [InlineData("TRACE / HTTP/1.1\r\nHost: a\r\n\r\n", "method")]
    [InlineData("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "method")]
    [InlineData("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", "no target")]
    [InlineData("GET / HTTP/1.0\r\nHost: a\r\n\r\n", "not HTTP/1.1")]
    [InlineData("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", "not HTTP/1.1")]
    [InlineData("GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", "origin-form")]
    [InlineData("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", "origin-form")]
    [InlineData("GET /a%2Fb HTTP/1.1\r\nHost: a\r\n\r\n", "plain set")]
    [InlineData("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", "not HTTP/1.1")]
    [InlineData("GET /a#f HTTP/1.1\r\nHost: a\r\n\r\n", "plain set")]
    [InlineData("GET /a/../b HTTP/1.1\r\nHost: a\r\n\r\n", "not normal")]
    [InlineData("GET //a HTTP/1.1\r\nHost: a\r\n\r\n", "not normal")]
    [InlineData("GET /a?x=%2 HTTP/1.1\r\nHost: a\r\n\r\n", "malformed escape")]
    [InlineData("GET /a?x=\"q\" HTTP/1.1\r\nHost: a\r\n\r\n", "query byte")]
    // Line ends: bare LF, bare CR.
    [InlineData("GET / HTTP/1.1\nHost: a\r\n\r\n", "request line not ended by CRLF")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\n\r\n", "header line not ended by CRLF")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n\n", "header line not ended by CRLF")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", "VCHAR")]
    // Header lines.
    [InlineData("GET / HTTP/1.1\r\nHost : a\r\n\r\n", "token")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n", "without a name")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\tc: d\r\n\r\n", "token")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n", "without a name")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", "without a name")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\u0000c\r\n\r\n", "VCHAR")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nX-A: caf\u00e9\r\n\r\n", "VCHAR")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nX(A): b\r\n\r\n", "token")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nx-a: 2\r\n\r\n", "repeated header")]
    // Host.
    [InlineData("GET / HTTP/1.1\r\nX-A: b\r\n\r\n", "no host")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "repeated header")]
    [InlineData("GET / HTTP/1.1\r\nHost: \r\n\r\n", "host")]
    [InlineData("GET / HTTP/1.1\r\nHost: a@b\r\n\r\n", "host")]
    [InlineData("GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", "host")]
    [InlineData("GET / HTTP/1.1\r\nHost: a:123456\r\n\r\n", "host")]
    // Framing: Transfer-Encoding, Content-Length.
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", "Transfer-Encoding")]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", "Transfer-Encoding")]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", "repeated header")]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n", "plain digits")]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n", "plain digits")]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n\r\n", "plain digits")]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5 5\r\n\r\n", "plain digits")]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9223372036854775808\r\n\r\n", "plain digits")]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", "content-length 0")]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 012\r\n\r\n", "leading zero")]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\n\r\n", "without content-length")]
    // Hop-by-hop and the rest.
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n", "Expect")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", "Upgrade")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\n\r\n", "connection option")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nConnection: close, keep-alive\r\n\r\n", "connection option")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nKeep-Alive: 5\r\n\r\n", "Keep-Alive")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nTE: trailers\r\n\r\n", "TE")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nProxy-Connection: keep-alive\r\n\r\n", "Proxy-Connection")]
    public void Anything_outside_the_subset_falls_back(string text, string reason)
    {
        var (result, head, why) = Parse(text);
        Assert.Equal(LeanParse.Fallback, result);
        Assert.Null(head);
        Assert.Contains(reason, why, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_request_line_at_kestrels_limit_falls_back_and_one_below_is_accepted()
    {
        var limits = new LeanLimits(64, 1024, 10);
        var fits = "GET /" + new string('a', 64 - "GET / HTTP/1.1\r\n".Length - 1) + " HTTP/1.1\r\nHost: a\r\n\r\n";
        Assert.Equal(LeanParse.Accepted, Parse(fits, limits).Result);
        var over = "GET /" + new string('a', 64 - "GET / HTTP/1.1\r\n".Length) + " HTTP/1.1\r\nHost: a\r\n\r\n";
        Assert.Equal(LeanParse.Fallback, Parse(over, limits).Result);
        // No line end yet, but already as long as the limit: never accepted, so no point in waiting.
        Assert.Equal(LeanParse.Fallback, Parse("GET /" + new string('a', 64), limits).Result);
    }

    [Fact]
    public void Headers_at_kestrels_size_and_count_limits_fall_back()
    {
        var limits = new LeanLimits(8192, 64, 4);
        Assert.Equal(LeanParse.Accepted, Parse("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n", limits).Result);
        Assert.Equal("too many headers", Parse("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits).Reason);
        Assert.Equal("headers too large", Parse("GET / HTTP/1.1\r\nHost: a\r\nA: " + new string('x', 60) + "\r\n\r\n", limits).Reason);
        // An unfinished head already at the limit: Kestrel's to reject.
        Assert.Equal(LeanParse.Fallback, Parse("GET / HTTP/1.1\r\nHost: a\r\nA: " + new string('x', 70), limits).Result);
    }
}
