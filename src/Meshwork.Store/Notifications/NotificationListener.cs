using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Meshwork.Store;

/// <summary>
/// LISTENs on one PostgreSQL channel on a dedicated connection and publishes what arrives, parsed,
/// to <see cref="Changes"/>. When the connection drops it reconnects with backoff and publishes
/// the resync message, because anything notified meanwhile was not delivered. Pattern for
/// consumers: start, load the state, then apply changes.
/// </summary>
public class NotificationListener<T> : IAsyncDisposable where T : class
{
    private static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);

    private readonly string connectionString;
    private readonly string channelName;
    private readonly Func<string, T?> parse;
    private readonly T resync;
    private readonly ILogger logger;
    private readonly Channel<T> channel = Channel.CreateUnbounded<T>(new() { SingleWriter = true });
    private readonly TaskCompletionSource listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource stopping = new();
    private Task? loop;

    /// <param name="channelName">A trusted identifier (it is not quoted).</param>
    /// <param name="parse">Payload to message; null for a malformed payload (logged and dropped).</param>
    /// <param name="resync">Published after a reconnect.</param>
    protected NotificationListener(string connectionString, string channelName, string applicationName, Func<string, T?> parse, T resync, ILogger? logger)
    {
        // A dedicated, unpooled connection: a pooled one would be reset (UNLISTEN) when returned.
        this.connectionString = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, KeepAlive = 30, ApplicationName = applicationName }.ConnectionString;
        this.channelName = channelName;
        this.parse = parse;
        this.resync = resync;
        this.logger = logger ?? NullLogger.Instance;
    }

    public ChannelReader<T> Changes => channel.Reader;

    /// <summary>Starts listening; completes once LISTEN is active, so every later commit is delivered.</summary>
    public async Task StartAsync(CancellationToken ct = default)
    {
        if (loop is not null)
            throw new InvalidOperationException("the listener is already started");
        loop = Task.Run(() => RunAsync(stopping.Token), CancellationToken.None);
        using var registration = ct.Register(() => listening.TrySetCanceled(ct));
        await listening.Task.WaitAsync(ct);
    }

    private async Task RunAsync(CancellationToken ct)
    {
        var attempt = 0;
        var connectedBefore = false;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                connection.Notification += (_, e) =>
                {
                    if (parse(e.Payload) is { } change)
                        channel.Writer.TryWrite(change);
                    else
                        logger.LogWarning("Ignored malformed notification {Payload} on {Channel}", e.Payload, channelName);
                };
                await connection.OpenAsync(ct);
                await using (var listen = new NpgsqlCommand($"LISTEN {channelName}", connection))
                    await listen.ExecuteNonQueryAsync(ct);
                if (connectedBefore)
                {
                    logger.LogInformation("Listener on {Channel} reconnected; asking consumers to resync", channelName);
                    channel.Writer.TryWrite(resync);
                }
                connectedBefore = true;
                attempt = 0;
                listening.TrySetResult();
                while (!ct.IsCancellationRequested)
                {
                    // A quiet connection is probed now and then, so a dead one is noticed and replaced.
                    if (!await connection.WaitAsync(KeepAliveInterval, ct))
                    {
                        await using var ping = new NpgsqlCommand("SELECT 1", connection);
                        await ping.ExecuteNonQueryAsync(ct);
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // Whatever broke the connection, the listener must outlive it: consumers rely on it.
                attempt++;
                var delay = TimeSpan.FromMilliseconds(Math.Min(MaxBackoff.TotalMilliseconds, 200 * Math.Pow(2, Math.Min(attempt, 10))));
                logger.LogWarning(ex, "Listener on {Channel} lost its connection; retrying in {Delay}", channelName, delay);
                try
                {
                    await Task.Delay(delay, ct);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        channel.Writer.TryComplete();
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        if (loop is not null)
            await loop;
        listening.TrySetCanceled();
        stopping.Dispose();
        GC.SuppressFinalize(this);
    }
}
