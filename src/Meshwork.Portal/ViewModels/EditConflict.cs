using Meshwork.Model.Editing;
using Meshwork.Model.Resources;
using Meshwork.Store;

namespace Meshwork.Portal.ViewModels;

/// <summary>Someone stored a newer version while the person edited: both sides and the merge offered.</summary>
public sealed record EditConflict(StoredResource Theirs, IReadOnlyList<FieldChange> TheirChanges, IReadOnlyList<FieldChange> MyChanges, ThreeWayMerge.Result Merge)
{
    /// <summary>The conflict between my edit of <paramref name="loaded"/> and <paramref name="theirs"/>, stored since.</summary>
    public static EditConflict Between(Resource loaded, Resource mine, StoredResource theirs) =>
        new(theirs, FieldDiff.Between(loaded, theirs.Resource), FieldDiff.Between(loaded, mine), ThreeWayMerge.Merge(loaded, mine, theirs.Resource));
}
