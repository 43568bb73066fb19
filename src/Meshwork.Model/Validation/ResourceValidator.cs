using Meshwork.Model.Resources;
using Meshwork.Model.Validation.Rules;

namespace Meshwork.Model.Validation;

/// <summary>
/// The one validator for every resource kind, used by the portal forms, the REST API, the YAML
/// import, the store and the control plane. It collects every issue at once, each located by a
/// JSON-path-like path in the resource's JSON/YAML shape (<c>rules[1].backendRefs[0].weight</c>),
/// and never throws, whatever the input: deserialised data can hold nulls that the nullable
/// annotations promise away, so every rule reads defensively.
/// </summary>
public static class ResourceValidator
{
    public static ValidationResult Validate(Resource resource, ValidationContext context)
    {
        var issues = new IssueCollector();
        if (resource is null)
        {
            issues.Error("", "a resource is required");
            return issues.ToResult();
        }
        var checks = new Checks(issues, context);
        try
        {
            MetadataRules.Check(checks, resource.Metadata);
            switch (resource)
            {
                case Service service:
                    ServiceRules.Check(checks, service);
                    break;
                case HttpRoute route:
                    HttpRouteRules.Check(checks, route);
                    break;
                case ResiliencePolicy policy:
                    ResiliencePolicyRules.Check(checks, policy);
                    break;
                case AccessPolicy policy:
                    AccessPolicyRules.Check(checks, policy);
                    break;
                case Rollout rollout:
                    RolloutRules.Check(checks, rollout);
                    break;
                case TcpRoute route:
                    TcpRouteRules.Check(checks, route);
                    break;
                case MeshSettings settings:
                    MeshSettingsRules.Check(checks, settings);
                    break;
                default:
                    issues.Error("kind", $"'{resource.GetType().Name}' is not a kind Meshwork knows");
                    break;
            }
        }
        catch (Exception ex)
        {
            // A bug in a rule must not turn into a 500 for the user; the property tests assert this never happens.
            issues.Error("", $"{InternalErrorMessage}: {ex.GetType().Name}: {ex.Message}");
        }
        return issues.ToResult();
    }

    internal const string InternalErrorMessage = "the validator failed on this resource";

    /// <summary>
    /// Validates a batch: each resource's issues prefixed with its index (<c>[2].metadata.name</c>),
    /// plus an error for every resource whose kind/namespace/name repeats an earlier one.
    /// </summary>
    public static ValidationResult ValidateAll(IReadOnlyList<Resource> resources, ValidationContext context)
    {
        if (resources is null)
            return ValidationResult.Valid;
        var all = new List<ValidationIssue>();
        var firstIndex = new Dictionary<(ResourceKind, string?, string?), int>();
        for (var i = 0; i < resources.Count; i++)
        {
            foreach (var issue in Validate(resources[i], context).Issues)
                all.Add(issue with { Path = ValidationPath.Prefix(i, issue.Path) });
            if (resources[i] is not { Metadata: { Name: not null } metadata } resource)
                continue;
            var key = (resource.Kind, metadata.Namespace, metadata.Name);
            if (firstIndex.TryGetValue(key, out var earlier))
                all.Add(new ValidationIssue(ValidationPath.Prefix(i, "metadata.name"),
                    $"duplicate {resource.Kind} '{metadata.Namespace}/{metadata.Name}'; [{earlier}] has the same kind, namespace and name"));
            else
                firstIndex[key] = i;
        }
        return all.Count == 0 ? ValidationResult.Valid : new ValidationResult(all);
    }
}
