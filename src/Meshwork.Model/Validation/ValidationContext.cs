using Meshwork.Model.Resources;

namespace Meshwork.Model.Validation;

/// <summary>
/// What the validator may check references against: the services known to exist (stored ones
/// plus those in the same batch). Routes, policies and rollouts name services and versions; an
/// unknown one is an error.
/// </summary>
public sealed record ValidationContext
{
    public static readonly ValidationContext Empty = new();

    public IReadOnlyList<Service> Services { get; init; } = [];

    /// <summary>Picks the services out of <paramref name="resources"/>; nulls are skipped.</summary>
    public static ValidationContext From(IEnumerable<Resource> resources) =>
        new() { Services = resources?.OfType<Service>().ToList() ?? [] };

    /// <summary>The service named <paramref name="name"/> in <paramref name="ns"/>, or null.</summary>
    public Service? FindService(string? name, string? ns)
    {
        if (name is null)
            return null;
        ns ??= ResourceMetadata.DefaultNamespace;
        foreach (var service in Services)
        {
            if (service?.Metadata is { } m && m.Name == name && (m.Namespace ?? ResourceMetadata.DefaultNamespace) == ns)
                return service;
        }
        return null;
    }
}
