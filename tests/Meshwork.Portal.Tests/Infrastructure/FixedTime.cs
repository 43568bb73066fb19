namespace Meshwork.Portal.Tests.Infrastructure;

/// <summary>A clock stopped at <paramref name="now"/>, so windows over stored minutes are exact and pages that chart history read the same window every time.
/// Not FakeTimeProvider: its timers fire only when a test advances it, and the live pages under test refresh on real timers.</summary>
public sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
