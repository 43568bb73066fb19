using System.Text;
using Meshwork.Proxy.Http1;

namespace Meshwork.Proxy.Tests.Http1;

/// <summary>
/// The lean path's upstream response reading: what it relays, what it refuses (a 502 before any byte reaches the client).
/// The relay is incremental, so every case is fed whole, in 7-byte pieces and byte by byte, and must come out the same.
/// </summary>
public sealed class LeanResponseRelayTests
{
    private static readonly int[] Pieces = [int.MaxValue, 7, 1];

    private sealed record Relayed(int Status, bool UpstreamReusable, bool ClientMustClose, bool Started, string Client);

    /// <summary>Feeds the response as it would arrive, then the upstream's end of stream if the relay still wants bytes.</summary>
    private static Relayed Relay(string upstream, int piece, bool headRequest = false, bool clientClose = false)
    {
        var relay = new LeanResponseRelay();
        relay.Reset(headRequest, clientClose);
        var bytes = Encoding.Latin1.GetBytes(upstream);
        var pending = new List<byte>();
        using var client = new LeanBuffer(16);
        var offered = 0;
        try
        {
            while (!relay.IsDone)
            {
                if (offered == bytes.Length)
                {
                    relay.EndOfStream(pending.Count == 0);
                    break;
                }
                var take = Math.Min(piece, bytes.Length - offered);
                pending.AddRange(bytes.AsSpan(offered, take));
                offered += take;
                pending.RemoveRange(0, relay.Relay(pending.ToArray(), client, int.MaxValue));
            }
        }
        catch (IOException)
        {
            // What went to the client before the failure is part of the outcome.
            throw new RelayFailed(relay.Started, client.Length);
        }
        // Bytes after the response were never asked for: the lean path does not reuse such a connection.
        var reusable = relay.UpstreamReusable && pending.Count == 0 && offered == bytes.Length;
        return new Relayed(relay.Status, reusable, relay.ClientMustClose, relay.Started, Encoding.Latin1.GetString(client.Pending));
    }

    private sealed class RelayFailed(bool started, int clientBytes) : Exception
    {
        public bool Started { get; } = started;
        public int ClientBytes { get; } = clientBytes;
    }

    [Fact]
    public void A_counted_response_is_relayed_without_hop_by_hop_fields_and_leaves_the_connection_reusable()
    {
        foreach (var piece in Pieces)
        {
            var relayed = Relay("HTTP/1.1 201 Created\r\nContent-Length: 5\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nX-A: b\r\n\r\nhello", piece);
            Assert.Equal((201, true, false), (relayed.Status, relayed.UpstreamReusable, relayed.ClientMustClose));
            Assert.Equal("HTTP/1.1 201 Created\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello", relayed.Client);
        }
    }

    [Fact]
    public void A_chunked_response_is_relayed_chunk_by_chunk_with_its_trailer()
    {
        const string Body = "4;x=y\r\nwiki\r\n5\r\npedia\r\n0\r\nX-T: 1\r\n\r\n";
        foreach (var piece in Pieces)
        {
            var relayed = Relay("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + Body, piece);
            Assert.True(relayed.UpstreamReusable);
            Assert.EndsWith("\r\n\r\n" + Body, relayed.Client);
        }
    }

    [Fact]
    public void A_response_delimited_by_the_close_closes_the_client_connection_too()
    {
        foreach (var piece in Pieces)
        {
            var relayed = Relay("HTTP/1.0 200 OK\r\nX-A: b\r\n\r\nto the end", piece);
            Assert.Equal((200, false, true), (relayed.Status, relayed.UpstreamReusable, relayed.ClientMustClose));
            Assert.Equal("HTTP/1.1 200 OK\r\nX-A: b\r\nConnection: close\r\n\r\nto the end", relayed.Client);
        }
    }

    [Theory]
    [InlineData("HTTP/1.1 204 No Content\r\n\r\n", false)]
    [InlineData("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", false)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", true)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false)]
    public void Responses_without_a_body_end_at_their_head(string response, bool headRequest)
    {
        foreach (var piece in Pieces)
        {
            var relayed = Relay(response, piece, headRequest);
            Assert.True(relayed.UpstreamReusable);
            Assert.Equal(response, relayed.Client);
        }
    }

    [Fact]
    public void An_interim_response_is_relayed_before_the_final_one()
    {
        const string Response = "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        foreach (var piece in Pieces)
        {
            var relayed = Relay(Response, piece);
            Assert.Equal(200, relayed.Status);
            Assert.Equal(Response, relayed.Client);
        }
    }

    [Fact]
    public void A_client_that_asked_to_close_gets_connection_close_on_a_reusable_upstream_response()
    {
        var relayed = Relay("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", int.MaxValue, clientClose: true);
        Assert.Equal((true, true), (relayed.UpstreamReusable, relayed.ClientMustClose));
        Assert.Equal("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", relayed.Client);
    }

    [Fact]
    public void Bytes_after_the_response_make_the_connection_not_reusable()
    {
        foreach (var piece in Pieces)
            Assert.False(Relay("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n", piece).UpstreamReusable);
    }

    [Fact]
    public void Body_bytes_wait_while_the_client_buffer_is_at_its_limit()
    {
        var relay = new LeanResponseRelay();
        relay.Reset(headRequest: false, clientClose: false);
        using var client = new LeanBuffer(16);
        var response = Encoding.Latin1.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789");
        var headLength = response.Length - 10;
        // Room for the head and 4 body bytes: the rest stays with the upstream until the client buffer drains.
        var consumed = relay.Relay(response, client, headLength + 4);
        Assert.Equal(headLength + 4, consumed);
        Assert.False(relay.IsDone);
        client.Consume(client.Length);
        Assert.Equal(6, relay.Relay(response.AsSpan(consumed), client, 64));
        Assert.True(relay.IsDone);
        Assert.Equal("456789", Encoding.Latin1.GetString(client.Pending));
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
    [InlineData("HTTP/1.1 200 OK\r\nContent-Le")]
    public void A_malformed_head_is_refused_before_any_byte_reaches_the_client(string response)
    {
        foreach (var piece in Pieces)
        {
            var failed = Assert.Throws<RelayFailed>(() => Relay(response, piece));
            Assert.False(failed.Started);
            Assert.Equal(0, failed.ClientBytes);
        }
    }

    [Fact]
    public void An_upstream_that_closes_before_any_byte_is_told_apart_as_a_possibly_stale_connection()
    {
        var relay = new LeanResponseRelay();
        relay.Reset(headRequest: false, clientClose: false);
        Assert.Throws<LeanUpstreamClosedException>(() => relay.EndOfStream(nothingPending: true));
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\nok\r\n0\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokX0\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort")]
    public void A_body_that_breaks_its_framing_fails_the_relay(string response)
    {
        foreach (var piece in Pieces)
            Assert.True(Assert.Throws<RelayFailed>(() => Relay(response, piece)).Started);
    }
}
