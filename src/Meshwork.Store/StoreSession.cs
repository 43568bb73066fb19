namespace Meshwork.Store;

/// <summary>
/// One unit of work on the store's database, handed to the Store's services
/// (<see cref="ResourceService"/>, <see cref="AuditLog"/>, <see cref="BootstrapTokenService"/>, ...):
/// services built over the same session share its connection and transaction. Dependency
/// injection gives each scope one (over the scope's context); tools and tests that have only a
/// connection string <see cref="Open"/> one. It is opaque on purpose: the EF context behind it is
/// internal to the Store, so no code outside reads or writes a table except through a Store service.
/// </summary>
public sealed class StoreSession : IAsyncDisposable, IDisposable
{
    private readonly bool ownsContext;

    internal StoreSession(MeshworkDbContext context, bool ownsContext = false)
    {
        Context = context;
        this.ownsContext = ownsContext;
    }

    internal MeshworkDbContext Context { get; }

    /// <summary>A session with its own context and connection over <paramref name="connectionString"/>; dispose it.</summary>
    public static StoreSession Open(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return new StoreSession(MeshworkDbContext.Open(connectionString), ownsContext: true);
    }

    // A session over a scope's context leaves it to the scope.
    public ValueTask DisposeAsync() => ownsContext ? Context.DisposeAsync() : ValueTask.CompletedTask;

    public void Dispose()
    {
        if (ownsContext) Context.Dispose();
    }
}
