namespace Meshwork.Portal.Deployments;

/// <summary>"Portal:Fleet:Local": settings only the local-process driver reads.</summary>
public sealed class LocalFleetOptions
{
    public NetworkNamespaceOptions NetworkNamespaces { get; set; } = new();
}
