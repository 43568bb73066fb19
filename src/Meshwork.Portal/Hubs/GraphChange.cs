using System.Text.Json.Serialization;
using Meshwork.Portal.ViewModels;

namespace Meshwork.Portal.Hubs;

/// <summary>
/// The fields of one element the client already has that changed, keyed by its id: a field left out (null) did not
/// change. Only these can change: the id fixes an element's group, parent, source and target.
/// </summary>
/// <param name="Canary">The live rollout's progress; <see cref="NoCanary"/> when the mark went (the rollout ended).</param>
public sealed record GraphChange(
    string Id,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Label = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Classes = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Canary = null)
{
    /// <summary>The canary mark was removed (a mark itself is never empty).</summary>
    public const string NoCanary = "";

    /// <summary>What changed from <paramref name="before"/> to <paramref name="after"/> (the same id); null when nothing did.</summary>
    public static GraphChange? Between(GraphElement before, GraphElement after)
    {
        var label = before.Data.Label == after.Data.Label ? null : after.Data.Label;
        var classes = before.Classes == after.Classes ? null : after.Classes;
        var canary = before.Data.Canary == after.Data.Canary ? null : after.Data.Canary ?? NoCanary;
        return label is null && classes is null && canary is null ? null : new GraphChange(after.Data.Id, label, classes, canary);
    }
}
