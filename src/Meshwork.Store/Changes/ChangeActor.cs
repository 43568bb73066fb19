namespace Meshwork.Store;

/// <summary>Where a change came from: recorded in the audit log beside the actor's name.</summary>
public enum ChangeSource
{
    Portal,
    Api,
    Cli,
    RolloutController,
    System,
}

/// <summary>Who made a change and through which surface.</summary>
public sealed record ChangeActor(string Name, ChangeSource Source)
{
    /// <summary>
    /// Where the change came from beyond the surface, kept in each audit entry it writes
    /// (an import names its file: "import of istio.yaml"); null when there is nothing to add.
    /// </summary>
    public string? Reason { get; init; }
}
