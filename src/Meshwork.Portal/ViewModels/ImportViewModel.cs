using Meshwork.Model.Interop;
using Meshwork.Portal.Hosting;
using Meshwork.Portal.Identity;
using Meshwork.Portal.Interop;
using Meshwork.Store;
using Microsoft.Extensions.Options;

namespace Meshwork.Portal.ViewModels;

/// <summary>One message of a preview, split for people: which document (1-based) and which field of it.</summary>
public sealed record ImportMessageRow(int? Document, string Field, string Text, InteropSeverity Severity)
{
    /// <summary>Paths start with the document index ("[2].spec.http[0]"); that index is 0-based.</summary>
    public static ImportMessageRow From(InteropMessage message)
    {
        var path = message.Path;
        if (path.StartsWith('[') && path.IndexOf(']') is var end and > 1 && int.TryParse(path[1..end], out var index))
            return new ImportMessageRow(index + 1, path[(end + 1)..].TrimStart('.'), message.Message, message.Severity);
        return new ImportMessageRow(null, path, message.Message, message.Severity);
    }
}

/// <summary>
/// The Import page (Operator and above): upstream YAML pasted or uploaded, previewed against the store
/// (each resource's create / update / unchanged with its diff, every warning and error by document and
/// field), then applied exactly as previewed in one transaction, audited as an import of the file.
/// </summary>
public sealed class ImportViewModel(IServiceScopeFactory scopes, CurrentUser user, IOptions<PortalOptions> options)
{
    public const string PastedSource = "pasted";

    private string yaml = "";
    private string? uploadedText;
    private string? uploadedName;

    /// <summary>The largest file or text accepted: the API's body limit (Portal:Api:MaxRequestBodyBytes).</summary>
    public long MaxBytes => options.Value.Api.MaxRequestBodyBytes;

    /// <summary>The manifests. Editing them drops the preview: only what was previewed is ever applied.</summary>
    public string Yaml
    {
        get => yaml;
        set
        {
            if (value == yaml) return;
            yaml = value;
            Plan = null;
            Outcome = null;
        }
    }

    /// <summary>What the audit log will name: the uploaded file while its text is unchanged, otherwise "pasted".</summary>
    public string Source => uploadedName is not null && yaml == uploadedText ? uploadedName : PastedSource;

    public ImportPlan? Plan { get; private set; }
    public IReadOnlyList<ImportMessageRow> Messages { get; private set; } = [];
    public ChangeOutcome? Outcome { get; private set; }
    public string? Error { get; private set; }
    public bool IsBusy { get; private set; }

    /// <summary>Whether Apply is offered: a preview without errors that changes something.</summary>
    public bool CanApply => Plan is { CanApply: true } plan && plan.ToWrite.Count > 0 && Outcome is not { Succeeded: true };

    /// <summary>Takes an uploaded file's text; refused (nothing changes) when it is over <see cref="MaxBytes"/>.</summary>
    public async Task UploadAsync(string fileName, long size, Func<long, Task<string>> read)
    {
        Error = null;
        if (size > MaxBytes)
        {
            Error = $"{fileName} is {size:N0} bytes; at most {MaxBytes:N0} are accepted (Portal:Api:MaxRequestBodyBytes).";
            return;
        }
        var text = await read(MaxBytes);
        Yaml = text;
        uploadedText = text;
        uploadedName = fileName;
    }

    public async Task PreviewAsync()
    {
        Outcome = null;
        Error = null;
        if (string.IsNullOrWhiteSpace(yaml))
        {
            Error = "Paste manifests or upload a file first.";
            return;
        }
        await BusyAsync(async () =>
        {
            await using var scope = scopes.CreateAsyncScope();
            Plan = await scope.ServiceProvider.GetRequiredService<ManifestImportService>().PlanAsync(yaml);
            // Errors first, then warnings, then notes; each group in document order.
            Messages = Plan.Messages.Select(ImportMessageRow.From).OrderBy(m => m.Severity).ToList();
        });
    }

    /// <summary>Applies the previewed plan; a resource changed since the preview makes it a conflict and nothing is written.</summary>
    public async Task ApplyAsync()
    {
        if (Plan is not { } plan || !CanApply)
            return;
        if (!await user.CanAsync(PortalPolicies.EditTraffic))
        {
            Outcome = ChangeOutcome.Denied("importing");
            return;
        }
        foreach (var kind in plan.ToWrite.Select(r => r.Resource.Kind).Distinct())
        {
            if (!await user.CanAsync(PortalPolicies.WritePolicyFor(kind)))
            {
                Outcome = ChangeOutcome.Denied($"changing {kind} resources (nothing was written)");
                return;
            }
        }
        await BusyAsync(async () =>
        {
            await using var scope = scopes.CreateAsyncScope();
            var result = await scope.ServiceProvider.GetRequiredService<ManifestImportService>()
                .ApplyAsync(plan, await user.ActorAsync(), Source);
            Outcome = result is ChangeResult.Conflict c
                ? new ChangeOutcome(false, $"Nothing was written: {c.Key} changed since the preview (now version {c.CurrentVersion}). Preview again.", [])
                : ChangeOutcome.From(result, $"Imported {plan.ToWrite.Count} resource(s) from {Source} in one change.");
        });
    }

    private async Task BusyAsync(Func<Task> work)
    {
        IsBusy = true;
        try
        {
            await work();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Error = $"The import failed: {e.Message}";
        }
        finally
        {
            IsBusy = false;
        }
    }
}
