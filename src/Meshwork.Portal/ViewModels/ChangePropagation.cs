using Meshwork.Protocol.Status;

namespace Meshwork.Portal.ViewModels;

/// <summary>
/// How far a stored change of one revision has reached the fleet, from the proxies' live status:
/// connected proxies still to be compiled against it, those whose snapshot it changed, and of those
/// the ones that ACKed (or NACKed) the snapshot carrying it. Proxies it did not change count as done.
/// </summary>
public sealed record ChangePropagation(long Revision, int Connected, int Compiling, int Affected, int Confirmed, int Rejected)
{
    /// <summary>Every connected proxy is compiled against the revision and every affected one ACKed it.</summary>
    public bool Complete => Compiling == 0 && Confirmed == Affected;

    public static ChangePropagation Of(long revision, IReadOnlyList<ProxyStatus> proxies)
    {
        var connected = proxies.Where(p => p.Connected).ToList();
        var compiling = connected.Count(p => p.DesiredRevision < revision);
        var affected = connected.Where(p => p.DesiredRevision >= revision && p.ChangedRevision >= revision).ToList();
        // The latest push carries the change (it was made at or after the revision): its ACK confirms it.
        var rejected = affected.Count(p => p.LastNack is { } nack && nack.Version >= p.SentVersion && p.AckedVersion < p.SentVersion);
        var confirmed = affected.Count(p => p.AckedVersion >= p.SentVersion);
        return new ChangePropagation(revision, connected.Count, compiling, affected.Count, confirmed, rejected);
    }

    /// <summary>For example "3 of 3 affected proxies on the new configuration (2 others unaffected)".</summary>
    public string Describe()
    {
        if (Connected == 0) return "No proxy is connected: the change reaches proxies when they connect.";
        if (Compiling > 0) return $"Control plane compiling the change for {Compiling} of {Connected} proxies…";
        if (Affected == 0) return $"The change alters no connected proxy's configuration ({Connected} checked).";
        var unaffected = Connected - Affected;
        var rest = unaffected > 0 ? $" ({unaffected} other{(unaffected == 1 ? "" : "s")} unaffected)" : "";
        var nacks = Rejected > 0 ? $"; {Rejected} rejected it (see Fleet)" : "";
        return $"{Confirmed} of {Affected} affected prox{(Affected == 1 ? "y" : "ies")} on the new configuration{rest}{nacks}.";
    }
}
