namespace Meshwork.Store.Signals;

/// <summary>
/// One TCP edge: a source service version relaying connections to a destination service version through a TcpRoute.
/// An empty <see cref="SourceVersion"/> holds the refusals the called side reported (it knows the caller's service, not its version).
/// </summary>
public sealed record TcpEdgeSeries(
    string SourceService,
    string SourceNamespace,
    string SourceVersion,
    string DestinationService,
    string DestinationNamespace,
    string DestinationVersion);

/// <summary>One minute of one TCP edge: connections opened, closed, failed to connect or denied; bytes each way; time the closed ones stayed open.</summary>
public sealed record TcpRollup(DateTimeOffset Minute, TcpEdgeSeries Edge, long Opened, long Closed, long ConnectFailures, long Denied,
    long ReceivedBytes, long SentBytes, long ClosedDurationMs)
{
    public static TcpRollup operator +(TcpRollup a, TcpRollup b) => a with
    {
        Opened = a.Opened + b.Opened,
        Closed = a.Closed + b.Closed,
        ConnectFailures = a.ConnectFailures + b.ConnectFailures,
        Denied = a.Denied + b.Denied,
        ReceivedBytes = a.ReceivedBytes + b.ReceivedBytes,
        SentBytes = a.SentBytes + b.SentBytes,
        ClosedDurationMs = a.ClosedDurationMs + b.ClosedDurationMs,
    };
}
