using System.Diagnostics;
using Meshwork.ControlPlane.Certificates;
using Meshwork.ControlPlane.Configuration;
using Meshwork.ControlPlane.Registry;
using Meshwork.ControlPlane.Status;
using Meshwork.ControlPlane.Streams;
using Meshwork.Model.Resources;
using Meshwork.Model.Snapshots;
using Meshwork.Protocol.Mesh;
using Microsoft.Extensions.Options;

namespace Meshwork.ControlPlane.Compilation;

/// <summary>
/// The compiler loop: desired state (Postgres) + registry -> one snapshot per proxy. Wakes on
/// store notifications, registry changes and certificate renewals; waits a short debounce so a
/// burst becomes one round; recompiles only the proxies the change can affect; pushes only
/// snapshots whose content hash changed.
/// </summary>
public sealed class SnapshotPublisher : BackgroundService
{
    private readonly Lock gate = new();
    private readonly HashSet<string> dirtyProxies = [];
    private readonly SemaphoreSlim wake = new(0);
    private readonly DesiredStateReader reader;
    private readonly ServiceRegistry registry;
    private readonly ConnectionTable connections;
    private readonly WorkloadCertificates certificates;
    private readonly FleetState fleet;
    private readonly IOptions<ControlPlaneOptions> options;
    private readonly ILogger<SnapshotPublisher> logger;
    private readonly TaskCompletionSource started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly HashSet<ServiceRef> changedServices = [];
    private bool allDirty = true;
    private bool reloadDesired = true;

    // Seeded from the clock so versions keep growing across control plane restarts.
    private long generation = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    public SnapshotPublisher(DesiredStateReader reader, ServiceRegistry registry, ConnectionTable connections,
        WorkloadCertificates certificates, FleetState fleet, IOptions<ControlPlaneOptions> options, ILogger<SnapshotPublisher> logger)
    {
        this.reader = reader;
        this.registry = registry;
        this.connections = connections;
        this.certificates = certificates;
        this.fleet = fleet;
        this.options = options;
        this.logger = logger;
        registry.Changed += OnRegistryChanged;
    }

    public DesiredState Desired { get; private set; } = DesiredState.Empty;

    /// <summary>The latest version handed out.</summary>
    public long Generation => Interlocked.Read(ref generation);

    /// <summary>Completes once the first desired state has been read (streams wait for it before compiling).</summary>
    public Task Started => started.Task;

    /// <summary>Something in Postgres changed: reload, then recompile the proxies the difference can affect.</summary>
    public void DesiredStateChanged()
    {
        lock (gate) reloadDesired = true;
        wake.Release();
    }

    public void ProxyChanged(string proxyId)
    {
        lock (gate) dirtyProxies.Add(proxyId);
        wake.Release();
    }

