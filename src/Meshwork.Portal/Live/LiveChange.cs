namespace Meshwork.Portal.Live;

/// <summary>What changed since a subscriber was last told: several changes inside one throttle interval arrive as one.</summary>
[Flags]
public enum LiveChange
{
    None = 0,
    /// <summary>The control plane's live state: fleet, signals, events, stream health.</summary>
    Status = 1,
    /// <summary>Desired state in the store: another operator (or the API, or meshctl) changed a resource.</summary>
    Resources = 2,
}
