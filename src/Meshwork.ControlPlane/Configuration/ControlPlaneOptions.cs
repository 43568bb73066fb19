namespace Meshwork.ControlPlane.Configuration;

/// <summary>The "ControlPlane" configuration section.</summary>
public sealed class ControlPlaneOptions
{
    public const string Section = "ControlPlane";

    /// <summary>Port of the h2c gRPC listener (proxies and the portal's status stream).</summary>
    public int GrpcPort { get; set; } = 15010;

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

    /// <summary>How long an instance stays in the registry after its proxy disconnects.</summary>
    public TimeSpan InstanceGracePeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// After a start, the registry is rebuilt from reconnecting proxies. Until this has passed
    /// (default: the instance grace period) proxies that already serve a snapshot are not pushed
    /// one compiled from a half-empty registry: an instance not yet back is treated as one in its
    /// grace period. Proxies with no snapshot are served at once.
    /// </summary>
    public TimeSpan? RegistryWarmup { get; set; }

    /// <summary>Quiet period that collapses a burst of changes into one compile.</summary>
    public TimeSpan Debounce { get; set; } = TimeSpan.FromMilliseconds(75);

    /// <summary>New streams admitted per second (token bucket) to throttle reconnect storms.</summary>
    public double AdmissionRatePerSecond { get; set; } = 1000;

    public int AdmissionBurst { get; set; } = 1000;

    /// <summary>Apply EF migrations at start (off: the portal/launcher migrate).</summary>
    public bool MigrateDatabase { get; set; }

    /// <summary>How often certificates are checked for renewal (renewed at 2/3 of their life).</summary>
    public TimeSpan CertificateCheckInterval { get; set; } = TimeSpan.FromSeconds(1);
}
