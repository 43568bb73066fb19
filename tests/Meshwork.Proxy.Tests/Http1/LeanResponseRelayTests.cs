using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Meshwork.Proxy.Http1;

namespace Meshwork.Proxy.Tests.Http1;

/// <summary>The lean path's upstream response reading: what it relays, what it refuses (a 502 before any byte reaches the client).</summary>
public sealed class LeanResponseRelayTests
{
    private static async Task<(LeanRelayed Relayed, string Client)> RelayAsync(string upstream, bool headRequest = false, bool clientClose = false)
    {
        using var connection = new LeanUpstream(new MemoryStream(Encoding.Latin1.GetBytes(upstream)));
        var client = new Pipe();
        var relayed = await LeanResponseRelay.RelayAsync(connection, client.Writer, headRequest, clientClose, new LeanProgress(), CancellationToken.None);
        await client.Writer.CompleteAsync();
        var read = await client.Reader.ReadAtLeastAsync(int.MaxValue);
        return (relayed, Encoding.Latin1.GetString(read.Buffer.ToArray()));
    }

    [Fact]
    public async Task A_counted_response_is_relayed_without_hop_by_hop_fields_and_leaves_the_connection_reusable()
    {
        var (relayed, client) = await RelayAsync("HTTP/1.1 201 Created\r\nContent-Length: 5\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nX-A: b\r\n\r\nhello");
        Assert.Equal(new LeanRelayed(201, UpstreamReusable: true, ClientMustClose: false), relayed);
        Assert.Equal("HTTP/1.1 201 Created\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello", client);
    }

    [Fact]
    public async Task A_chunked_response_is_relayed_chunk_by_chunk_with_its_trailer()
    {
        const string Body = "4;x=y\r\nwiki\r\n5\r\npedia\r\n0\r\nX-T: 1\r\n\r\n";
        var (relayed, client) = await RelayAsync("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + Body);
        Assert.True(relayed.UpstreamReusable);
        Assert.EndsWith("\r\n\r\n" + Body, client);
    }

    [Fact]
    public async Task A_response_delimited_by_the_close_closes_the_client_connection_too()
    {
        var (relayed, client) = await RelayAsync("HTTP/1.0 200 OK\r\nX-A: b\r\n\r\nto the end");
        Assert.Equal(new LeanRelayed(200, UpstreamReusable: false, ClientMustClose: true), relayed);
        Assert.Equal("HTTP/1.1 200 OK\r\nX-A: b\r\nConnection: close\r\n\r\nto the end", client);
    }

    [Theory]
    [InlineData("HTTP/1.1 204 No Content\r\n\r\n", false)]
    [InlineData("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", false)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", true)]
    public async Task Responses_without_a_body_end_at_their_head(string response, bool headRequest)
    {
        var (relayed, client) = await RelayAsync(response, headRequest);
        Assert.True(relayed.UpstreamReusable);
        Assert.Equal(response, client);
    }

    [Fact]
    public async Task An_interim_response_is_relayed_before_the_final_one()
    {
        var (relayed, client) = await RelayAsync("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        Assert.Equal(200, relayed.Status);
        Assert.Equal("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", client);
    }

    [Fact]
    public async Task Bytes_after_the_response_make_the_connection_not_reusable()
    {
        var (relayed, _) = await RelayAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n");
        Assert.False(relayed.UpstreamReusable);
    }

    [Theory]
    [InlineData("HTTP/1.1 2000 OK\r\n\r\n")]
    [InlineData("HTTP/2 200 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 200OK\r\n\r\n")]
    [InlineData("HTTP/1.1 099 Low\r\n\r\n")]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\nContent-Length: 2\r\n\r\nok")]
    [InlineData("HTTP/1.1 200 OK\r\nNo colon\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok")]
    [InlineData("HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\nok")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n")]
    [InlineData("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nX-A: a\u0000b\r\n\r\n")]
    public async Task A_malformed_head_is_refused_before_any_byte_reaches_the_client(string response)
    {
        using var connection = new LeanUpstream(new MemoryStream(Encoding.Latin1.GetBytes(response)));
        var client = new Pipe();
        var progress = new LeanProgress();
        await Assert.ThrowsAsync<LeanUpstreamException>(async () =>
            await LeanResponseRelay.RelayAsync(connection, client.Writer, headRequest: false, clientClose: false, progress, CancellationToken.None));
        Assert.False(progress.Started);
        Assert.Equal(0, client.Writer.UnflushedBytes);
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\nok\r\n0\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokX0\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort")]
    public async Task A_body_that_breaks_its_framing_fails_the_relay(string response)
    {
        using var connection = new LeanUpstream(new MemoryStream(Encoding.Latin1.GetBytes(response)));
        var progress = new LeanProgress();
        await Assert.ThrowsAnyAsync<IOException>(async () =>
            await LeanResponseRelay.RelayAsync(connection, new Pipe().Writer, headRequest: false, clientClose: false, progress, CancellationToken.None));
        Assert.True(progress.Started);
    }
}
