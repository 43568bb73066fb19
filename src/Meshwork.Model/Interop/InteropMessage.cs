namespace Meshwork.Model.Interop;

public enum InteropSeverity
{
    /// <summary>The document, or the resource made from it, could not be translated.</summary>
    Error,

    /// <summary>Translated, but a field has no equivalent (or a different meaning) in Meshwork.</summary>
    Warning,

    /// <summary>Nothing lost: a document skipped on purpose (a Deployment), or a default made explicit.</summary>
    Note,
}

/// <summary>
/// One finding of an import or export, located in the SOURCE document by a JSON-path-like
/// <see cref="Path"/> starting with the document index: <c>[2].spec.http[0].corsPolicy</c>.
/// </summary>
public sealed record InteropMessage(string Path, string Message, InteropSeverity Severity)
{
    public override string ToString() => $"{Severity.ToString().ToLowerInvariant()}: {Path}: {Message}";
}
