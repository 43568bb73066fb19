using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Meshwork.Model.Validation;
using Meshwork.Store.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Meshwork.Store;

/// <summary>
/// Issues, lists and revokes the bootstrap tokens proxies present to the control plane to join
/// (for the portal, the CLI and the launcher). A token is scoped to one namespace and one service;
/// "*" in either is accepted only when the caller asks for a wildcard explicitly, and the control
/// plane's own namespace can never be named. It lives <see cref="BootstrapTokenOptions.DefaultLifetime"/>
/// unless the caller picks another lifetime up to <see cref="BootstrapTokenOptions.MaxLifetime"/>.
/// The secret is returned once and only its hash is stored; the control plane checks a presented
/// token with <see cref="Hash"/>, so both sides share this one definition.
/// Issuing and revoking are audited in the same hash-chained log as resource changes (who, when,
/// which scope; never the secret or its hash), in the same transaction as the token row.
/// </summary>
public sealed class BootstrapTokenService(StoreSession session, TimeProvider time, IOptions<BootstrapTokenOptions> options, AuditSealer? sealer = null)
{
    public BootstrapTokenService(StoreSession session, TimeProvider time) : this(session, time, Options.Create(new BootstrapTokenOptions()))
    {
    }

    private readonly MeshworkDbContext db = session.Context;

    private static readonly JsonSerializerOptions AuditJson = new(JsonSerializerDefaults.Web);

    /// <summary>How a secret is stored: lower-case hex SHA-256 of its UTF-8 text.</summary>
    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    /// <summary>True when the token admits more than one service or namespace (shown as such wherever tokens are listed).</summary>
    public static bool IsWildcard(BootstrapToken token) => token.Service == IdentityNames.Wildcard || token.Namespace == IdentityNames.Wildcard;

    public BootstrapTokenOptions Limits => options.Value;

    /// <summary>
    /// A new token for proxies of <paramref name="service"/> in <paramref name="ns"/>; returns the secret.
    /// Throws <see cref="BootstrapTokenRequestException"/> (nothing stored) when a field is not acceptable.
    /// </summary>
    /// <param name="validFor">Null: <see cref="BootstrapTokenOptions.DefaultLifetime"/>.</param>
    /// <param name="allowWildcard">The admin's explicit choice to let "*" stand for any service or namespace.</param>
    public async Task<IssuedBootstrapToken> IssueAsync(string name, string service, string ns, TimeSpan? validFor, ChangeActor issuedBy,
        bool allowWildcard = false, CancellationToken ct = default)
    {
        var lifetime = validFor ?? options.Value.DefaultLifetime;
        var errors = Check(name, service, ns, lifetime, allowWildcard);
        if (errors.Count > 0) throw new BootstrapTokenRequestException(errors);
        ArgumentNullException.ThrowIfNull(issuedBy);
        ArgumentException.ThrowIfNullOrWhiteSpace(issuedBy.Name);
        var secret = "mwbt_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var now = AuditHash.TruncateToMicroseconds(time.GetUtcNow());
        var token = new BootstrapToken
        {
            Id = Guid.NewGuid(),
            Name = name,
            SecretHash = Hash(secret),
            Service = service,
            Namespace = ns,
            CreatedAt = now,
            ExpiresAt = now + lifetime,
            CreatedBy = issuedBy.Name,
        };
        await WriteAuditedAsync(chain =>
        {
            db.BootstrapTokens.Add(token);
            chain.Append(AuditEntryFor(token, ChangeAction.Issue, issuedBy, now, before: null));
            return Task.CompletedTask;
        }, ct);
        return new IssuedBootstrapToken(token.Id, secret, token.Name, token.Namespace, token.Service, token.ExpiresAt, IsWildcard(token));
    }

    /// <summary>Every problem with a request, each naming its field; empty when it may be issued.</summary>
    public IReadOnlyList<BootstrapTokenRequestError> Check(string? name, string? service, string? ns, TimeSpan lifetime, bool allowWildcard)
    {
        var errors = new List<BootstrapTokenRequestError>();
        if (string.IsNullOrWhiteSpace(name)) errors.Add(new("name", "is required"));
        else if (name.Length > 253) errors.Add(new("name", $"is {name.Length} characters (at most 253)"));
        CheckScope(errors, "namespace", ns, allowWildcard);
        CheckScope(errors, "service", service, allowWildcard);
        if (ns == IdentityNames.ReservedNamespace)
            errors.Add(new("namespace", $"'{IdentityNames.ReservedNamespace}' is the control plane's own identity and cannot be given to proxies"));
        var max = options.Value.MaxLifetime;
        if (lifetime <= TimeSpan.Zero) errors.Add(new("validFor", "must be positive"));
        else if (lifetime > max) errors.Add(new("validFor", $"is {lifetime} (at most {max}, BootstrapTokens:MaxLifetime)"));
        return errors;
    }

