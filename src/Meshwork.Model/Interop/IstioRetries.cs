using System.Globalization;
using Meshwork.Model.Resources;

namespace Meshwork.Model.Interop;

/// <summary>
/// Istio route retries. Istio retries every route by default (attempts 2 on
/// connect-failure, refused-stream, unavailable, cancelled); Meshwork retries per destination
/// service (ResiliencePolicy), so the retries of the routes to a service become that service's.
/// </summary>
internal static class IstioRetries
{
    /// <summary>Istio's default: attempts 2, connect-failure, refused-stream (read as reset), and the gRPC statuses unavailable and cancelled.</summary>
    public static readonly RetryPolicy Default = new() { Attempts = 2, RetryOn = ["connect-failure", "reset", "unavailable", "cancelled"] };

    public static RetryPolicy Translate(SpecNode? node, DocumentReader document)
    {
        if (node is null)
            return Default;
        node.Unsupported("retryRemoteLocalities", "Meshwork has no localities; ignored");
        node.Unsupported("retryIgnorePreviousHosts", "Meshwork's retries pick any endpoint of the version; ignored");
        var attempts = node.Int("attempts") ?? 0;
        var retryOn = node.String("retryOn");
        var perTry = node.Duration("perTryTimeout");
        var backoff = node.Duration("backoff");
        if (attempts <= 0)
        {
            document.Note(node.FieldPath("attempts"), "0 or unset disables retries (Istio): attempts 0");
            return Default with { Attempts = 0 };
        }
        var conditions = new List<string>();
        var codes = new List<int>();
        foreach (var raw in (retryOn ?? "connect-failure,refused-stream,unavailable,cancelled").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var code))
            {
                codes.Add(code);
                Add("retriable-status-codes");
            }
            else if (RetryPolicy.KnownConditions.Contains(raw))
                Add(raw);
            else if (raw == "refused-stream")
                Add("reset");
            else if (retryOn is not null)
                document.Warning(node.FieldPath("retryOn"), $"'{raw}' has no equivalent (Meshwork retries on {string.Join(", ", RetryPolicy.KnownConditions)} and status codes); ignored");
        }
        var retries = Default with { Attempts = attempts, PerTryTimeout = perTry, RetryOn = conditions };
        if (codes.Count > 0)
            retries = retries with { RetriableStatusCodes = codes.Distinct().ToList() };
        if (backoff is { } b)
            retries = retries with { BackoffBase = b, BackoffMax = b * 10 > retries.BackoffMax ? b * 10 : retries.BackoffMax };
        return retries;

        void Add(string condition)
        {
            if (!conditions.Contains(condition))
                conditions.Add(condition);
        }
    }

    /// <summary>Sets the collected retries on the policy made for each service (from its DestinationRule), a stored one, or a new one.</summary>
    public static void Merge(ImportSession session)
    {
        foreach (var ((ns, service), (retries, path, source, _)) in session.Retries)
        {
            // Attempts 0 is what Meshwork does without retries: no retry section, no policy needed for it.
            var merged = retries.Attempts == 0 ? null : retries;
            var made = session.Made.Select(m => m.Resource).OfType<ResiliencePolicy>()
                .FirstOrDefault(p => p.Service == service && p.Metadata.Namespace == ns);
            if (made is not null)
            {
                session.Replace(made, made with { Retries = merged is null ? null : merged with { Budget = made.Retries?.Budget ?? merged.Budget } });
                continue;
            }
            var stored = session.Stored.OfType<ResiliencePolicy>().FirstOrDefault(p => p.Service == service && p.Metadata.Namespace == ns);
            if (merged is null && stored?.Retries is null)
                continue;
            var policy = (stored ?? new ResiliencePolicy { Metadata = new ResourceMetadata { Name = service, Namespace = ns }, Service = service })
                with { Retries = merged };
            source.Note(path, $"Meshwork retries per destination service: ResiliencePolicy '{policy.Metadata.Name}' carries these retries for '{ns}/{service}'");
            session.Add(policy, source);
        }
    }
}
