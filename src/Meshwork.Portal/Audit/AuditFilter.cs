using Meshwork.Model.Resources;
using Meshwork.Store;

namespace Meshwork.Portal.Audit;

/// <summary>The audit filters as the page and the API take them (strings from a form or a query string).</summary>
public sealed record AuditFilter
{
    public string? Actor { get; init; }
    public ResourceKind? Kind { get; init; }
    public string? Namespace { get; init; }
    public string? Name { get; init; }
    public ChangeSource? Source { get; init; }
    public DateTimeOffset? From { get; init; }
    public DateTimeOffset? To { get; init; }

    public AuditQuery ToQuery(int skip = 0, int take = 100) => new()
    {
        Actor = Blank(Actor),
        Kind = Kind,
        Namespace = Blank(Namespace),
        Name = Blank(Name),
        Source = Source,
        From = From,
        To = To,
        Skip = skip,
        Take = take,
    };

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
