using Meshwork.Model.Validation;
using Meshwork.Store;

namespace Meshwork.Portal.ViewModels;

/// <summary>What a page shows after a change: success, or a message a person understands plus the validator's issues.</summary>
public sealed record ChangeOutcome(bool Succeeded, string Message, IReadOnlyList<ValidationIssue> Issues)
{
    /// <summary>The revision a stored change created (its ACK progress can be followed); null when nothing was stored.</summary>
    public long? Revision { get; init; }

    public static ChangeOutcome Denied(string what) => new(false, $"Your role does not allow {what}.", []);

    public static ChangeOutcome From(ChangeResult result, string success) => result switch
    {
        ChangeResult.Applied applied => new(true, success, applied.Warnings) { Revision = applied.Revision },
        ChangeResult.Invalid invalid => new(false, "Not saved: the resource is invalid.", invalid.Validation.Issues),
        ChangeResult.Conflict c when c.ExpectedVersion == 0 => new(false, $"Not saved: {c.Key} already exists.", []),
        ChangeResult.Conflict c => new(false,
            $"Not saved: {c.Key} changed since you loaded it (now version {c.CurrentVersion}, you had {c.ExpectedVersion}). Reload and try again.", []),
        ChangeResult.NotFound n => new(false, $"Not saved: {n.Key} no longer exists.", []),
        _ => new(false, "Not saved: unexpected outcome.", []),
    };
}
