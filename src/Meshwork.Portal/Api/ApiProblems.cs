using Meshwork.Model.Validation;
using Meshwork.Store;

namespace Meshwork.Portal.Api;

/// <summary>RFC 7807 problem details for every expected failure; validation problems carry the validator's paths.</summary>
public static class ApiProblems
{
    public sealed record Issue(string Path, string Message, string Severity);

    public static IReadOnlyList<Issue> Issues(IEnumerable<ValidationIssue> issues) =>
        issues.Select(i => new Issue(i.Path, i.Message, i.Severity == IssueSeverity.Warning ? "warning" : "error")).ToList();

    public static IResult Invalid(IEnumerable<ValidationIssue> issues, string title = "The resource is invalid; nothing was written.")
    {
        var list = Issues(issues);
        return Results.Problem(
            statusCode: StatusCodes.Status422UnprocessableEntity,
            title: title,
            detail: string.Join("; ", list.Where(i => i.Severity == "error").Select(i => $"{i.Path}: {i.Message}")),
            extensions: new Dictionary<string, object?> { ["errors"] = list });
    }

    public static IResult BadRequest(string detail, string? path = null) =>
        Invalid([new ValidationIssue(path ?? "", detail)], "The request body could not be read; nothing was written.");

    public static IResult Conflict(ChangeResult.Conflict conflict) => Results.Problem(
        statusCode: StatusCodes.Status409Conflict,
        title: "The resource changed since it was read; nothing was written.",
        detail: conflict.CurrentVersion == 0
            ? $"{conflict.Key} does not exist (expected version {conflict.ExpectedVersion})."
            : conflict.ExpectedVersion == 0
                ? $"{conflict.Key} already exists at version {conflict.CurrentVersion}; replace it with PUT and If-Match."
                : $"{conflict.Key} is at version {conflict.CurrentVersion}, not {conflict.ExpectedVersion}. Read it again and reapply your change.",
        extensions: new Dictionary<string, object?>
        {
            ["resource"] = conflict.Key.ToString(),
            ["expectedVersion"] = conflict.ExpectedVersion,
            ["currentVersion"] = conflict.CurrentVersion,
        });

    public static IResult NotFound(string what) =>
        Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"{what} does not exist.");

    public static IResult PreconditionRequired(string detail) =>
        Results.Problem(statusCode: StatusCodes.Status428PreconditionRequired, title: "If-Match is required", detail: detail);

    /// <summary>413: the body is over Portal:Api:MaxRequestBodyBytes; it was not read (or not past the limit).</summary>
    public static IResult TooLarge(long limitBytes)
    {
        var message = $"The request body is larger than {Size(limitBytes)} (Portal:Api:MaxRequestBodyBytes); split the batch into smaller requests.";
        return Results.Problem(
            statusCode: StatusCodes.Status413PayloadTooLarge,
            title: "The request body is too large; nothing was written.",
            detail: message,
            extensions: new Dictionary<string, object?>
            {
                ["limitBytes"] = limitBytes,
                ["errors"] = Issues([new ValidationIssue("", message)]),
            });
    }

    /// <summary>400: more documents than Portal:Api:MaxDocumentsPerRequest; none was parsed.</summary>
    public static IResult TooManyDocuments(int limit) => Results.Problem(
        statusCode: StatusCodes.Status400BadRequest,
        title: "The request holds too many resources; nothing was written.",
        detail: $"The body holds more than {limit} documents; at most {limit} are accepted per request (Portal:Api:MaxDocumentsPerRequest). Split the batch.",
        extensions: new Dictionary<string, object?>
        {
            ["limit"] = limit,
            ["errors"] = Issues([new ValidationIssue("", $"more than {limit} documents in one request (Portal:Api:MaxDocumentsPerRequest); split the batch")]),
        });

    private static string Size(long bytes) =>
        bytes % (1024 * 1024) == 0 ? $"{bytes / (1024 * 1024)} MiB" : bytes % 1024 == 0 ? $"{bytes / 1024} KiB" : $"{bytes:N0} bytes";

    public static IResult Forbidden(string detail) =>
        Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: detail);
}
