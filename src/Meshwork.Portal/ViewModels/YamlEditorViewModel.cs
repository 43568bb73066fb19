using Meshwork.Model.Resources;
using Meshwork.Model.Serialization;
using Meshwork.Model.Validation;
using Meshwork.Portal.Api;
using Meshwork.Portal.Identity;
using Meshwork.Store;

namespace Meshwork.Portal.ViewModels;

/// <summary>
/// The pages' YAML editor: edit any resources as text (one or many documents) and apply them
/// atomically, with the same rules as `meshctl apply` and POST /api/v1/apply. A stored resource
/// loaded for editing that someone else changed meanwhile becomes a <see cref="Conflict"/> with
/// the same merge choice as the form, never a lost update.
/// </summary>
public sealed class YamlEditorViewModel(IServiceScopeFactory scopes, CurrentUser user)
{
    /// <summary>The stored resource the text was loaded from (null when the text is free-form).</summary>
    private StoredResource? editing;

    public string Text { get; set; } = "";

    /// <summary>Set when applying the loaded resource met a newer stored version; cleared by the choice made.</summary>
    public EditConflict? Conflict { get; private set; }

    /// <summary>Loads one stored resource as YAML, version included, so applying it checks nobody changed it since.</summary>
    public void Edit(StoredResource stored)
    {
        editing = stored;
        Conflict = null;
        Text = ResourceYaml.Write([stored.Resource]);
    }

    /// <summary>
    /// Whether <paramref name="stored"/> should replace the text: it is another resource, or a newer version
    /// of the loaded one while the text holds no unsaved edit (an edit is kept; applying it meets the conflict).
    /// </summary>
    public bool ShouldLoad(StoredResource stored) =>
        editing is not { } loaded
        || loaded.Resource.Key != stored.Resource.Key
        || (loaded.Resource.Metadata.Version != stored.Resource.Metadata.Version && Text == ResourceYaml.Write([loaded.Resource]));

    /// <summary>Conflict choice: drop my text and continue from theirs.</summary>
    public void KeepTheirs()
    {
        if (Conflict is { } conflict) Edit(conflict.Theirs);
    }

    /// <summary>Conflict choice: the text becomes theirs plus my changed fields, at their version (nothing stored yet).</summary>
    public void EditMerged()
    {
        if (Conflict is not { } conflict) return;
        editing = conflict.Theirs;
        Conflict = null;
        var merged = conflict.Merge.Merged;
        Text = ResourceYaml.Write([merged with { Metadata = merged.Metadata with { Version = conflict.Theirs.Resource.Metadata.Version } }]);
    }

    /// <summary>Conflict choice: store theirs plus my changed fields now (a further conflict comes back as one).</summary>
    public Task<ChangeOutcome> ApplyMergedAsync()
    {
        EditMerged();
        return ApplyAsync();
    }

    public async Task<ChangeOutcome> ApplyAsync(bool dryRun = false)
    {
        var read = ResourceYaml.Read(Text);
        if (read.Issues.Count > 0)
            return new ChangeOutcome(false, "Not applied: the YAML could not be read.", read.Issues);
        if (read.Resources.Count == 0)
            return new ChangeOutcome(false, "Nothing to apply: the editor holds no resources.", []);
        foreach (var kind in read.Resources.Select(r => r.Kind).Distinct())
        {
            if (!await user.CanAsync(PortalPolicies.WritePolicyFor(kind)))
                return ChangeOutcome.Denied($"changing {kind} resources; nothing was applied");
        }
        await using var scope = scopes.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<ResourceService>();
        if (dryRun)
        {
            var validation = store.Validate(read.Resources);
            return new ChangeOutcome(validation.IsValid,
                validation.IsValid ? $"Valid: {read.Resources.Count} resource(s) (dry run, nothing written)." : "Invalid (dry run, nothing written).",
                validation.Issues);
        }
        var resolved = await ApplySemantics.ResolveVersionsAsync(store, read.Resources);
        var result = await store.ApplyManyAsync(resolved, await user.ActorAsync());
        switch (result)
        {
            case ChangeResult.Applied applied:
                Text = ResourceYaml.Write(applied.Resources.Select(r => r.Resource));
                editing = applied.Resources.Count == 1 ? applied.Resources[0] : null;
                break;
            case ChangeResult.Conflict when editing is { } loaded && read.Resources is [var mine] && mine.Key == loaded.Resource.Key:
                if (await store.GetAsync(mine.Key) is not { } theirs)
                    return new ChangeOutcome(false, $"Not applied: {mine.Key} was deleted while you were editing.", []);
                Conflict = EditConflict.Between(loaded.Resource, mine, theirs);
                return new ChangeOutcome(false,
                    $"Not applied: {theirs.UpdatedBy} stored version {theirs.Resource.Metadata.Version} while you were editing. Choose how to go on; your text is kept until you do.", []);
        }
        return ChangeOutcome.From(result, $"Applied {Describe(read.Resources)}.");
    }

    private static string Describe(IReadOnlyList<Resource> resources) =>
        resources.Count == 1 ? resources[0].Key.ToString() : $"{resources.Count} resources";
}
