using System.Text;
using System.Text.Json;
using Meshwork.Model.Resources;
using Meshwork.Model.Serialization;
using Meshwork.Model.Validation;

namespace Meshwork.Portal.Api;

/// <summary>
/// Request and response bodies in either form: JSON (MeshworkJson, the default) or YAML
/// (ResourceYaml, when Content-Type / Accept say application/yaml). Both are the same schema.
/// </summary>
public static class ResourceBodies
{
    public const string YamlMediaType = "application/yaml";
    public const int MaxBodyBytes = 4 * 1024 * 1024;

    public sealed record ReadResult(IReadOnlyList<Resource> Resources, IReadOnlyList<ValidationIssue> Issues);

    public static bool IsYaml(string? mediaType) =>
        mediaType is not null && (mediaType.Contains("yaml", StringComparison.OrdinalIgnoreCase));

    public static bool WantsYaml(HttpRequest request) => IsYaml(request.Headers.Accept.ToString());

    /// <summary>Reads one or more resources; a JSON body may be one resource or an array of them.</summary>
    public static async Task<ReadResult> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var text = await reader.ReadToEndAsync(ct);
        if (text.Length > MaxBodyBytes)
            return new([], [new ValidationIssue("", "The body is larger than 4 MiB.")]);
        if (IsYaml(request.ContentType))
        {
            var yaml = ResourceYaml.Read(text);
            return new(yaml.Resources, yaml.Issues);
        }
        return ReadJson(text);
    }

    public static ReadResult ReadJson(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind == JsonValueKind.Array)
            {
                var resources = new List<Resource>();
                var issues = new List<ValidationIssue>();
                var index = 0;
                foreach (var element in document.RootElement.EnumerateArray())
                {
                    try
                    {
                        resources.Add(element.Deserialize<Resource>(MeshworkJson.Options)
                            ?? throw new JsonException("expected a resource, found null"));
                    }
                    catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException)
                    {
                        issues.Add(new ValidationIssue($"[{index}]{JsonPath(e)}", e.Message));
                    }
                    index++;
                }
                return new(resources, issues);
            }
            return new([MeshworkJson.Deserialize(text)], []);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException)
        {
            return new([], [new ValidationIssue(JsonPath(e).TrimStart('.'), e.Message)]);
        }
    }

    public static IResult Write(HttpRequest request, IReadOnlyList<Resource> resources, bool single, int status = StatusCodes.Status200OK)
    {
        if (WantsYaml(request))
            return Results.Text(ResourceYaml.Write(resources), YamlMediaType, Encoding.UTF8, status);
        var json = single
            ? JsonSerializer.Serialize(resources[0], MeshworkJson.Options)
            : JsonSerializer.Serialize(resources, MeshworkJson.Options);
        return Results.Text(json, "application/json", Encoding.UTF8, status);
    }

    /// <summary>"$.rules[0].weight" from System.Text.Json becomes ".rules[0].weight" (validator style).</summary>
    private static string JsonPath(Exception e) =>
        e is JsonException { Path: { } path } && path.StartsWith('$') ? path[1..] : "";
}
