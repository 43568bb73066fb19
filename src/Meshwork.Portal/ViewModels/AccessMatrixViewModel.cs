using Meshwork.Model.Policy;
using Meshwork.Model.Resources;
using Meshwork.Model.Serialization;
using Meshwork.Model.Validation;
using Meshwork.Portal.Identity;
using Meshwork.Portal.Live;
using Meshwork.Store;

namespace Meshwork.Portal.ViewModels;

/// <summary>The matrix as stored, and as it would be with the pending change (null without one).</summary>
public sealed record AccessMatrixView(
    IReadOnlyList<ServiceName> Callers,
    IReadOnlyList<ServiceName> Callees,
    IReadOnlyDictionary<(ServiceName, ServiceName), AccessCell> Current,
    IReadOnlyDictionary<(ServiceName, ServiceName), AccessCell>? Pending,
    IReadOnlyList<DeniedCall> ObservedNowDenied);

/// <summary>An observed call the pending change would deny, and the pending cell that says why.</summary>
public sealed record DeniedCall(ObservedCall Call, AccessCell Cell)
{
    /// <summary>For example "default/web → default/db (TCP, 3 connections): TCP connection denied by no ALLOW matching".</summary>
    public string Describe() =>
        $"{Call.From} → {Call.To} ({Call.Describe()}): {(Call.Protocol == CallProtocol.Tcp ? Cell.ExplainConnection() : Cell.Explain())}";
}

/// <summary>
/// The Access page's service x service matrix over the stored policies and mesh default, a pending
/// change (AccessPolicy YAML, validated as the store would) shown beside it with the calls observed in
/// the last hour (<see cref="ObservedCalls"/>, HTTP and TCP) it would deny, and ALLOW rules drafted from those calls
/// (source-only rules, so they admit the TCP connections too).
/// Applying the pending change is an Admin's.
/// </summary>
public sealed class AccessMatrixViewModel(IServiceScopeFactory scopes, CurrentUser user, YamlEditorViewModel editor) : LoadState
{
    private IReadOnlyList<ServiceName> services = [];
    private IReadOnlyList<AccessPolicy> policies = [];
    private MeshSettings mesh = new() { Metadata = new ResourceMetadata { Name = MeshSettings.SingletonName } };

    public bool CanApply { get; private set; }
    public string PendingYaml { get; set; } = "";
    public IReadOnlyList<AccessPolicy>? Pending { get; private set; }
    public IReadOnlyList<ValidationIssue> PendingIssues { get; private set; } = [];

    public Task LoadAsync() => RunLoadAsync(async () =>
    {
        CanApply = await user.CanAsync(PortalPolicies.Administer);
        await using var scope = scopes.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<ResourceService>();
        services = (await store.ListAsync(ResourceKind.Service)).Select(s => new ServiceName(s.Resource.Metadata.Namespace, s.Resource.Metadata.Name)).ToList();
        policies = (await store.ListAsync(ResourceKind.AccessPolicy)).Select(s => (AccessPolicy)s.Resource).ToList();
        var settings = await store.GetAsync(new ResourceKey(ResourceKind.MeshSettings, ResourceMetadata.DefaultNamespace, MeshSettings.SingletonName));
        if (settings?.Resource is MeshSettings stored) mesh = stored;
    }, "access policies");

    /// <summary>Reads the pending YAML: AccessPolicies only, checked by the store's validator; nothing is written.</summary>
    public void ReadPending()
    {
        Pending = null;
        PendingIssues = [];
        if (string.IsNullOrWhiteSpace(PendingYaml)) return;
        var read = ResourceYaml.Read(PendingYaml);
        if (!read.IsValid)
        {
            PendingIssues = read.Issues;
            return;
        }
        var other = read.Resources.Select((r, i) => (r, i)).FirstOrDefault(x => x.r is not AccessPolicy);
        if (other.r is not null)
        {
            PendingIssues = [new ValidationIssue($"[{other.i}].kind", $"only AccessPolicy resources can be tried here, not {other.r.Kind}")];
            return;
        }
        using var scope = scopes.CreateScope();
        var validation = scope.ServiceProvider.GetRequiredService<ResourceService>().Validate(read.Resources);
        PendingIssues = validation.Issues;
        if (validation.IsValid) Pending = read.Resources.Cast<AccessPolicy>().ToList();
    }

    public AccessMatrixView Build(IReadOnlyList<ObservedCall> observed)
    {
        var callees = Sorted(services.Concat(observed.Select(o => o.To)));
        var callers = Sorted(services.Concat(observed.Select(o => o.From)));
        var current = Index(AccessMatrix.Build(callers, callees, policies, mesh.DefaultAccessMode, mesh.TrustDomain));
        if (Pending is null) return new AccessMatrixView(callers, callees, current, null, []);

        var replaced = Pending.Select(p => p.Key).ToHashSet();
        var withPending = policies.Where(p => !replaced.Contains(p.Key)).Concat(Pending).ToList();
        var pending = Index(AccessMatrix.Build(callers, callees, withPending, mesh.DefaultAccessMode, mesh.TrustDomain));
        var nowDenied = observed
            .Where(o => WouldDeny(o.Protocol, current[(o.From, o.To)], pending[(o.From, o.To)]))
            .Select(o => new DeniedCall(o, pending[(o.From, o.To)]))
            .ToList();
        return new AccessMatrixView(callers, callees, current, pending, nowDenied);
    }

    /// <summary>
    /// An HTTP call is denied outright when no probed operation would be allowed any more (a change that only narrows
    /// methods or paths is shown in the cell); a TCP connection is judged on its own decision, which reads the source only.
    /// </summary>
    private static bool WouldDeny(CallProtocol protocol, AccessCell current, AccessCell pending) => protocol == CallProtocol.Tcp
        ? current.Connection.Allowed && !pending.Connection.Allowed
        : current.AnyAllowed && pending.Verdict is AccessVerdict.Denied or AccessVerdict.DefaultDenied;

    /// <summary>ALLOW policies for exactly the calls observed, put in the pending box to review (and apply).</summary>
    public void DraftFromObserved(IReadOnlyList<ObservedCall> observed)
    {
        var drafted = AccessPolicyDraft.FromObservedCalls(observed.Select(o => (o.From, o.To)));
        PendingYaml = drafted.Count == 0 ? "" : ResourceYaml.Write(drafted);
        ReadPending();
    }

    /// <summary>Applies the pending change as the YAML editor would (atomic, role-checked, audited), then reloads.</summary>
    public async Task<ChangeOutcome> ApplyPendingAsync()
    {
        if (Pending is null) return new ChangeOutcome(false, "Nothing to apply: the pending change is empty or invalid.", PendingIssues);
        editor.Text = PendingYaml;
        var outcome = await editor.ApplyAsync();
        if (outcome.Succeeded)
        {
            PendingYaml = "";
            Pending = null;
            await LoadAsync();
        }
        return outcome;
    }

    private static List<ServiceName> Sorted(IEnumerable<ServiceName> names) =>
        names.Distinct().OrderBy(n => n.Namespace, StringComparer.Ordinal).ThenBy(n => n.Service, StringComparer.Ordinal).ToList();

    private static Dictionary<(ServiceName, ServiceName), AccessCell> Index(IReadOnlyList<AccessCell> cells) =>
        cells.ToDictionary(c => (c.From, c.To));
}
