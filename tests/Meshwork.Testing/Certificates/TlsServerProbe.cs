using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace Meshwork.Testing.Certificates;

/// <summary>
/// A bare TLS server on a loopback port presenting a given certificate (ALPN h2, as a gRPC server),
/// that counts the application bytes clients send after the handshake. A client that refuses the
/// certificate aborts the handshake and sends nothing, so <see cref="ApplicationBytes"/> stays 0
/// (the server may still count its own side of the handshake as done); one that accepts it sends at
/// least the HTTP/2 preface.
/// </summary>
public sealed class TlsServerProbe : IAsyncDisposable
{
    private readonly TcpListener listener;
    private readonly X509Certificate2 certificate;
    private readonly CancellationTokenSource stop = new();
    private readonly Task accepting;
    private long applicationBytes;

    private TlsServerProbe(X509Certificate2 certificate)
    {
        this.certificate = certificate;
        listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;
    public string Address => $"https://127.0.0.1:{Port}";
    public long ApplicationBytes => Interlocked.Read(ref applicationBytes);

    public static TlsServerProbe Start(X509Certificate2 certificate) => new(certificate);

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        await using (var tls = new SslStream(client.GetStream()))
        {
            try
            {
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificate = certificate,
                    ApplicationProtocols = [SslApplicationProtocol.Http2],
                    ClientCertificateRequired = false,
                }, stop.Token);
            }
            catch (Exception ex) when (ex is IOException or System.Security.Authentication.AuthenticationException or OperationCanceledException)
            {
                return;
            }
            var buffer = new byte[4096];
            try
            {
                int read;
                while ((read = await tls.ReadAsync(buffer, stop.Token)) > 0)
                    Interlocked.Add(ref applicationBytes, read);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
            {
                // The client went away (it refused the server late, or the test ended).
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        await accepting;
        stop.Dispose();
    }
}