    private static void CheckScope(List<BootstrapTokenRequestError> errors, string field, string? value, bool allowWildcard)
    {
        if (string.IsNullOrEmpty(value)) errors.Add(new(field, "is required"));
        else if (value == IdentityNames.Wildcard)
        {
            if (!allowWildcard) errors.Add(new(field, "'*' admits any; issue a wildcard token only on purpose (allowWildcard / --wildcard)"));
        }
        else if (!IdentityNames.IsDnsLabel(value)) errors.Add(new(field, $"'{value}' is not a valid name: {IdentityNames.DnsLabelRule}"));
    }

    /// <summary>Tokens without their secrets, newest first.</summary>
    public async Task<IReadOnlyList<BootstrapToken>> ListAsync(CancellationToken ct = default) =>
        await db.BootstrapTokens.AsNoTracking().OrderByDescending(t => t.CreatedAt).ToListAsync(ct);

    /// <summary>
    /// Marks the token revoked: new joins presenting it are refused, and the control plane closes
    /// the streams of every proxy that joined with it and refuses their certificates from then on.
    /// False when it does not exist.
    /// </summary>
    /// <remarks>A token revoked already keeps its first revocation time and gets no second audit entry.</remarks>
    public async Task<bool> RevokeAsync(Guid id, ChangeActor revokedBy, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(revokedBy);
        var found = false;
        await WriteAuditedAsync(async chain =>
        {
            var token = await db.BootstrapTokens.FirstOrDefaultAsync(t => t.Id == id, ct);
            found = token is not null;
            if (token is null || token.RevokedAt is not null) return;
            var before = AuditJsonOf(token);
            var now = AuditHash.TruncateToMicroseconds(time.GetUtcNow());
            token.RevokedAt = now;
            chain.Append(AuditEntryFor(token, ChangeAction.Revoke, revokedBy, now, before));
        }, ct);
        return found;
    }

    /// <summary>Runs <paramref name="change"/> and its audit entry under the store's write lock in one transaction (joining the caller's, if any).</summary>
    private async Task WriteAuditedAsync(Func<AuditChainWriter, Task> change, CancellationToken ct)
    {
        await using var transaction = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(ct) : null;
        await AuditChainWriter.LockAsync(db, ct);
        var chain = await AuditChainWriter.OpenAsync(db, sealer, ct);
        await change(chain);
        await db.SaveChangesAsync(ct);
        if (transaction is not null)
            await transaction.CommitAsync(ct);
    }

    private static AuditEntry AuditEntryFor(BootstrapToken token, ChangeAction action, ChangeActor actor, DateTimeOffset at, string? before) => new()
    {
        At = at, Actor = actor.Name, Source = actor.Source, Reason = actor.Reason,
        Kind = null, Namespace = token.Namespace, Name = token.Name, Action = action,
        BeforeJson = before, AfterJson = AuditJsonOf(token),
        PreviousHash = "", Hash = "",
    };

    /// <summary>What the audit log keeps of a token: its scope and lifetime, never the secret or its hash.</summary>
    private static string AuditJsonOf(BootstrapToken token) => JsonSerializer.Serialize(new
    {
        token.Id, token.Name, token.Namespace, token.Service, Wildcard = IsWildcard(token),
        CreatedAt = Format(token.CreatedAt), ExpiresAt = Format(token.ExpiresAt), RevokedAt = token.RevokedAt is { } r ? Format(r) : null,
        token.CreatedBy,
    }, AuditJson);

    // The audit column is json (kept byte for byte): times at microseconds, as PostgreSQL keeps them.
    private static string Format(DateTimeOffset value) =>
        AuditHash.TruncateToMicroseconds(value).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>The one moment the secret exists outside the proxy: hand it to the proxy's ControlPlaneClient:BootstrapToken.</summary>
public sealed record IssuedBootstrapToken(Guid Id, string Secret, string Name, string Namespace, string Service, DateTimeOffset ExpiresAt,
    bool IsWildcard);
