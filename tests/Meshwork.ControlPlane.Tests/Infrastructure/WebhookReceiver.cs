using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Meshwork.ControlPlane.Tests.Infrastructure;

/// <summary>
/// A real HTTP endpoint (HttpListener on loopback) standing in for a rollout webhook: records every
/// request (headers and body) and answers with <see cref="Status"/>, or never answers while
/// <see cref="Hang"/> is set (until disposed). Each request is served on its own, so a hanging one
/// holds nothing else.
/// </summary>
public sealed class WebhookReceiver : IDisposable
{
    private readonly HttpListener listener = new();
    private readonly TaskCompletionSource released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public sealed record Received(string Body, string? Signature, string? Timestamp, DateTimeOffset At)
    {
        public JsonElement Json => JsonDocument.Parse(Body).RootElement;
        public string Event => Json.GetProperty("event").GetString()!;
        public string Rollout => Json.GetProperty("name").GetString()!;
    }

    public WebhookReceiver()
    {
        Port = FreePort.Next();
        listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        listener.Start();
        _ = Task.Run(AcceptAsync);
    }

    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}/hook";
    public volatile int Status = 200;
    public volatile string Answer = "";
    public volatile bool Hang;
    public ConcurrentQueue<Received> Requests { get; } = new();

    private async Task AcceptAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
            {
                return;
            }
            _ = Task.Run(() => ServeAsync(context));
        }
    }

    private async Task ServeAsync(HttpListenerContext context)
    {
        try
        {
            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            Requests.Enqueue(new Received(body, context.Request.Headers["X-Meshwork-Signature"], context.Request.Headers["X-Meshwork-Timestamp"], DateTimeOffset.UtcNow));
            if (Hang) await released.Task;
            context.Response.StatusCode = Status;
            var answer = Encoding.UTF8.GetBytes(Answer);
            await context.Response.OutputStream.WriteAsync(answer);
            context.Response.Close();
        }
        catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
        {
            // The caller gave up (its timeout) or the receiver is stopping.
        }
    }

    public void Dispose()
    {
        released.TrySetResult();
        listener.Close();
    }
}
