using Meshwork.Model.Resources;
using Meshwork.Portal.Identity;
using Meshwork.Store;

namespace Meshwork.Portal.ViewModels;

/// <summary>
/// What follows a deploy on the Fleet page, in the store: declare the new version on its Service (so
/// routes and rollouts can name it) and, optionally, start a Rollout from a template. Both go through
/// <see cref="ResourceService"/> (validated, versioned, audited as the signed-in user); roles are
/// checked here again, whatever the dialog showed. The driver deploys into the default namespace.
/// </summary>
public sealed class FleetRelease(IServiceScopeFactory scopes, CurrentUser user)
{
    private const string Namespace = ResourceMetadata.DefaultNamespace;

    public Task<bool> CanStartRolloutAsync() => user.CanAsync(PortalPolicies.WritePolicyFor(ResourceKind.Rollout));

    /// <summary>The versions declared on the service, in order (empty when it does not exist): the stable choices.</summary>
    public async Task<IReadOnlyList<string>> DeclaredVersionsAsync(string service)
    {
        if (string.IsNullOrWhiteSpace(service)) return [];
        return await LoadServiceAsync(service.Trim()) is { } s ? [.. s.Versions.Select(v => v.Name)] : [];
    }

    /// <summary>Adds <paramref name="version"/> (label version=it) to the Service at the version just read; leaves it if already declared.</summary>
    public async Task<ChangeOutcome> DeclareVersionAsync(string service, string version)
    {
        if (!await user.CanAsync(PortalPolicies.WritePolicyFor(ResourceKind.Service)))
            return ChangeOutcome.Denied("declaring versions on services");
        await using var scope = scopes.CreateAsyncScope();
        var resources = scope.ServiceProvider.GetRequiredService<ResourceService>();
        if (await resources.GetAsync(new ResourceKey(ResourceKind.Service, Namespace, service)) is not { Resource: Service stored })
            return new ChangeOutcome(false,
                $"Service {Namespace}/{service} does not exist, so {version} is not declared: create the service on the Services page to route to {version} by name.", []);
        if (stored.Versions.Any(v => v.Name == version))
            return new ChangeOutcome(true, $"{version} is already declared on service {service}.", []);
        var declared = stored with
        {
            Versions = [.. stored.Versions, new ServiceVersion { Name = version, Labels = new Dictionary<string, string> { ["version"] = version } }],
        };
        return ChangeOutcome.From(await resources.ApplyAsync(declared, await user.ActorAsync()), $"Declared {version} on service {service}.");
    }

    /// <summary>Creates the template's Rollout of <paramref name="canary"/> against <paramref name="stable"/>; invalid fields come back by path.</summary>
    public async Task<ChangeOutcome> StartRolloutAsync(RolloutTemplate template, string service, string stable, string canary)
    {
        if (!await CanStartRolloutAsync())
            return ChangeOutcome.Denied("starting rollouts");
        var rollout = template.ToRollout(Namespace, service, stable, canary);
        await using var scope = scopes.CreateAsyncScope();
        var result = await scope.ServiceProvider.GetRequiredService<ResourceService>().ApplyAsync(rollout, await user.ActorAsync());
        return ChangeOutcome.From(result, $"Started rollout {rollout.Key.Namespace}/{rollout.Key.Name}: {template.Title}, {stable} → {canary}.");
    }

    /// <summary>Where the Rollouts page shows the rollout created for this deploy (its card's anchor).</summary>
    public static string RolloutLink(string service, string canary) => $"/rollouts#rollout-{Namespace}-{RolloutTemplate.NameFor(service, canary)}";

    private async Task<Service?> LoadServiceAsync(string service)
    {
        await using var scope = scopes.CreateAsyncScope();
        var stored = await scope.ServiceProvider.GetRequiredService<ResourceService>().GetAsync(new ResourceKey(ResourceKind.Service, Namespace, service));
        return stored?.Resource as Service;
    }
}
