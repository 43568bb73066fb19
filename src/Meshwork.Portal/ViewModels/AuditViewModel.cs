using Meshwork.Model.Resources;
using Meshwork.Model.Serialization;
using Meshwork.Portal.Audit;
using Meshwork.Portal.Identity;
using Meshwork.Store;

namespace Meshwork.Portal.ViewModels;

/// <summary>The Audit page's filter form (strings and nullable values bound to inputs).</summary>
public sealed class AuditFilterForm
{
    public string? Actor { get; set; }
    public ResourceKind? Kind { get; set; }
    public string? Name { get; set; }
    public DateTime? From { get; set; }
    public DateTime? To { get; set; }

    public AuditFilter ToFilter() => new()
    {
        Actor = Actor,
        Kind = Kind,
        Name = Name,
        From = From is { } f ? new DateTimeOffset(DateTime.SpecifyKind(f, DateTimeKind.Utc)) : null,
        To = To is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : null,
    };
}

/// <summary>Audit page: filtered entries, the selected entry's diff, chain verification, revert.</summary>
public sealed class AuditViewModel(IServiceScopeFactory scopes, CurrentUser user) : LoadState
{
    public const int PageSize = 50;

    public AuditFilterForm Filter { get; } = new();
    public IReadOnlyList<AuditEntry> Entries { get; private set; } = [];
    public AuditEntry? Selected { get; private set; }
    public IReadOnlyList<DiffRow> SelectedDiff { get; private set; } = [];
    public ChainVerification? Verification { get; private set; }
    public int Page { get; private set; }
    private IReadOnlyDictionary<ResourceKey, long> loadedVersions = new Dictionary<ResourceKey, long>();

    public Task LoadAsync(int page = 0) => RunLoadAsync(async () =>
    {
        await using var scope = scopes.CreateAsyncScope();
        var log = scope.ServiceProvider.GetRequiredService<AuditLog>();
        Entries = await log.QueryAsync(Filter.ToFilter().ToQuery(page * PageSize, PageSize));
        Page = page;
        // The version each listed resource had when the page loaded: a revert expects exactly it.
        var store = scope.ServiceProvider.GetRequiredService<ResourceService>();
        var versions = new Dictionary<ResourceKey, long>();
        foreach (var key in Entries.Select(e => e.Key).OfType<ResourceKey>().Distinct())
        {
            var revisions = await store.ListRevisionsAsync(key);
            if (revisions.Count > 0)
                versions[key] = revisions.Max(r => r.Version);
        }
        loadedVersions = versions;
        if (Selected is not null && Entries.All(e => e.Sequence != Selected.Sequence))
            Select(null);
    }, "the audit log");

    public void Select(AuditEntry? entry)
    {
        Selected = entry;
        SelectedDiff = entry is null ? [] : LineDiff.Compute(entry.BeforeJson, entry.AfterJson);
    }

    public async Task VerifyAsync()
    {
        await using var scope = scopes.CreateAsyncScope();
        Verification = await scope.ServiceProvider.GetRequiredService<AuditLog>().VerifyChainAsync();
    }

    /// <summary>
    /// The entry's "after" can be restored when it is a resource's (not a bootstrap token's), has
    /// content (not a delete's tombstone) and is not what the resource holds already.
    /// </summary>
    public bool CanRevertTo(AuditEntry entry) =>
        entry.Key is { } key && entry.AfterJson is not null && entry.VersionAfter is { } version
        && !(loadedVersions.TryGetValue(key, out var current) && current == version);

    /// <summary>
    /// Restores the content this entry wrote, as a new version. The version the page last saw is
    /// passed as the expected current one, so a change made since is refused, never overwritten.
    /// </summary>
    public async Task<ChangeOutcome> RevertToAsync(AuditEntry entry)
    {
        if (!CanRevertTo(entry))
            return new ChangeOutcome(false, "Nothing to revert: this entry deleted the resource, or the resource holds this content already.", []);
        var key = entry.Key!.Value;
        if (!await user.CanAsync(PortalPolicies.WritePolicyFor(key.Kind)))
            return ChangeOutcome.Denied($"changing {key.Kind} resources");
        await using var scope = scopes.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<ResourceService>();
        if (!loadedVersions.TryGetValue(key, out var expected))
            return new ChangeOutcome(false, "Reload the audit log first.", []);
        var result = await store.RevertAsync(key, entry.VersionAfter!.Value, expected, await user.ActorAsync());
        var outcome = result is ChangeResult.Conflict c
            ? new ChangeOutcome(false,
                $"Not reverted: {c.Key} changed since this page was loaded (now version {c.CurrentVersion}). Reload and review the newer change first.", [])
            : ChangeOutcome.From(result, $"Reverted {key} to version {entry.VersionAfter}.");
        await LoadAsync(Page);
        return outcome;
    }

    public static string Describe(AuditEntry entry) =>
        entry.AfterJson is { } json ? $"{entry.Subject} v{entry.VersionAfter}" : $"{entry.Subject} (deleted)";

    public static Resource? ReadResource(string? json) => json is null ? null : MeshworkJson.Deserialize(json);
}
