namespace Meshwork.Portal.ViewModels;

/// <summary>How a person goes on after someone else stored a newer version of what they were editing.</summary>
public enum ConflictChoice
{
    /// <summary>Drop my changes; continue from theirs.</summary>
    KeepTheirs,

    /// <summary>Put theirs plus my changed fields in the form to review; nothing stored yet.</summary>
    EditMerged,

    /// <summary>Store theirs plus my changed fields now.</summary>
    ApplyMerged,
}
