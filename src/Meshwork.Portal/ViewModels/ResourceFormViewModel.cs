using Meshwork.Model.Editing;
using Meshwork.Model.Resilience;
using Meshwork.Model.Resources;
using Meshwork.Model.Snapshots;
using Meshwork.Model.Validation;
using Meshwork.Portal.Identity;
using Meshwork.Protocol.Status;
using Meshwork.Store;

namespace Meshwork.Portal.ViewModels;

/// <summary>
/// One stored resource edited in a form: the draft is validated on every change by the shared
/// validator against the stored state (issues located by path, so each lands on its field), the
/// changed fields and the proxies they reach are previewed before Apply, and a newer version stored
/// meanwhile becomes a conflict with a merge choice, never a lost update.
/// </summary>
public sealed class ResourceFormViewModel(IServiceScopeFactory scopes, CurrentUser user) : LoadState
{
    private IReadOnlyList<Resource> stored = [];
    private readonly Dictionary<string, string> inputErrors = new(StringComparer.Ordinal);

    public ResourceKey Key { get; private set; }

    /// <summary>The version the person started from (the base of the diff and of a merge).</summary>
    public StoredResource? Loaded { get; private set; }

    public Resource? Draft { get; private set; }
    public IReadOnlyList<ValidationIssue> Issues { get; private set; } = [];

    /// <summary>Risky but valid combinations (<see cref="ResilienceRisks"/>), shown as warnings on their fields.</summary>
    public IReadOnlyList<ValidationIssue> Risks { get; private set; } = [];
    public bool CanEdit { get; private set; }
    public bool NotFound { get; private set; }
    public bool Busy { get; private set; }
    public EditConflict? Conflict { get; private set; }

    /// <summary>The revision the last Apply stored, for its ACK progress.</summary>
    public long? AppliedRevision { get; private set; }

    /// <summary>Raised when the draft or its issues change, so every field re-renders.</summary>
    public event Action? Changed;

    public bool HasErrors => inputErrors.Count > 0 || Issues.Any(i => i.Severity == IssueSeverity.Error);

    public IReadOnlyList<FieldChange> Changes => Loaded is { } loaded && Draft is { } draft ? FieldDiff.Between(loaded.Resource, draft) : [];

    public Task LoadAsync(ResourceKey key)
    {
        Key = key;
        return RunLoadAsync(ReloadAsync, $"{key.Kind} {key.Namespace}/{key.Name}");
    }

    private async Task ReloadAsync()
    {
        CanEdit = await user.CanAsync(PortalPolicies.WritePolicyFor(Key.Kind));
        await using var scope = scopes.CreateAsyncScope();
        var all = await scope.ServiceProvider.GetRequiredService<ResourceService>().ListAsync();
        stored = all.Select(s => s.Resource).ToList();
        Loaded = all.FirstOrDefault(s => s.Resource.Key == Key);
        NotFound = Loaded is null;
        Conflict = null;
        inputErrors.Clear();
        SetDraft(Loaded?.Resource);
    }

    /// <summary>The form changed a field: validate the new draft as the store would.</summary>
    public void Update(Resource draft) => SetDraft(draft);

    private void SetDraft(Resource? draft)
    {
        Draft = draft;
        Issues = draft is null ? [] : ResourceValidator.Validate(draft, ContextWith(draft)).Issues;
        Risks = draft is ResiliencePolicy policy ? ResilienceRisks.Find(policy, stored.OfType<HttpRoute>().ToList()) : [];
        Changed?.Invoke();
    }

    private ValidationContext ContextWith(Resource draft) =>
        ValidationContext.From(stored.Where(r => r.Key != draft.Key).Append(draft));

    /// <summary>Text a field could not turn into a value (a duration, a number); the draft keeps its last good value.</summary>
    public void SetInputError(string path, string? message)
    {
        if (message is null) inputErrors.Remove(path);
        else inputErrors[path] = message;
        Changed?.Invoke();
    }

    /// <summary>
    /// Every error located exactly at <paramref name="path"/>, joined; null when the field is fine. A field
    /// editing a whole list as text also takes its entries' errors (<c>services[1]</c>), prefixed with the entry.
    /// </summary>
    public string? ErrorFor(string path, bool withEntries = false)
    {
        var messages = Issues
            .Where(i => i.Severity == IssueSeverity.Error && (i.Path == path || (withEntries && i.Path.StartsWith(path + "[", StringComparison.Ordinal))))
            .Select(i => i.Path == path ? i.Message : $"{i.Path[path.Length..]}: {i.Message}").ToList();
        if (inputErrors.TryGetValue(path, out var input)) messages.Insert(0, input);
        return messages.Count == 0 ? null : string.Join("; ", messages);
    }

