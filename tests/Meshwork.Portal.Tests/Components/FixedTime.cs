namespace Meshwork.Portal.Tests.Components;

/// <summary>A clock stopped at <paramref name="now"/>: pages that chart stored history read the same window every time.</summary>
internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
