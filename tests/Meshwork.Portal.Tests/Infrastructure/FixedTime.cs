namespace Meshwork.Portal.Tests.Infrastructure;

/// <summary>A clock that always says <paramref name="now"/>, so windows over stored minutes are exact.</summary>
public sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
