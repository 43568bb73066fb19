using System.Runtime.CompilerServices;

namespace Meshwork.Proxy.Transport;

/// <summary>Cancellable waits for a socket's events (not in <see cref="EpollSocket"/>, an unsafe class: no awaits there).</summary>
internal static class EpollSocketWaits
{
    /// <summary>
    /// Waits for the direction's next event after <paramref name="seen"/>; a cancelled wait closes the socket (as
    /// SocketsHttpHandler ends a cancelled request's connection), which wakes it.
    /// </summary>
    public static ValueTask WaitAsync(this EpollSocket socket, Readiness readiness, int seen, CancellationToken cancellationToken) =>
        cancellationToken.CanBeCanceled ? WaitCancellableAsync(socket, readiness, seen, cancellationToken) : readiness.WaitAsync(seen);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask WaitCancellableAsync(EpollSocket socket, Readiness readiness, int seen, CancellationToken cancellationToken)
    {
        await using (cancellationToken.UnsafeRegister(static state => ((EpollSocket)state!).Dispose(), socket))
            await readiness.WaitAsync(seen);
        cancellationToken.ThrowIfCancellationRequested();
    }
}
