using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using Grpc.Core;
using Meshwork.ControlPlane.Registry;
using Meshwork.Model.Snapshots;
using Meshwork.Protocol.Mesh;

namespace Meshwork.ControlPlane.Streams;

/// <summary>
/// One live proxy stream. Snapshots go through a one-slot "latest wins" outbox: a slow proxy
/// never makes the compiler wait, and it skips intermediate versions it would only overwrite.
/// Tap controls have their own one-slot outbox (a proxy runs one tap; only the latest instruction matters)
/// and go before a waiting snapshot.
/// </summary>
public sealed class ProxyConnection
{
    private readonly Channel<Snapshot> outbox = Channel.CreateBounded<Snapshot>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    private readonly Channel<TapControl> tapOutbox = Channel.CreateBounded<TapControl>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    private readonly CancellationTokenSource closed = new();

    public ProxyConnection(Hello hello, ProxyIdentity identity, PublicKey publicKey, ProxyAuthentication authentication)
    {
        Hello = hello;
        Identity = identity;
        PublicKey = publicKey;
        Authentication = authentication;
        LastSentVersion = hello.CurrentVersion;
        LastSentHash = string.IsNullOrEmpty(hello.CurrentHash) ? null : hello.CurrentHash;
    }

    public Guid Id { get; } = Guid.NewGuid();
    public Hello Hello { get; }
    public ProxyIdentity Identity { get; }

    /// <summary>The public key of the proxy's CSR (checked at Hello): every certificate it gets, renewals too, is for this key.</summary>
    public PublicKey PublicKey { get; }
    /// <summary>How the stream authenticated and the bootstrap token behind it (the one the proxy joined with).</summary>
    public ProxyAuthentication Authentication { get; }

    public string ProxyId => Hello.ProxyId;
    public ServiceRef Service => new(Hello.Service, Hello.Namespace);
    public CancellationToken Closed => closed.Token;

    /// <summary>Hash of the last snapshot sent (or the one the proxy said it serves at Hello).</summary>
    public string? LastSentHash { get; private set; }

    public long LastSentVersion { get; private set; }

    /// <summary>Services whose endpoints appear in the last compiled snapshot: registry changes to them recompile this proxy.</summary>
    public IReadOnlySet<ServiceRef> Dependencies { get; set; } = new HashSet<ServiceRef>();

    /// <summary>Last app health the proxy reported (events fire on changes only).</summary>
    public Model.Resources.InstanceHealth AppHealth { get; set; }

    /// <summary>Its instance, kept out of the registry until the proxy ACKs its first snapshot (it arrived with none).</summary>
    public RegisteredInstance? UnregisteredInstance { get; set; }

    /// <summary>The reason the proxy gave in its Goodbye (it is stopping on purpose); null while it has not said one.</summary>
    public string? GoodbyeReason { get; set; }

    /// <summary>When the last warning about this proxy's tap samples went out (they are rate-limited).</summary>
    public DateTimeOffset TapRejectedAt { get; set; }

    /// <summary>Serialises compiles of this proxy (a burst may schedule it twice in a row).</summary>
    public Lock CompileGate { get; } = new();

    public void Send(Snapshot snapshot)
    {
        LastSentHash = snapshot.Hash;
        LastSentVersion = snapshot.Version;
        outbox.Writer.TryWrite(snapshot);
    }

    /// <summary>Queues a tap start, renewal or stop for the proxy.</summary>
    public void Send(TapControl tap) => tapOutbox.Writer.TryWrite(tap);

    /// <summary>Writes queued tap controls and snapshots to the stream until the connection closes.</summary>
    public async Task RunWriterAsync(IServerStreamWriter<ControlMessage> stream, CancellationToken ct)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, closed.Token);
        try
        {
            while (true)
            {
                if (tapOutbox.Reader.TryRead(out var tap))
                    await stream.WriteAsync(new ControlMessage { Tap = tap }, linked.Token);
                else if (outbox.Reader.TryRead(out var snapshot))
                    await stream.WriteAsync(new ControlMessage { Snapshot = snapshot }, linked.Token);
                else if (!await WaitForEitherAsync(linked.Token))
                    return;
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>False once the connection closed (both outboxes complete together).</summary>
    private async Task<bool> WaitForEitherAsync(CancellationToken ct)
    {
        // The losing wait is cancelled, so an idle outbox does not collect a waiter per write to the other.
        using var either = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var first = await Task.WhenAny(outbox.Reader.WaitToReadAsync(either.Token).AsTask(), tapOutbox.Reader.WaitToReadAsync(either.Token).AsTask());
        await either.CancelAsync();
        return await first;
    }

    /// <summary>Set when the control plane ended the stream on purpose: the status the proxy gets.</summary>
    public Grpc.Core.Status? CloseStatus { get; private set; }

    /// <summary>True when the proxy was put out of the mesh (its token revoked): its instance and certificate go at once.</summary>
    public bool Evicted { get; private set; }

    /// <summary>Ends the stream with <paramref name="status"/> (its credential is no longer good).</summary>
    public void Close(Grpc.Core.Status status, bool evict)
    {
        CloseStatus ??= status;
        Evicted |= evict;
        Close();
    }

    /// <summary>Ends the stream (the proxy reconnected elsewhere or the control plane is stopping).</summary>
    public void Close()
    {
        outbox.Writer.TryComplete();
        tapOutbox.Writer.TryComplete();
        closed.Cancel();
    }
}