    private void OnRegistryChanged(ServiceRef service)
    {
        lock (gate) changedServices.Add(service);
        wake.Release();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunRoundAsync(stoppingToken);
                started.TrySetResult();
                await wake.WaitAsync(stoppingToken);
                await Task.Delay(options.Value.Debounce, stoppingToken);
                while (wake.CurrentCount > 0) await wake.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Postgres may be away; proxies keep their snapshots. Retry the whole round shortly.
                logger.LogError(ex, "Compile round failed; retrying");
                lock (gate)
                {
                    reloadDesired = true;
                    allDirty = true;
                }
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    private async Task RunRoundAsync(CancellationToken ct)
    {
        bool reload, all;
        List<string> dirty;
        string reason;
        lock (gate)
        {
            reason = $"reload={reloadDesired} all={allDirty} proxies={dirtyProxies.Count} services=[{string.Join(",", changedServices)}]";
            reload = reloadDesired;
            all = allDirty;
            dirty = dirtyProxies.ToList();
            // Endpoint changes recompile only proxies whose last snapshot holds that service's
            // clusters. Dependencies only change inside rounds, and this loop is the only one
            // running rounds, so reading them here cannot miss a change taken in this round.
            if (changedServices.Count > 0 && !all)
                dirty.AddRange(connections.All().Where(c => c.Dependencies.Overlaps(changedServices)).Select(c => c.ProxyId));
            reloadDesired = false;
            allDirty = false;
            dirtyProxies.Clear();
            changedServices.Clear();
        }

        if (reload)
        {
            var previous = Desired;
            try
            {
                Desired = await reader.ReadAsync(ct);
            }
            catch
            {
                lock (gate) reloadDesired = true;
                throw;
            }
            if (!all)
            {
                if (DesiredStateDiff.ChangedAccessPoliciesOnly(previous, Desired) is { } policies)
                    dirty.AddRange(connections.All().Where(c => policies.Any(p => DesiredStateDiff.Selects(p, c.Identity))).Select(c => c.ProxyId));
                else
                    all = true;
            }
        }

        var targets = all
            ? connections.All().ToList()
            : dirty.Distinct().Select(connections.Get).OfType<ProxyConnection>().ToList();
        var desired = Desired;
        if (reload)
        {
            // The difference proved the proxies left out of this round unaffected: they run this revision as they are.
            var compiled = targets.Select(t => t.ProxyId).ToHashSet();
            foreach (var untouched in connections.All().Where(c => !compiled.Contains(c.ProxyId)))
                fleet.Upsert(untouched.ProxyId, status => status.DesiredRevision = Math.Max(status.DesiredRevision, desired.Revision));
        }
        if (targets.Count == 0) return;

        var stopwatch = Stopwatch.StartNew();
        // Every proxy here gets certificates, so every cluster is mesh TLS; the shared part is compiled once.
        var mesh = SnapshotCompiler.Prepare(desired.Resources, EndpointsOfDeclaredServices(registry.Instances(), desired), meshTls: true);
        var pushed = 0;
        Parallel.ForEach(targets, new ParallelOptions { CancellationToken = ct, MaxDegreeOfParallelism = Environment.ProcessorCount },
            connection =>
            {
                if (Publish(connection, desired, mesh, desiredChanged: reload)) Interlocked.Increment(ref pushed);
            });

        logger.LogDebug("Compiled {Count} proxies in {Elapsed} ms, pushed {Pushed} ({Reason})", targets.Count, stopwatch.ElapsedMilliseconds, pushed, reason);
    }

    /// <summary>
    /// The instances the compiler can turn into endpoints: those of declared Services (a sidecar of an
    /// undeclared service is in no cluster). Narrowed once per round because the compiler scans the
    /// list once per Service (services x instances). The snapshots and their hashes are the same either way.
    /// </summary>
    private static IReadOnlyList<Instance> EndpointsOfDeclaredServices(IReadOnlyList<Instance> instances, DesiredState desired)
    {
        var declared = desired.Resources.OfType<Service>().Select(s => (s.Metadata.Name, s.Metadata.Namespace)).ToHashSet();
        return instances.Where(i => declared.Contains((i.Service, i.Namespace))).ToList();
    }

    /// <summary>
    /// Compiles one proxy; true when its snapshot changed and was queued. Its status records the
    /// revision it was compiled against and, when <paramref name="desiredChanged"/> changed its
    /// snapshot, that revision as the one that changed it (how the portal counts who must ACK a change).
    /// </summary>
    private bool Publish(ProxyConnection connection, DesiredState desired, MeshCompilation mesh, bool desiredChanged)
    {
        lock (connection.CompileGate)
        {
            if (connection.Closed.IsCancellationRequested) return false;
            var settings = desired.Settings;
            var spiffeId = SpiffeId.For(settings.TrustDomain, connection.Identity.Namespace, connection.Identity.Service);
            var ttl = options.Value.CertificateTtl ?? settings.CertificateTtl;
            IssuedCertificate certificate;
            ProxySnapshot snapshot;
            try
            {
                // Inside the try: one proxy whose certificate cannot be issued must not end the
                // round (and with it delivery and renewal) for every other proxy.
                certificate = certificates.For(connection.ProxyId, spiffeId, ttl, connection.PublicKey);
                snapshot = SnapshotCompiler.Compile(new SnapshotInputs
                {
                    Resources = desired.Resources,
                    Proxy = connection.Identity,
                    Certificates = certificates.ToSnapshot(certificate),
                }, mesh);
            }
            catch (Exception ex)
            {
                fleet.Event("CompileFailed", "Error", connection.ProxyId, connection.Identity.Service, connection.Identity.Namespace, ex.Message);
                return false;
            }

            connection.Dependencies = snapshot.Clusters
                .Where(c => c.Name != SnapshotCompiler.LocalAppCluster && c.Service.Length > 0)
                .Select(c => new ServiceRef(c.Service, c.Namespace))
                .ToHashSet();
            if (snapshot.Hash == connection.LastSentHash)
            {
                fleet.Upsert(connection.ProxyId, status => status.DesiredRevision = Math.Max(status.DesiredRevision, desired.Revision));
                return false;
            }

            var version = Interlocked.Increment(ref generation);
            var content = SnapshotWire.Encode(snapshot with { Version = version });
            // Recorded before it is sent: a fast proxy's ACK must never be seen ahead of the version it ACKs
            // (the status stream would show a proxy ACKed beyond what it was sent).
            fleet.Upsert(connection.ProxyId, status =>
            {
                status.SentVersion = version;
                status.DesiredRevision = Math.Max(status.DesiredRevision, desired.Revision);
                if (desiredChanged) status.ChangedRevision = Math.Max(status.ChangedRevision, desired.Revision);
                status.CertificateNotAfterUnixMs = certificate.NotAfter.ToUnixTimeMilliseconds();
                status.SpiffeId = spiffeId;
            });
            connection.Send(new Snapshot { Version = version, Hash = snapshot.Hash, Content = content });
            return true;
        }
    }

    public override void Dispose()
    {
        registry.Changed -= OnRegistryChanged;
        wake.Dispose();
        base.Dispose();
    }
}
