namespace Meshwork.Proxy.Runtime;

/// <summary>The snapshot serving right now. Readers take one reference per request, so a swap never mixes two snapshots in one request.</summary>
public sealed class MeshRuntime
{
    private volatile RuntimeSnapshot? current;

    public RuntimeSnapshot? Current => current;

    public event Action<RuntimeSnapshot>? Swapped;

    public void Publish(RuntimeSnapshot snapshot)
    {
        current = snapshot;
        Swapped?.Invoke(snapshot);
    }
}
