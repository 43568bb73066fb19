using Grpc.Core;
using Meshwork.ControlPlane.Configuration;
using Meshwork.ControlPlane.Streams;
using Meshwork.Store;
using Microsoft.Extensions.Options;

namespace Meshwork.ControlPlane.Tokens;

/// <summary>
/// Every <see cref="ControlPlaneOptions.TokenCheckInterval"/>, reads the bootstrap tokens behind the
/// open streams. A revoked token evicts every proxy that joined with it, whatever it authenticated
/// this stream with: the stream is closed with PERMISSION_DENIED, its instance leaves the registry
/// at once and its certificate is neither renewed nor accepted again. An expired token closes only
/// the streams still riding on it (UNAUTHENTICATED): those proxies reconnect with the workload
/// certificate they were given, which is the credential after the join.
/// </summary>
public sealed class TokenRevocationWatcher(
    ConnectionTable connections,
    BootstrapTokenValidator validator,
    BootstrapTokenStore store,
    IOptions<ControlPlaneOptions> options,
    TimeProvider time,
    ILogger<TokenRevocationWatcher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.TokenCheckInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await CheckAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException or InvalidOperationException && !stoppingToken.IsCancellationRequested)
            {
                // Postgres away: streams stay as they are until the next check can read the tokens.
                logger.LogWarning("Could not check the bootstrap tokens of open streams: {Message}", ex.Message);
            }
        }
    }

    private async Task CheckAsync(CancellationToken ct)
    {
        var open = connections.All();
        if (open.Count == 0) return;
        var ids = open.Select(c => c.Authentication.TokenId).Distinct().ToList();
        var tokens = await store.StatesAsync(ids, ct);
        var now = time.GetUtcNow();
        foreach (var connection in open)
        {
            var auth = connection.Authentication;
            if (!tokens.TryGetValue(auth.TokenId, out var token) || token.RevokedAt is not null)
            {
                logger.LogInformation("Evicting proxy {ProxyId}: bootstrap token '{Token}' was revoked", connection.ProxyId, auth.TokenName);
                // Before the close: a proxy told of its eviction must not be admitted again from the cache.
                validator.Forget(auth.TokenId);
                connection.Close(new Grpc.Core.Status(StatusCode.PermissionDenied, $"bootstrap token '{auth.TokenName}' was revoked"), evict: true);
            }
            else if (auth.Credential == ProxyCredential.BootstrapToken && token.ExpiresAt <= now)
            {
                connection.Close(new Grpc.Core.Status(StatusCode.Unauthenticated,
                    $"bootstrap token '{auth.TokenName}' expired; reconnect with the workload certificate"), evict: false);
            }
        }
    }
}
