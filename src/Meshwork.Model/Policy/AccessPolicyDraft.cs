using Meshwork.Model.Resources;

namespace Meshwork.Model.Policy;

/// <summary>
/// ALLOW policies that admit exactly the calls observed: one per callee ("&lt;callee&gt;-allow-observed"),
/// one rule per caller namespace naming its services, so switching the mesh (or a service) to
/// default-deny keeps what runs today and refuses the rest. A draft to review, not applied by itself.
/// </summary>
public static class AccessPolicyDraft
{
    private const string Suffix = "-allow-observed";

    public static IReadOnlyList<AccessPolicy> FromObservedCalls(IEnumerable<(ServiceName From, ServiceName To)> calls) =>
        calls.Where(c => c.From != c.To)
            .Distinct()
            .GroupBy(c => c.To)
            .OrderBy(g => g.Key.Namespace, StringComparer.Ordinal).ThenBy(g => g.Key.Service, StringComparer.Ordinal)
            .Select(callee => new AccessPolicy
            {
                Metadata = new ResourceMetadata { Name = NameFor(callee.Key.Service), Namespace = callee.Key.Namespace },
                Service = callee.Key.Service,
                Action = AccessAction.Allow,
                Rules = callee.GroupBy(c => c.From.Namespace).OrderBy(g => g.Key, StringComparer.Ordinal)
                    .Select(fromNamespace => new AccessRule
                    {
                        From =
                        [
                            new AccessSource
                            {
                                Namespaces = [fromNamespace.Key],
                                Services = [.. fromNamespace.Select(c => c.From.Service).Distinct().Order(StringComparer.Ordinal)],
                            },
                        ],
                    })
                    .ToList(),
            })
            .ToList();

    // Names are DNS labels (63 characters at most): a long service name is cut before the suffix.
    private static string NameFor(string service) =>
        (service.Length + Suffix.Length > 63 ? service[..(63 - Suffix.Length)].TrimEnd('-') : service) + Suffix;
}
