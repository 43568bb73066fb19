namespace Meshwork.Store;

/// <summary>The "BootstrapTokens" configuration section: how long a join token may live.</summary>
public sealed class BootstrapTokenOptions
{
    public const string Section = "BootstrapTokens";

    /// <summary>Lifetime of a token issued without one: long enough to start a proxy, short enough that a leaked one is soon useless.</summary>
    public TimeSpan DefaultLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The longest lifetime an admin may choose for one token.</summary>
    public TimeSpan MaxLifetime { get; set; } = TimeSpan.FromHours(24);
}
