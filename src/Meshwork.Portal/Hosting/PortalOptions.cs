namespace Meshwork.Portal.Hosting;

/// <summary>The "Portal" configuration section (see appsettings.sample.json).</summary>
public sealed class PortalOptions
{
    public const string Section = "Portal";

    /// <summary>Where the portal keeps its own files: token signing keys, data-protection keys. Never committed.</summary>
    public string DataDirectory { get; set; } = Path.Combine(".meshwork", "portal");

    /// <summary>
    /// The most PostgreSQL connections the portal holds (one pool shared by the store and the identity context, plus
    /// one LISTEN connection for live changes). A cap in the connection string wins. Plan PostgreSQL's max_connections
    /// as this + control plane replicas x ControlPlane:DatabaseMaxConnections + a few (docs/control-plane.md).
    /// </summary>
    public int DatabaseMaxConnections { get; set; } = 20;

    /// <summary>Apply the store's and the identity context's migrations at start.</summary>
    public bool MigrateOnStart { get; set; } = true;

    /// <summary>
    /// Refuse plain HTTP for the OIDC endpoints and mark cookies Secure. Off for the loopback
    /// development run (`./meshwork up` serves http://127.0.0.1); on for anything reachable.
    /// </summary>
    public bool RequireHttps { get; set; }

    public AdminAccountOptions Admin { get; set; } = new();

    public ExternalOidcOptions ExternalOidc { get; set; } = new();

    public ControlPlaneLinkOptions ControlPlane { get; set; } = new();

    public ApiLimitOptions Api { get; set; } = new();

    public SessionOptions Sessions { get; set; } = new();
}

/// <summary>What one REST API request may carry (Api/ApiBodyLimit.cs, Api/ResourceBodies.cs).</summary>
public sealed class ApiLimitOptions
{
    /// <summary>A larger body gets 413 before it is read. 1 MiB holds thousands of resources.</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>YAML documents (or JSON array entries) in one request; more get 400 before they are parsed.</summary>
    public int MaxDocumentsPerRequest { get; set; } = 500;
}

/// <summary>How quickly a change to a person or client (role, deletion, lockout) reaches sessions and tokens already out.</summary>
public sealed class SessionOptions
{
    /// <summary>
    /// The longest an open tab (Blazor circuit), a cookie or a bearer token keeps working after its
    /// user's security stamp changed, the user was deleted or locked out, or its API client was deleted.
    /// Each check is one small database read per user (per circuit for tabs), so seconds, not milliseconds.
    /// </summary>
    public TimeSpan RevalidationInterval { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Where the portal watches the control plane's live status (fleet, topology, signals).</summary>
public sealed class ControlPlaneLinkOptions
{
    /// <summary>
    /// The control plane's gRPC address, e.g. https://127.0.0.1:15010 (TLS; http:// only for a control
    /// plane with ControlPlane:GrpcPlaintext). Several replicas: every one, comma-separated; the portal
    /// watches them all and merges what they report (Live/MeshStatusMerge.cs). Empty: the live pages
    /// say it is not configured.
    /// </summary>
    public string? Address { get; set; }

    /// <summary>
    /// The mesh root (PEM) an https:// control plane's certificate must chain to: the file the control
    /// plane writes to ControlPlane:TrustBundleFile. Required for https://.
    /// </summary>
    public string? TrustBundleFile { get; set; }

    /// <summary>
    /// The mesh's trust domain: an https:// control plane must present the SPIFFE id
    /// spiffe://TRUST-DOMAIN/ns/meshwork-system/sa/control-plane (pinned; the host name is not checked).
    /// </summary>
    public string TrustDomain { get; set; } = Meshwork.Protocol.Transport.ControlPlaneIdentity.DefaultTrustDomain;

    /// <summary>Bearer token for the status stream; must equal the control plane's ControlPlane:StatusToken.</summary>
    public string? StatusToken { get; set; }
}

/// <summary>The first administrator, created on first start when no Admin exists.</summary>
public sealed class AdminAccountOptions
{
    public string Email { get; set; } = "admin@meshwork.local";

    /// <summary>Empty: a one-time password is generated and written to the log once.</summary>
    public string? Password { get; set; }
}

/// <summary>Optional corporate single sign-on through an external OpenID Connect provider.</summary>
public sealed class ExternalOidcOptions
{
    public string? Authority { get; set; }
    public string? ClientId { get; set; }
    public string? ClientSecret { get; set; }
    public string DisplayName { get; set; } = "Single sign-on";

    /// <summary>Role given to a person signing in through the provider for the first time.</summary>
    public string DefaultRole { get; set; } = Identity.PortalRoles.Viewer;

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Authority) && !string.IsNullOrWhiteSpace(ClientId);
}
