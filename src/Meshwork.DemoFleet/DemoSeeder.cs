using Meshwork.Model.Resources;
using Meshwork.Model.Serialization;
using Meshwork.Store;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.DemoFleet;

/// <summary>
/// Seeds the demo desired state once: resources already stored are left alone (the user may have
/// edited them in the portal), the missing ones are created in one audited batch.
/// </summary>
public static class DemoSeeder
{
    public static readonly ChangeActor Actor = new("meshwork-up", ChangeSource.System);

    public static async Task<int> SeedAsync(string connectionString, string? auditSealKey, string directory)
    {
        var resources = new List<Resource>();
        foreach (var file in Directory.GetFiles(directory, "*.yaml").Order(StringComparer.Ordinal))
        {
            var read = ResourceYaml.Read(await File.ReadAllTextAsync(file));
            if (read.Issues.Count > 0)
            {
                await Console.Error.WriteLineAsync($"{file}:\n  {string.Join("\n  ", read.Issues)}");
                return 1;
            }
            resources.AddRange(read.Resources);
        }

        await using var provider = new ServiceCollection().AddMeshworkStore(connectionString, auditSealKey).BuildServiceProvider();
        await using var scope = provider.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<ResourceService>();
        var missing = new List<Resource>();
        foreach (var resource in resources)
        {
            if (await store.GetAsync(resource.Key) is null)
                missing.Add(resource);
        }
        if (missing.Count == 0)
        {
            Console.WriteLine($"demo desired state present ({resources.Count} resources)");
            return 0;
        }

        switch (await store.ApplyManyAsync(missing, Actor))
        {
            case ChangeResult.Applied applied:
                Console.WriteLine($"seeded {applied.Resources.Count} resources: {string.Join(", ", applied.Resources.Select(r => r.Resource.Key))}");
                return 0;
            case ChangeResult.Invalid invalid:
                await Console.Error.WriteLineAsync("demo manifests are invalid:\n  " + string.Join("\n  ", invalid.Validation.Issues));
                return 1;
            case var other:
                await Console.Error.WriteLineAsync($"seeding failed: {other}");
                return 1;
        }
    }
}
