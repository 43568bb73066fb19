namespace Meshwork.Model.Validation;

public enum IssueSeverity
{
    Error,

    /// <summary>Accepted, but probably not what the user meant (e.g. a shadowed rule).</summary>
    Warning,
}

/// <summary>One finding, located by a JSON-path-like <see cref="Path"/> such as <c>rules[1].backendRefs[0].weight</c>.</summary>
public sealed record ValidationIssue(string Path, string Message, IssueSeverity Severity = IssueSeverity.Error)
{
    public override string ToString() => $"{(Severity == IssueSeverity.Warning ? "warning: " : "")}{Path}: {Message}";
}

public sealed record ValidationResult(IReadOnlyList<ValidationIssue> Issues)
{
    public static readonly ValidationResult Valid = new([]);

    public bool IsValid => Issues.All(i => i.Severity != IssueSeverity.Error);
    public IEnumerable<ValidationIssue> Errors => Issues.Where(i => i.Severity == IssueSeverity.Error);
    public IEnumerable<ValidationIssue> Warnings => Issues.Where(i => i.Severity == IssueSeverity.Warning);
}
