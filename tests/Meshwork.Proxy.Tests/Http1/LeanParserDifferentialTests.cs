using System.Text;
using Meshwork.Proxy.Http1;
using Xunit.Abstractions;

namespace Meshwork.Proxy.Tests.Http1;

/// <summary>
/// Differential fuzz of the lean parser against Kestrel: thousands of request heads, valid ones and
/// random mutations of them (line-end variants, space before the colon, obs-fold, repeated and
/// conflicting Content-Length, Transfer-Encoding variants, odd bytes, long heads), from a fixed seed.
/// Whenever the lean parser accepts a head, real Kestrel must accept the same bytes too and parse the
/// same method, target, headers and body length. (A fallback hands the bytes to Kestrel, so it is
/// always safe; the test only checks that fallbacks do not swallow the whole sample.)
/// </summary>
public sealed class LeanParserDifferentialTests(ITestOutputHelper output)
{
    private const int Samples = 4000;

    [Fact]
    public async Task Whatever_the_lean_parser_accepts_kestrel_parses_the_same()
    {
        await using var kestrel = await EchoBackend.StartAsync();
        var random = new Random(19_05);
        var accepted = 0;
        var fallbacks = new Dictionary<string, int>();
        for (var i = 0; i < Samples; i++)
        {
            var bytes = Mutate(random, ValidHead(random));
            var result = LeanRequestParser.Parse(bytes, LeanRequestParserTests.Kestrel, out var head, out var reason);
            if (result != LeanParse.Accepted)
            {
                var key = reason ?? "incomplete";
                fallbacks[key] = fallbacks.GetValueOrDefault(key) + 1;
                continue;
            }
            accepted++;
            var echo = await KestrelParseAsync(kestrel, bytes[..head!.Length], head, Escape(bytes));
            Assert.True(echo is not null, $"Kestrel rejected a head the lean parser accepted: {Escape(bytes)}");
            Assert.Equal(head.Method, echo.Method);
            Assert.Equal(head.Target, echo.RawTarget);
            Assert.Equal(head.Path, echo.Path);
            Assert.Equal(head.Query, echo.Query);
            Assert.Equal(head.ContentLength, echo.BodyLength);
            Assert.Equal(head.Headers.Count, echo.Headers.Count);
            foreach (var (name, value) in head.Headers)
                Assert.True(echo.Headers.TryGetValue(name, out var seen) && seen == value, $"header {name}: lean '{value}', Kestrel '{seen}' in {Escape(bytes)}");
        }
        output.WriteLine($"{accepted} of {Samples} accepted; fallbacks: {string.Join(", ", fallbacks.OrderByDescending(f => f.Value).Select(f => $"{f.Key} {f.Value}"))}");
        // The generator must exercise both sides, or the comparison proves little.
        Assert.InRange(accepted, Samples / 10, Samples - Samples / 10);
    }

    /// <summary>Kestrel's echo of one request (head, then the body it announces), or null when Kestrel rejected it.</summary>
    private static async Task<Echo?> KestrelParseAsync(EchoBackend kestrel, byte[] bytes, LeanRequestHead head, string label)
    {
        await using var connection = await RawHttpConnection.ConnectAsync(kestrel.Port);
        await connection.SendAsync(bytes);
        await connection.SendAsync(Enumerable.Repeat((byte)'b', (int)head.ContentLength).ToArray());
        var response = await connection.ReadResponseAsync(head: head.Method == "HEAD") ?? throw new InvalidOperationException($"Kestrel closed without answering {label}");
        // The echo as recorded (a HEAD response carries no body); requests here go one at a time.
        return response.Status == 200 && kestrel.Received.TryDequeue(out var echo) ? echo : null;
    }

    private static readonly string[] Methods = ["GET", "GET", "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"];
    private static readonly string[] Segments = ["a", "api", "v1", "users", "42", "x-y", "a.b", "~t", "a:b", "@", "q=1", "!$&'()*+,;="];
    private static readonly string[] Names = ["Accept", "User-Agent", "X-Request-Id", "traceparent", "Cookie", "X-A", "x_b", "If-None-Match", "Authorization", "Content-Type"];
    private static readonly string[] Values = ["*/*", "curl/8.5", "abc-123", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "a=1; b=2", "", "  padded  ", "\"etag\"", "Bearer x.y.z", "text/plain; charset=utf-8", "a\tb"];

    /// <summary>A head in the lean subset, with a body length to match when it has one.</summary>
    private static string ValidHead(Random random)
    {
        var method = Methods[random.Next(Methods.Length)];
        var path = "/" + string.Join('/', Enumerable.Range(0, random.Next(0, 4)).Select(_ => Segments[random.Next(Segments.Length)]));
        if (random.Next(3) == 0)
            path += "?" + string.Join('&', Enumerable.Range(0, random.Next(1, 3)).Select(_ => $"k{random.Next(9)}=v%2{random.Next(10)}"));
        var lines = new List<string> { $"Host: {(random.Next(2) == 0 ? "svc" : "svc.ns.svc.cluster.local:8080")}" };
        foreach (var name in Names.OrderBy(_ => random.Next()).Take(random.Next(0, 5)))
            lines.Add($"{name}: {Values[random.Next(Values.Length)]}");
        if (method is "POST" or "PUT" or "PATCH" || random.Next(6) == 0)
            lines.Add($"Content-Length: {random.Next(1, 40)}");
        if (random.Next(4) == 0)
            lines.Add($"Connection: {(random.Next(2) == 0 ? "keep-alive" : "close")}");
        lines = lines.OrderBy(_ => random.Next()).ToList();
        return $"{method} {path} HTTP/1.1\r\n{string.Concat(lines.Select(l => l + "\r\n"))}\r\n";
    }

