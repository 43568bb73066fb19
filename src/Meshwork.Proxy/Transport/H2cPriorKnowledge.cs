using System.Buffers;
using System.IO.Pipelines;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Meshwork.Proxy.Transport;

/// <summary>
/// HTTP/2 with prior knowledge (h2c, RFC 9113 section 3.3) beside HTTP/1.1 on one cleartext
/// listener, which is how gRPC apps speak to a local proxy. Kestrel (.NET 10) serves a cleartext
/// endpoint with both protocols as HTTP/1.1 only: without TLS there is no ALPN to choose by
/// (dotnet/aspnetcore#56984). This connection middleware looks at the first 24 bytes: the HTTP/2
/// client preface selects HTTP/2, by telling Kestrel's protocol selection that "h2" was negotiated;
/// anything else is left to HTTP/1.1. Nothing is consumed, so Kestrel reads the same bytes. A
/// connection that sends nothing is closed after Kestrel's keep-alive timeout, or when the server stops, as Kestrel would.
/// </summary>
public static class H2cPriorKnowledge
{
    private static readonly byte[] Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();

    public static void Use(ListenOptions listen, TimeSpan firstBytesTimeout) => listen.Use(next => async connection =>
    {
        bool http2;
        try
        {
            // Also ended when the server stops (Kestrel's graceful close request): a connection that has sent
            // nothing would otherwise hold the stop until the host's shutdown timeout.
            var stopping = connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? CancellationToken.None;
            using var waiting = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed, stopping);
            waiting.CancelAfter(firstBytesTimeout);
            http2 = await StartsWithPrefaceAsync(connection.Transport.Input, waiting.Token);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ConnectionResetException or ConnectionAbortedException)
        {
            return;
        }
        if (http2)
        {
            var negotiated = new NegotiatedHttp2();
            connection.Features.Set<ITlsConnectionFeature>(negotiated);
            connection.Features.Set<ITlsApplicationProtocolFeature>(negotiated);
        }
        await next(connection);
    });

    private static async ValueTask<bool> StartsWithPrefaceAsync(PipeReader input, CancellationToken cancellationToken)
    {
        var head = new byte[Preface.Length];
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            var length = (int)Math.Min(buffer.Length, Preface.Length);
            buffer.Slice(0, length).CopyTo(head);
            var matches = head.AsSpan(0, length).SequenceEqual(Preface.AsSpan(0, length));
            if (!matches || length == Preface.Length || result.IsCompleted)
            {
                // Nothing consumed or examined: Kestrel's next read returns these bytes at once.
                input.AdvanceTo(buffer.Start);
                return matches && length == Preface.Length;
            }
            // A prefix of the preface so far: wait for more bytes.
            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>
    /// What Kestrel's protocol selection reads: "h2" as if from ALPN. The connection stays
    /// cleartext: there is no certificate, no handshake feature (HTTP/2's TLS checks skip a
    /// connection without one), and requests keep the scheme they declare (AllowAlternateSchemes).
    /// </summary>
    private sealed class NegotiatedHttp2 : ITlsConnectionFeature, ITlsApplicationProtocolFeature
    {
        private static readonly ReadOnlyMemory<byte> H2 = "h2"u8.ToArray();

        public X509Certificate2? ClientCertificate { get; set; }
        public ReadOnlyMemory<byte> ApplicationProtocol => H2;
        public Task<X509Certificate2?> GetClientCertificateAsync(CancellationToken cancellationToken) => Task.FromResult<X509Certificate2?>(null);
    }
}
