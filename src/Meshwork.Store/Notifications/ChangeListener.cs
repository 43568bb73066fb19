using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Meshwork.Store;

/// <summary>
/// LISTENs on <see cref="MeshworkDbContext.ChangesChannel"/> on a dedicated connection and
/// publishes what arrives to <see cref="Changes"/>. When the connection drops it reconnects with
/// backoff and publishes <see cref="ChangeNotification.Resync"/>, because anything committed
/// meanwhile was not delivered. Pattern for consumers: start, load the state, then apply changes.
/// </summary>
public sealed class ChangeListener : IAsyncDisposable
{
    /// <summary>The listener's application_name, so it can be found in pg_stat_activity.</summary>
    public const string ApplicationName = "meshwork-change-listener";

    private static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);

    private readonly string connectionString;
    private readonly ILogger logger;
    private readonly Channel<ChangeNotification> channel = Channel.CreateUnbounded<ChangeNotification>(new() { SingleWriter = true });
    private readonly TaskCompletionSource listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource stopping = new();
    private Task? loop;

    public ChangeListener(string connectionString, ILogger<ChangeListener>? logger = null)
    {
        // A dedicated, unpooled connection: a pooled one would be reset (UNLISTEN) when returned.
        this.connectionString = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, KeepAlive = 30, ApplicationName = ApplicationName }.ConnectionString;
        this.logger = logger ?? NullLogger<ChangeListener>.Instance;
    }

    public ChannelReader<ChangeNotification> Changes => channel.Reader;

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
                    if (ChangeNotification.Parse(e.Payload) is { } change)
                        channel.Writer.TryWrite(change);
                    else
                        logger.LogWarning("Ignored malformed change notification {Payload}", e.Payload);
                };
                await connection.OpenAsync(ct);
                await using (var listen = new NpgsqlCommand($"LISTEN {MeshworkDbContext.ChangesChannel}", connection))
                    await listen.ExecuteNonQueryAsync(ct);
                if (connectedBefore)
                {
                    logger.LogInformation("Change listener reconnected; asking consumers to resync");
                    channel.Writer.TryWrite(ChangeNotification.Resync);
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
                logger.LogWarning(ex, "Change listener lost its connection; retrying in {Delay}", delay);
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
    }
}