    public string? WarningFor(string path)
    {
        var messages = Issues.Concat(Risks).Where(i => i.Path == path && i.Severity == IssueSeverity.Warning).Select(i => i.Message).ToList();
        return messages.Count == 0 ? null : string.Join("; ", messages);
    }

    /// <summary>The connected proxies whose configuration the draft would change, as the control plane would compile it.</summary>
    public IReadOnlyList<ProxyStatus> ProxiesReached(IReadOnlyList<ProxyStatus> proxies)
    {
        if (Draft is not { } draft) return [];
        var connected = proxies.Where(p => p.Connected).ToList();
        var reached = ChangeReach.ProxiesChangedBy(stored, draft, connected.Select(Identity)).Select(p => p.ProxyId).ToHashSet();
        return connected.Where(p => reached.Contains(p.ProxyId)).ToList();
    }

    private static ProxyIdentity Identity(ProxyStatus proxy) => new()
    {
        ProxyId = proxy.ProxyId,
        Service = proxy.Service,
        Namespace = proxy.Namespace,
        Version = proxy.Version,
        // Only whether it is a gateway matters to what it is sent, not the port.
        GatewayPort = proxy.Gateway ? 1 : 0,
    };

    /// <summary>Stores the draft at the version it was loaded at. A newer stored version becomes <see cref="Conflict"/>.</summary>
    public async Task<ChangeOutcome> ApplyAsync()
    {
        if (!await user.CanAsync(PortalPolicies.WritePolicyFor(Key.Kind)))
            return ChangeOutcome.Denied($"changing {Key.Kind} resources");
        if (Loaded is null || Draft is null) return new ChangeOutcome(false, $"{Key} no longer exists.", []);
        if (inputErrors.Count > 0)
            return new ChangeOutcome(false, "Not saved: some fields hold text that is not a value.", []);
        var draft = Draft with { Metadata = Draft.Metadata with { Version = Loaded.Resource.Metadata.Version } };
        Busy = true;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var result = await scope.ServiceProvider.GetRequiredService<ResourceService>().ApplyAsync(draft, await user.ActorAsync());
            switch (result)
            {
                case ChangeResult.Applied applied:
                    AppliedRevision = applied.Revision;
                    await ReloadAsync();
                    return ChangeOutcome.From(result, $"Applied {Key.Namespace}/{Key.Name} (version {Loaded?.Resource.Metadata.Version}).");
                case ChangeResult.Invalid invalid:
                    Issues = invalid.Validation.Issues;
                    Changed?.Invoke();
                    return ChangeOutcome.From(result, "");
                case ChangeResult.Conflict:
                    await using (var again = scopes.CreateAsyncScope())
                    {
                        var theirs = await again.ServiceProvider.GetRequiredService<ResourceService>().GetAsync(Key);
                        if (theirs is null)
                            return new ChangeOutcome(false, $"Not saved: {Key} was deleted while you were editing.", []);
                        Conflict = EditConflict.Between(Loaded.Resource, Draft, theirs);
                    }
                    return new ChangeOutcome(false,
                        $"Not saved: {Conflict.Theirs.UpdatedBy} stored version {Conflict.Theirs.Resource.Metadata.Version} while you were editing. Choose how to go on; your changes are kept until you do.", []);
                default:
                    return ChangeOutcome.From(result, "");
            }
        }
        finally
        {
            Busy = false;
        }
    }

    /// <summary>Conflict choice: drop my changes and continue from theirs.</summary>
    public Task KeepTheirsAsync() => LoadAsync(Key);

    /// <summary>Conflict choice: continue editing theirs plus my changed fields (nothing stored yet).</summary>
    public async Task EditMergedAsync()
    {
        if (Conflict is not { } conflict) return;
        await using var scope = scopes.CreateAsyncScope();
        stored = (await scope.ServiceProvider.GetRequiredService<ResourceService>().ListAsync()).Select(s => s.Resource).ToList();
        Loaded = conflict.Theirs;
        Conflict = null;
        SetDraft(conflict.Merge.Merged);
    }

    /// <summary>Conflict choice: store theirs plus my changed fields now (validated; a further conflict comes back as one).</summary>
    public async Task<ChangeOutcome> ApplyMergedAsync()
    {
        await EditMergedAsync();
        return await ApplyAsync();
    }
}
