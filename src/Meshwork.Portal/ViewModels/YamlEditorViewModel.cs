using Meshwork.Model.Resources;
using Meshwork.Model.Serialization;
using Meshwork.Model.Validation;
using Meshwork.Portal.Api;
using Meshwork.Portal.Identity;
using Meshwork.Store;

namespace Meshwork.Portal.ViewModels;

/// <summary>
/// The pages' YAML editor: edit any resources as text (one or many documents) and apply them
/// atomically, with the same rules as `meshctl apply` and POST /api/v1/apply.
/// </summary>
public sealed class YamlEditorViewModel(IServiceScopeFactory scopes, CurrentUser user)
{
    public string Text { get; set; } = "";

    /// <summary>Loads one stored resource as YAML, version included, so applying it checks nobody changed it since.</summary>
    public void Edit(StoredResource stored) => Text = ResourceYaml.Write([stored.Resource]);

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
        var outcome = ChangeOutcome.From(result, $"Applied {Describe(read.Resources)}.");
        if (result is ChangeResult.Applied applied)
            Text = ResourceYaml.Write(applied.Resources.Select(r => r.Resource));
        return outcome;
    }

    private static string Describe(IReadOnlyList<Resource> resources) =>
        resources.Count == 1 ? resources[0].Key.ToString() : $"{resources.Count} resources";
}
