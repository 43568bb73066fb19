namespace Meshwork.ControlPlane.Configuration;

/// <summary>The "ControlPlane" configuration section.</summary>
public sealed class ControlPlaneOptions
{
    public const string Section = "ControlPlane";

    /// <summary>Port of the gRPC listener (proxies and the portal's status stream): TLS, HTTP/2 via ALPN.</summary>
    public int GrpcPort { get; set; } = 15010;

    /// <summary>
    /// Serve the gRPC port as cleartext h2c instead of TLS. Development only (a warning is logged at
    /// start): bootstrap tokens and the status token then cross the network readable by anyone on it.
    /// </summary>
    public bool GrpcPlaintext { get; set; }

    /// <summary>
    /// Comma-separated names clients use to reach the gRPC port (DNS names or IP literals), each a SAN
    /// of its TLS certificate besides 127.0.0.1, ::1, a specific ListenAddress and the control plane's
    /// SPIFFE id. Empty: localhost and this machine's host name.
    /// </summary>
    public string GrpcTlsHostNames { get; set; } = "";

    /// <summary>Lifetime of the gRPC port's certificate; a new one is issued at two thirds of it, without a restart.</summary>
    public TimeSpan GrpcTlsCertificateLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// Where the mesh root (PEM) is written at start, for the operator to hand to proxies
    /// (ControlPlaneClient:TrustBundleFile) and the portal (Portal:ControlPlane:TrustBundleFile), which
    /// verify the gRPC port's certificate against it. Relative to the working directory; empty: not written.
    /// </summary>
    public string TrustBundleFile { get; set; } = Path.Combine(".meshwork", "control-plane", "trust-bundle.pem");

    /// <summary>Port of a plain HTTP/1.1 listener for /health and /alive (curl, orchestrators); 0 disables it.</summary>
    public int HttpPort { get; set; } = 15014;

    /// <summary>Address to bind; loopback by default (the local-process driver runs everything on one machine).</summary>
    public string ListenAddress { get; set; } = "127.0.0.1";

    /// <summary>
    /// Bearer token the portal presents to watch the status stream (fleet, topology, signals).
    /// Unset: the status stream refuses every caller. Never commit a real one.
    /// </summary>
    public string? StatusToken { get; set; }

    /// <summary>Base64 of 32 random bytes: AES-256-GCM key for the CA private key at rest. Never commit a real one.</summary>
    public string? CaKeyEncryptionKey { get; set; }

    /// <summary>Optional root supplied by the operator (PEM); generated on first start when absent.</summary>
    public string? CaCertificatePem { get; set; }

    public string? CaPrivateKeyPem { get; set; }

    /// <summary>
    /// Overrides MeshSettings.certificateTtl (which the validator keeps between 1 minute and 365 days)
    /// when set: for exercising rotation in tests and drills. Null: the mesh setting decides.
    /// </summary>
    public TimeSpan? CertificateTtl { get; set; }

    /// <summary>
    /// Unique name of this replica among the control planes sharing one database (lease holder,
    /// registry rows, logs). Empty: "machine name-GrpcPort", stable across restarts, so a restarted
    /// leader takes its own lease back at once. In Kubernetes: the pod name.
    /// </summary>
    public string ReplicaId { get; set; } = "";

    public string EffectiveReplicaId => string.IsNullOrWhiteSpace(ReplicaId) ? $"{Environment.MachineName}-{GrpcPort}".ToLowerInvariant() : ReplicaId;

    /// <summary>
    /// How long an instance's lease lasts without renewal: the replica holding its proxy's stream
    /// renews it every third of this (at least every second); after a stream is lost without a
    /// Goodbye, the instance stays an endpoint until its lease runs out (a quick reconnect, to this
    /// or another replica, must not pull it out of every caller's snapshot).
    /// </summary>
    public TimeSpan InstanceGracePeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long the leader lease lasts without renewal (renewed every third of it). A dead leader's
    /// once-only work is taken over by another replica within this.
    /// </summary>
    public TimeSpan LeaderLeaseDuration { get; set; } = TimeSpan.FromSeconds(6);

