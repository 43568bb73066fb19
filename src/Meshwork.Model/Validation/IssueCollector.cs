namespace Meshwork.Model.Validation;

/// <summary>Accumulates issues while the validator walks a resource.</summary>
internal sealed class IssueCollector
{
    private readonly List<ValidationIssue> _issues = [];

    public void Error(string path, string message) => _issues.Add(new ValidationIssue(path, message));

    public void Warning(string path, string message) => _issues.Add(new ValidationIssue(path, message, IssueSeverity.Warning));

    public ValidationResult ToResult() => _issues.Count == 0 ? ValidationResult.Valid : new ValidationResult(_issues.ToList());
}
