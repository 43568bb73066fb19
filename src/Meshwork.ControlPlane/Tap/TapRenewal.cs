namespace Meshwork.ControlPlane.Tap;

/// <summary>Renews the live taps every <see cref="TapHub.RenewInterval"/> (proxies drop a tap that is not renewed).</summary>
public sealed class TapRenewal(TapHub hub, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TapHub.RenewInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) hub.RenewAll();
        }
        catch (OperationCanceledException)
        {
        }
    }
}
