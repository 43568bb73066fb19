using Meshwork.Model.Interop;
using Meshwork.Model.Resources;
using Meshwork.Model.Serialization;
using Meshwork.Portal.Audit;
using Meshwork.Store;

namespace Meshwork.Portal.Interop;

/// <summary>What one resource of an import does to the store, with both sides as canonical JSON (versions left out).</summary>
public sealed record ImportedResource(Resource Resource, ImportAction Action, string? BeforeJson, string AfterJson, long? StoredVersion)
{
    private IReadOnlyList<DiffRow>? diff;

    /// <summary>Side-by-side rows, context included (the Import page); <see cref="ChangedLines"/> for the changes alone.</summary>
    public IReadOnlyList<DiffRow> Diff => diff ??= LineDiff.Compute(BeforeJson, AfterJson);

    public IReadOnlyList<DiffRow> ChangedLines => Action == ImportAction.Unchanged ? [] : Diff.Where(r => r.Kind != DiffKind.Same).ToList();
}

public enum ImportAction
{
    Create,
    Update,
    Unchanged,
}

/// <summary>An import translated against the stored state: every message by source path, and what each resource would do.</summary>
public sealed record ImportPlan(IReadOnlyList<InteropMessage> Messages, IReadOnlyList<ImportedResource> Resources)
{
    public IReadOnlyList<InteropMessage> Errors => Messages.Where(m => m.Severity == InteropSeverity.Error).ToList();

    /// <summary>Nothing may be written unless every document translated and something came of it.</summary>
    public bool CanApply => Errors.Count == 0 && Resources.Count > 0;

    public IReadOnlyList<ImportedResource> ToWrite => Resources.Where(r => r.Action != ImportAction.Unchanged).ToList();
}

/// <summary>
/// Imports upstream manifests (Istio, Gateway API, SMI, Flagger, Argo Rollouts; docs/interop.md) for
/// the REST API and the Import page: <see cref="PlanAsync"/> translates them with
/// <see cref="ManifestImporter"/> against what is stored and says what each resource would do;
/// <see cref="ApplyAsync"/> writes a plan's creates and updates in one transaction, each expecting the
/// version the plan saw (a change made since the preview is a conflict, never overwritten), with an
/// audit entry per resource naming the source.
/// </summary>
public sealed class ManifestImportService(ResourceService store)
{
    /// <summary>The longest source name kept in the audit log.</summary>
    public const int MaxSourceLength = 200;

    public async Task<ImportPlan> PlanAsync(string yaml, CancellationToken ct = default)
    {
        var stored = await store.ListAsync(ct: ct);
        var result = ManifestImporter.Import(yaml, stored.Select(s => s.Resource).ToList());
        return new ImportPlan(result.Messages, result.Resources.Select(r => Describe(r, stored)).ToList());
    }

    /// <param name="source">What was imported, for the audit log: a file name, or "pasted".</param>
    public Task<ChangeResult> ApplyAsync(ImportPlan plan, ChangeActor actor, string source, CancellationToken ct = default)
    {
        if (!plan.CanApply)
            throw new InvalidOperationException("a plan with errors, or without resources, is never applied");
        var resources = plan.ToWrite.Select(r => r.Resource with { Metadata = r.Resource.Metadata with { Version = r.StoredVersion ?? 0 } }).ToList();
        return store.ApplyManyAsync(resources, actor with { Reason = AuditReason(source) }, ct);
    }

    /// <summary>"import of istio.yaml": the source as given, cut to <see cref="MaxSourceLength"/> characters.</summary>
    public static string AuditReason(string source)
    {
        var name = string.IsNullOrWhiteSpace(source) ? "an unnamed source" : source.Trim();
        return "import of " + (name.Length > MaxSourceLength ? name[..MaxSourceLength] + "…" : name);
    }

    private static ImportedResource Describe(Resource imported, IReadOnlyList<StoredResource> stored)
    {
        var current = stored.FirstOrDefault(s => s.Resource.Key == imported.Key)?.Resource;
        // Compared without the stored version: the import carries none.
        var before = current is null ? null : MeshworkJson.Canonical(current with { Metadata = current.Metadata with { Version = 0 } });
        var after = MeshworkJson.Canonical(imported with { Metadata = imported.Metadata with { Version = 0 } });
        var action = current is null ? ImportAction.Create : before == after ? ImportAction.Unchanged : ImportAction.Update;
        return new ImportedResource(imported, action, before, after, current?.Metadata.Version);
    }
}
