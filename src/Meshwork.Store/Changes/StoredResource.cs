using Meshwork.Model.Resources;

namespace Meshwork.Store;

/// <summary>A resource as stored: <c>Resource.Metadata.Version</c> is its current version.</summary>
public sealed record StoredResource(Resource Resource, DateTimeOffset UpdatedAt, string UpdatedBy);
