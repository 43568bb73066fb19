using System.Collections.Concurrent;
using System.Net;
using Grpc.Core;
using Meshwork.Testing.Processes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy.Tests.Grpc;

/// <summary>
/// A real gRPC server (Grpc.AspNetCore on Kestrel, cleartext HTTP/2 on a loopback port, inside the
/// test process): the app behind a sidecar. It takes the grpc-timeout header off each call after
/// noting it, so only the proxy enforces the deadline (Grpc.AspNetCore would enforce it too, and
/// the test could not tell which answered), and counts calls per name.
/// </summary>
public sealed class GrpcBackend : IAsyncDisposable
{
    public const string TrailerName = "x-greeter-trailer";
    private const string TimeoutItem = "grpc-timeout-seen";

    private readonly WebApplication app;

    private GrpcBackend(int port, WebApplication app)
    {
        Port = port;
        this.app = app;
    }

    public int Port { get; }
    public string Address => $"127.0.0.1:{Port}";

    /// <summary>Calls received per request name.</summary>
    public ConcurrentDictionary<string, int> Calls { get; } = new();

    public static async Task<GrpcBackend> StartAsync()
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        GrpcBackend? backend = null;
        builder.Services.AddSingleton(_ => backend!);
        var app = builder.Build();
        backend = new GrpcBackend(port, app);
        app.Use((context, next) =>
        {
            context.Items[TimeoutItem] = context.Request.Headers["grpc-timeout"].ToString();
            context.Request.Headers.Remove("grpc-timeout");
            return next(context);
        });
        app.MapGrpcService<GreeterService>();
        await app.StartAsync();
        return backend;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private sealed class GreeterService(GrpcBackend backend) : Greeter.GreeterBase
    {
        public override Task<HelloReply> SayHello(HelloRequest request, ServerCallContext context)
        {
            backend.Calls.AddOrUpdate(request.Name, 1, (_, n) => n + 1);
            context.ResponseTrailers.Add(TrailerName, "unary:" + request.Name);
            return Task.FromResult(Reply(request, context));
        }

        public override async Task SayHelloStream(HelloRequest request, IServerStreamWriter<HelloReply> responseStream, ServerCallContext context)
        {
            backend.Calls.AddOrUpdate(request.Name, 1, (_, n) => n + 1);
            for (var i = 0; i < request.Count; i++)
            {
                var reply = Reply(request, context);
                reply.Message = $"hello {request.Name} #{i}";
                await responseStream.WriteAsync(reply);
            }
            context.ResponseTrailers.Add(TrailerName, "stream:" + request.Name);
        }

        public override Task<HelloReply> Flaky(HelloRequest request, ServerCallContext context)
        {
            var calls = backend.Calls.AddOrUpdate(request.Name, 1, (_, n) => n + 1);
            if (calls <= request.FailTimes)
                throw new RpcException(new Status((StatusCode)request.FailStatus, $"failing call {calls} of {request.Name}"));
            return Task.FromResult(Reply(request, context));
        }

        public override async Task<HelloReply> Slow(HelloRequest request, ServerCallContext context)
        {
            backend.Calls.AddOrUpdate(request.Name, 1, (_, n) => n + 1);
            await Task.Delay(request.DelayMs, context.CancellationToken);
            return Reply(request, context);
        }

        public override async Task Chat(IAsyncStreamReader<HelloRequest> requestStream, IServerStreamWriter<HelloReply> responseStream, ServerCallContext context)
        {
            await foreach (var request in requestStream.ReadAllAsync(context.CancellationToken))
                await responseStream.WriteAsync(Reply(request, context));
        }

        private static HelloReply Reply(HelloRequest request, ServerCallContext context)
        {
            var http = context.GetHttpContext();
            return new HelloReply
            {
                Message = "hello " + request.Name,
                Protocol = http.Request.Protocol,
                GrpcTimeout = http.Items[TimeoutItem] as string ?? "",
            };
        }
    }
}