    private static byte[] Mutate(Random random, string head)
    {
        var count = random.Next(4) == 0 ? 0 : random.Next(1, 4);
        for (var i = 0; i < count; i++)
            head = Mutation(random, head);
        return Encoding.Latin1.GetBytes(head);
    }

    private static string Mutation(Random random, string head)
    {
        var firstLineEnd = head.IndexOf("\r\n", StringComparison.Ordinal);
        var end = head.Length - 2;
        switch (random.Next(22))
        {
            case 0: return ReplaceOne(random, head, "\r\n", "\n");
            case 1: return ReplaceOne(random, head, "\r\n", "\r");
            case 2: return ReplaceOne(random, head, "\r\n", "\r\r\n");
            case 3: return ReplaceOne(random, head, ":", " :");
            case 4: return ReplaceOne(random, head, ": ", ":\t");
            case 5: return head.Insert(end, "X-Fold: a\r\n b\r\n");
            case 6: return head.Insert(end, "X-Fold: a\r\n\tb\r\n");
            case 7: return head.Insert(end, $"Content-Length: {random.Next(1, 40)}\r\n");
            case 8: return head.Insert(end, $"Content-Length: {Pick(random, "5, 5", "+5", "-1", "0x10", " 7 ", "07", "5 5", "", "18446744073709551616", "000000000000000003")}\r\n");
            case 9: return head.Insert(end, $"{Pick(random, "Transfer-Encoding", "transfer-encoding", "Transfer-Encoding ", "Transfer_Encoding")}: {Pick(random, "chunked", " chunked", "chunked, identity", "xchunked", "identity")}\r\n");
            case 10: return head.Insert(random.Next(head.Length + 1), ((char)random.Next(0, 256)).ToString());
            case 11: return head.Length > 1 ? head.Remove(random.Next(head.Length), 1) : head;
            case 12: return head.Insert(end, $"X-Long: {new string('l', random.Next(1, 4) * 12_000)}\r\n");
            case 13: return head.Insert(end, "Host: other\r\n");
            case 14: return RemoveLine(head, "Host:");
            case 15: return head.Replace(" HTTP/1.1\r\n", Pick(random, " HTTP/1.0\r\n", " HTTP/1.1 \r\n", " http/1.1\r\n", " HTTP/1.10\r\n", "  HTTP/1.1\r\n"));
            case 16: return head.Insert(head.IndexOf(' ') + 1, Pick(random, "http://svc", "*", "svc:80", "//", "/./", "/../", "/%2e", "/%00"));
            case 17: return Pick(random, "get", "Get", "CONNECT", "TRACE", "PRI", "GE T", "GET\t") + head[head.IndexOf(' ')..];
            case 18: return head.Insert(end, $"{Pick(random, "Expect: 100-continue", "Upgrade: h2c", "Connection: Upgrade", "Connection: close, te", "TE: trailers", "Keep-Alive: 1", "Proxy-Connection: close")}\r\n");
            case 19: return head.Insert(end, $"{Pick(random, "X-Ctl: a\u0001b", "X-Nul: a\u0000b", "X-Del: a\u007fb", "X-Latin: caf\u00e9", "X-Obs: \u00ff", "X-Sp: a b", "X-Tab:\tv\t")}\r\n");
            case 20: return head.Insert(firstLineEnd, Pick(random, "?q=a b", "?q=\"x\"", "?q=%zz", "?q=%41", "#frag", "?q=<x>", "?q=a|b", "?q={}"));
            default: return head.Insert(end, string.Concat(Enumerable.Range(0, 99).Select(n => $"X-N{n}: {n}\r\n")));
        }
    }

    private static string Pick(Random random, params string[] options) => options[random.Next(options.Length)];

    private static string ReplaceOne(Random random, string text, string from, string to)
    {
        var positions = new List<int>();
        for (var at = text.IndexOf(from, StringComparison.Ordinal); at >= 0; at = text.IndexOf(from, at + 1, StringComparison.Ordinal))
            positions.Add(at);
        if (positions.Count == 0)
            return text;
        var chosen = positions[random.Next(positions.Count)];
        return text[..chosen] + to + text[(chosen + from.Length)..];
    }

    private static string RemoveLine(string head, string prefix)
    {
        var start = head.IndexOf("\r\n" + prefix, StringComparison.OrdinalIgnoreCase);
        if (start < 0)
            return head;
        var end = head.IndexOf("\r\n", start + 2, StringComparison.Ordinal);
        return head[..start] + head[end..];
    }

    private static string Escape(byte[] bytes)
    {
        var text = new StringBuilder();
        foreach (var b in bytes.Take(400))
            text.Append(b is >= 0x20 and < 0x7F ? ((char)b).ToString() : $"\\x{b:X2}");
        return text.ToString();
    }
}