    /// <summary>
    /// After a replica becomes leader it lets no lease run out for this long: while no control plane
    /// was there to renew them (a whole-mesh control plane outage, a database outage), leases ran
    /// out although their proxies were alive, and those proxies need time to reconnect (their
    /// reconnect backoff is at most ControlPlaneClient:MaxBackoff, 10 s by default) before an
    /// expired lease may mean a dead instance.
    /// </summary>
    public TimeSpan RegistryRecoveryPeriod { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the shared registry is re-read in full besides its change notifications (a missed one costs at most this).</summary>
    public TimeSpan RegistryResyncInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Quiet period that collapses a burst of changes into one compile.</summary>
    public TimeSpan Debounce { get; set; } = TimeSpan.FromMilliseconds(75);

    /// <summary>New streams admitted per second (token bucket) to throttle reconnect storms.</summary>
    public double AdmissionRatePerSecond { get; set; } = 1000;

    public int AdmissionBurst { get; set; } = 1000;

    /// <summary>
    /// Most PostgreSQL connections this process opens (its pool's Maximum Pool Size, unless the connection
    /// string sets one). Every replica counts against the server's max_connections, with the portal.
    /// </summary>
    public int DatabaseMaxConnections { get; set; } = 30;

    /// <summary>Failed stream attempts (refused Hello, token or certificate) one peer address may make at once before it is turned away.</summary>
    public int FailedAttemptBurst { get; set; } = 20;

    /// <summary>How fast a peer's failed-attempt budget comes back (attempts per second).</summary>
    public double FailedAttemptsPerSecond { get; set; } = 1;

    /// <summary>Apply EF migrations at start (off: the portal/launcher migrate).</summary>
    public bool MigrateDatabase { get; set; }

    /// <summary>
    /// A proxy stream on which nothing arrives for this long is closed (and its instance leaves the
    /// registry after the grace period, as for a lost connection): three report intervals of a proxy,
    /// which sends its app health every ControlPlaneClient:ReportInterval (1 s) after a probe of up to
    /// 1 s. HTTP/2 keep-alive pings (<see cref="KeepAlivePingDelay"/>) close connections whose peer is gone.
    /// </summary>
    public TimeSpan StreamIdleTimeout { get; set; } = TimeSpan.FromSeconds(6);

    /// <summary>Kestrel sends an HTTP/2 PING after this much silence on a connection and drops it when no answer comes within as long again.</summary>
    public TimeSpan KeepAlivePingDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How often the bootstrap tokens behind open proxy streams are re-read: a revoked token's proxies
    /// are evicted, and streams still riding on an expired token are closed, within this.
    /// </summary>
    public TimeSpan TokenCheckInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often certificates are checked for renewal (renewed at 2/3 of their life).</summary>
    public TimeSpan CertificateCheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often the leader's rollout controller looks at every rollout (commands, pauses, analysis due).</summary>
    public TimeSpan RolloutTickInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How often each replica saves its proxies' running counts per service version (table version_totals), which the
    /// leader's rollout analysis reads for every replica; at most 10 s, well under an analysis interval.
    /// </summary>
    public TimeSpan VersionTotalsFlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The "ControlPlane:Rollouts" section: the rollout controller's webhooks.</summary>
    public RolloutOptions Rollouts { get; set; } = new();

    /// <summary>The "ControlPlane:Injection" section: the Kubernetes sidecar injection webhook (off unless its Port is set).</summary>
    public Kubernetes.InjectionOptions Injection { get; set; } = new();

    /// <summary>The "ControlPlane:Kubernetes" section: the registry fed from EndpointSlices as well (off unless WatchEndpointSlices).</summary>
    public Kubernetes.EndpointSliceDiscoveryOptions Kubernetes { get; set; } = new();

    /// <summary>How long the one-minute golden-signal rollups (the portal's charts) are kept; the leader deletes older minutes. At least 1 hour.</summary>
    public TimeSpan SignalHistoryRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often each replica saves the minutes it is counting (the current one so far included); at most 1 minute.</summary>
    public TimeSpan SignalHistoryFlushInterval { get; set; } = TimeSpan.FromSeconds(10);
}
