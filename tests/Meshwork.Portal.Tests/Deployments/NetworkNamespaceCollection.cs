namespace Meshwork.Portal.Tests.Deployments;

/// <summary>
/// Test classes that make driver namespaces ("mw-*"): never in parallel with each other, since a driver's
/// start-up sweep removes every "mw-*" namespace it has no instance for.
/// </summary>
[CollectionDefinition(Name)]
public sealed class NetworkNamespaceCollection
{
    public const string Name = "network namespaces";
}
