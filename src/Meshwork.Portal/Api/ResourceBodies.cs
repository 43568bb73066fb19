using System.Text;
using System.Text.Json;
using Meshwork.Model.Resources;
using Meshwork.Model.Serialization;
using Meshwork.Model.Validation;
using Meshwork.Portal.Hosting;
using Microsoft.Extensions.Options;

namespace Meshwork.Portal.Api;

/// <summary>
/// Request and response bodies in either form: JSON (MeshworkJson, the default) or YAML
/// (ResourceYaml, when Content-Type / Accept say application/yaml). Both are the same schema.
/// </summary>
public static class ResourceBodies
{
    public const string YamlMediaType = "application/yaml";

    /// <param name="Refusal">Set when the body was refused before it was parsed (413 too large, 400 too many documents).</param>
    public sealed record ReadResult(IReadOnlyList<Resource> Resources, IReadOnlyList<ValidationIssue> Issues, IResult? Refusal = null);

    public static bool IsYaml(string? mediaType) =>
        mediaType is not null && (mediaType.Contains("yaml", StringComparison.OrdinalIgnoreCase));

    public static bool WantsYaml(HttpRequest request) => IsYaml(request.Headers.Accept.ToString());

    /// <summary>
    /// Reads one or more resources; a JSON body may be one resource or an array of them. The body is
    /// read only up to Portal:Api:MaxRequestBodyBytes and counted in documents before any is parsed.
    /// </summary>
    public static async Task<ReadResult> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        var limits = request.HttpContext.RequestServices.GetRequiredService<IOptions<PortalOptions>>().Value.Api;
        var text = await ReadLimitedAsync(request, limits.MaxRequestBodyBytes, ct);
        if (text is null)
            return new([], [], ApiProblems.TooLarge(limits.MaxRequestBodyBytes));
        if (IsYaml(request.ContentType))
        {
            if (YamlDocuments.MoreThan(text, limits.MaxDocumentsPerRequest))
                return new([], [], ApiProblems.TooManyDocuments(limits.MaxDocumentsPerRequest));
            var yaml = ResourceYaml.Read(text);
            return new(yaml.Resources, yaml.Issues);
        }
        return ReadJson(text, limits.MaxDocumentsPerRequest);
    }

    /// <summary>The body as text, or null when it is longer than <paramref name="limit"/> bytes (reading stops there).</summary>
    public static async Task<string?> ReadLimitedAsync(HttpRequest request, long limit, CancellationToken ct)
    {
        var body = new MemoryStream();
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(buffer, ct)) > 0)
            {
                if (body.Length + read > limit)
                    return null;
                body.Write(buffer, 0, read);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null; // Kestrel enforced the same limit (ApiBodyLimit told it)
        }
        var text = Encoding.UTF8.GetString(body.GetBuffer(), 0, (int)body.Length);
        return text.StartsWith('\uFEFF') ? text[1..] : text; // a byte order mark, as StreamReader would drop it
    }

    public static ReadResult ReadJson(string text, int maxDocuments)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind == JsonValueKind.Array)
            {
                if (document.RootElement.GetArrayLength() > maxDocuments)
                    return new([], [], ApiProblems.TooManyDocuments(maxDocuments));
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

    /// <summary>One resource as a small text; a list is written to the response as it goes, resource by resource.</summary>
    public static IResult Write(HttpRequest request, IReadOnlyList<Resource> resources, bool single, int status = StatusCodes.Status200OK)
    {
        var yaml = WantsYaml(request);
        if (!single)
            return yaml
                ? Results.Stream(output => WriteYamlAsync(output, resources), YamlMediaType + "; charset=utf-8")
                : Results.Stream(output => JsonSerializer.SerializeAsync(output, resources, MeshworkJson.Options), "application/json; charset=utf-8");
        if (yaml)
            return Results.Text(ResourceYaml.Write(resources), YamlMediaType, Encoding.UTF8, status);
        return Results.Text(JsonSerializer.Serialize(resources[0], MeshworkJson.Options), "application/json", Encoding.UTF8, status);
    }

    /// <summary>One YAML document per resource ("---" before each), the stream ResourceYaml.Write would build whole.</summary>
    private static async Task WriteYamlAsync(Stream output, IReadOnlyList<Resource> resources)
    {
        await using var writer = new StreamWriter(output, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 16 * 1024, leaveOpen: true);
        foreach (var resource in resources)
            await writer.WriteAsync(ResourceYaml.Write(resource));
    }

    /// <summary>"$.rules[0].weight" from System.Text.Json becomes ".rules[0].weight" (validator style).</summary>
    private static string JsonPath(Exception e) =>
        e is JsonException { Path: { } path } && path.StartsWith('$') ? path[1..] : "";
}
