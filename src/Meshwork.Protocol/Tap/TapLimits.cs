namespace Meshwork.Protocol.Tap;

/// <summary>
/// The live tap's bounds, shared by both ends of the stream: the control plane asks proxies for at
/// most this rate, and a proxy never samples above it whatever it is asked, so a bad or outdated
/// control plane cannot turn a tap into a copy of the traffic.
/// </summary>
public static class TapLimits
{
    /// <summary>Samples per second, per proxy.</summary>
    public const int MaxSamplesPerSecond = 20;
}
