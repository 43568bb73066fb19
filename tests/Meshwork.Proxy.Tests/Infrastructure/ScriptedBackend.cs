using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using Meshwork.Testing.Processes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy.Tests.Infrastructure;

/// <summary>
/// A real HTTP backend (Kestrel on a loopback port, inside the test process) that the test scripts
/// step by step where the demo backend cannot: it records every request with its body and the TCP
/// connection it came on, fails the next N requests, holds requests until released, and answers
/// health probes one at a time when the test says pass or fail.
/// </summary>
public sealed class ScriptedBackend : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly Channel<HealthProbe> probes = Channel.CreateUnbounded<HealthProbe>();
    private TaskCompletionSource? hold;
    private int failNext;
    private int inFlight;
    private volatile bool healthy = true;
    private volatile bool gateProbes;

    private ScriptedBackend(string name, IPAddress address, int port, WebApplication app)
    {
        Name = name;
        BindAddress = address;
        Port = port;
        this.app = app;
    }

    public string Name { get; }
    public IPAddress BindAddress { get; }
    public int Port { get; }
    public string Address => $"{BindAddress}:{Port}";

    /// <summary>Every request other than health probes, in arrival order.</summary>
    public ConcurrentQueue<ReceivedRequest> Received { get; } = new();

    public int InFlight => Volatile.Read(ref inFlight);

    /// <summary>Starts on a free port of <paramref name="address"/> (loopback unless given).</summary>
    public static async Task<ScriptedBackend> StartAsync(string name, IPAddress? address = null)
    {
        var bindAddress = address ?? IPAddress.Loopback;
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(bindAddress, port));
        var app = builder.Build();
        var backend = new ScriptedBackend(name, bindAddress, port, app);
        app.Run(backend.HandleAsync);
        await app.StartAsync();
        return backend;
    }

    /// <summary>The next <paramref name="count"/> requests get 503.</summary>
    public void FailNext(int count) => Volatile.Write(ref failNext, count);

    /// <summary>From now on requests wait (after being recorded) until <see cref="Release"/>.</summary>
    public void Hold() => Volatile.Write(ref hold, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    public void Release() => Interlocked.Exchange(ref hold, null)?.TrySetResult();

    public void SetHealthy(bool value) => healthy = value;

    /// <summary>Health probes wait until the test answers each one (<see cref="NextProbeAsync"/>), or are answered at once from <see cref="SetHealthy"/>.</summary>
    public void GateProbes(bool value) => gateProbes = value;

    public async Task<HealthProbe> NextProbeAsync(CancellationToken cancellationToken) => await probes.Reader.ReadAsync(cancellationToken);

    private async Task HandleAsync(HttpContext context)
    {
        if (context.Request.Path == "/health")
        {
            var pass = healthy;
            if (gateProbes)
            {
                var probe = new HealthProbe();
                await probes.Writer.WriteAsync(probe);
                pass = await probe.Answer.Task;
            }
            context.Response.StatusCode = pass ? 200 : 503;
            return;
        }

        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync();
        // Counted before it is recorded: whoever sees the request also sees it in flight.
        Interlocked.Increment(ref inFlight);
        Received.Enqueue(new ReceivedRequest(context.Request.Method, context.Request.Path.Value ?? "/", body, context.Connection.Id, context.Request.Host.Value ?? ""));
        try
        {
            if (Volatile.Read(ref hold) is { } gate)
                await gate.Task;
        }
        finally
        {
            Interlocked.Decrement(ref inFlight);
        }
        var failing = Interlocked.Decrement(ref failNext) >= 0;
        context.Response.StatusCode = failing ? 503 : 200;
        context.Response.Headers["x-served-by"] = Name;
        await context.Response.WriteAsync(failing ? "scripted failure" : $"{Name} got {body.Length} bytes");
    }

    public async ValueTask DisposeAsync()
    {
        Release();
        // Probes still waiting for a verdict would hold the server's shutdown.
        gateProbes = false;
        while (probes.Reader.TryRead(out var probe))
            probe.Answer.TrySetResult(false);
        await app.StopAsync();
        await app.DisposeAsync();
    }
}

public sealed record ReceivedRequest(string Method, string Path, string Body, string ConnectionId, string Host);

/// <summary>One health probe waiting for the test's verdict.</summary>
public sealed class HealthProbe
{
    public TaskCompletionSource<bool> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
