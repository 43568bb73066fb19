using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Meshwork.Testing.Processes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy.Tests.Transport;

/// <summary>
/// A real HTTP backend (Kestrel on a loopback port, in the test process) for the transport tests:
/// it hashes uploads of any size as they stream in, serves downloads of a fixed random pattern the
/// test can check byte by byte (or drops the connection part way), echoes an id, and records per tag how an upload ended and which
/// connection a download came on, and which connections are open (so a test can see the proxy let go of the
/// upstream side too).
/// </summary>
public sealed class BulkBackend : IAsyncDisposable
{
    public const int PatternLength = 8 * 1024 * 1024;

    /// <summary>What every download serves, repeated: random, so a lost, repeated or reordered chunk shows.</summary>
    public static readonly byte[] Pattern = RandomBytes(PatternLength, seed: 20261125);

    private readonly WebApplication app;

    private BulkBackend(int port, WebApplication app, ConcurrentDictionary<string, bool> openConnections)
    {
        Port = port;
        this.app = app;
        OpenConnections = openConnections;
    }

    public int Port { get; }
    public string Address => $"127.0.0.1:{Port}";

    /// <summary>Tag (the request's ?tag=) to what became of its upload.</summary>
    public ConcurrentDictionary<string, ExchangeState> Exchanges { get; } = new();

    /// <summary>Tag to the id of the connection its download came on.</summary>
    public ConcurrentDictionary<string, string> ConnectionOf { get; } = new();

    private ConcurrentDictionary<string, bool> OpenConnections { get; }

    public bool IsOpen(string connectionId) => OpenConnections.ContainsKey(connectionId);

    public static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>What /upload answers for a body: its length and SHA-256.</summary>
    public static string UploadReceipt(ReadOnlySpan<byte> body) =>
        $"{body.Length.ToString(CultureInfo.InvariantCulture)}:{Convert.ToHexString(SHA256.HashData(body))}";

    public static async Task<BulkBackend> StartAsync()
    {
        var port = FreePort.Next();
        var open = new ConcurrentDictionary<string, bool>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, port, listen => listen.Use(next => async connection =>
            {
                open[connection.ConnectionId] = true;
                try
                {
                    await next(connection);
                }
                finally
                {
                    open.TryRemove(connection.ConnectionId, out _);
                }
            }));
            kestrel.Limits.MaxRequestBodySize = null;
        });
        var app = builder.Build();
        var backend = new BulkBackend(port, app, open);
        app.MapPost("/upload", backend.UploadAsync);
        app.MapGet("/download", backend.DownloadAsync);
        app.MapGet("/echo", (string id) => Results.Text(id));
        await app.StartAsync();
        return backend;
    }

    private async Task UploadAsync(HttpContext context, string tag)
    {
        Exchanges[tag] = ExchangeState.Started;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[64 * 1024];
        long length = 0;
        try
        {
            int read;
            while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                length += read;
            }
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException or BadHttpRequestException)
        {
            Exchanges[tag] = ExchangeState.CutOff;
            return;
        }
        Exchanges[tag] = ExchangeState.Finished;
        await context.Response.WriteAsync($"{length.ToString(CultureInfo.InvariantCulture)}:{Convert.ToHexString(hash.GetHashAndReset())}");
    }

    /// <summary>The byte a download has at <paramref name="offset"/>.</summary>
    public static byte At(long offset) => Pattern[offset % PatternLength];

    /// <summary>Serves <paramref name="bytes"/> of the pattern; with <paramref name="abortAfter"/>, drops the connection after that many instead.</summary>
    private async Task DownloadAsync(HttpContext context, string tag, long bytes, long? abortAfter)
    {
        ConnectionOf[tag] = context.Connection.Id;
        context.Response.ContentLength = bytes;
        context.Response.ContentType = "application/octet-stream";
        // The pattern's length is a multiple of the chunk: no chunk wraps around.
        const int chunk = 64 * 1024;
        var end = Math.Min(bytes, abortAfter ?? bytes);
        for (long offset = 0; offset < end; offset += chunk)
            await context.Response.Body.WriteAsync(Pattern.AsMemory((int)(offset % PatternLength), (int)Math.Min(chunk, end - offset)), context.RequestAborted);
        if (abortAfter is not null)
        {
            await context.Response.Body.FlushAsync(context.RequestAborted);
            context.Abort();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}

public enum ExchangeState
{
    Started,
    Finished,
    CutOff,
}
