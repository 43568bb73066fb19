using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Meshwork.Testing.Processes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy.Tests.Http1;

/// <summary>
/// Real Kestrel (socket transport, default limits) that answers every request with what it parsed:
/// method, raw target, path, query, every header and the body length, as JSON with a Content-Length.
/// The differential fuzz compares the lean parser with it; the end-to-end tests compare what each
/// proxy engine delivered through it. Every echo is also kept, in arrival order.
/// </summary>
public sealed class EchoBackend : IAsyncDisposable
{
    private readonly WebApplication app;

    private EchoBackend(string name, int port, WebApplication app)
    {
        Name = name;
        Port = port;
        this.app = app;
    }

    /// <summary>Sent back in the x-echo response header.</summary>
    public string Name { get; }

    public int Port { get; }
    public string Address => $"127.0.0.1:{Port}";
    public ConcurrentQueue<Echo> Received { get; } = new();

    /// <summary>Requests whose handler started (before their body is read).</summary>
    public int Started => Volatile.Read(ref started);

    private int started;

    public static async Task<EchoBackend> StartAsync(string name = "echo")
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Loopback, port);
        });
        var app = builder.Build();
        var backend = new EchoBackend(name, port, app);
        app.Run(backend.HandleAsync);
        await app.StartAsync();
        return backend;
    }

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref started);
        var request = context.Request;
        long length = 0;
        var buffer = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(buffer)) > 0)
            length += read;
        var echo = new Echo(
            request.Method,
            context.Features.Get<IHttpRequestFeature>()!.RawTarget,
            request.Path.Value ?? "",
            request.QueryString.Value ?? "",
            request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            length,
            context.Connection.Id);
        Received.Enqueue(echo);
        var body = JsonSerializer.SerializeToUtf8Bytes(echo);
        context.Response.ContentType = "application/json";
        context.Response.Headers["x-echo"] = Name;
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}

public sealed record Echo(string Method, string RawTarget, string Path, string Query, Dictionary<string, string> Headers, long BodyLength, string ConnectionId);
