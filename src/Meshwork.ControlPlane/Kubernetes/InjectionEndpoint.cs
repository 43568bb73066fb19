using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Meshwork.ControlPlane.Configuration;
using Microsoft.AspNetCore.JsonPatch.SystemTextJson;
using Microsoft.Extensions.Options;

namespace Meshwork.ControlPlane.Kubernetes;

/// <summary>
/// POST /inject on the webhook port (ControlPlane:Injection:Port), called by the Kubernetes API server
/// for every pod created in a namespace labelled for injection: an AdmissionReview in, an
/// AdmissionReview out whose response carries the JSON Patch (base64) that adds the proxy. The body is
/// untrusted until checked: bounded in size and depth, refused with 400 and the field at fault when it
/// is not an AdmissionReview. It changes no state of the mesh: it only computes a patch.
/// </summary>
public static class InjectionEndpoint
{
    private static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = 64, AllowDuplicateProperties = false };

    /// <summary>
    /// Only on the webhook port, told by the connection's local port: the Host header the API server
    /// sends names the webhook Service and its port (443), not this listener's.
    /// </summary>
    public static void MapInjectionEndpoint(this WebApplication app, int port) =>
        app.MapPost("/inject", Handle).AddEndpointFilter(async (context, next) =>
            context.HttpContext.Connection.LocalPort == port ? await next(context) : Results.NotFound());

    private static async Task<IResult> Handle(HttpContext context, IOptions<ControlPlaneOptions> options, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(typeof(InjectionEndpoint));
        var injection = options.Value.Injection;
        var request = context.Request;
        if (!request.HasJsonContentType()) return Malformed(StatusCodes.Status415UnsupportedMediaType, "the body must be application/json (an AdmissionReview)");
        if (request.ContentLength > injection.MaxReviewBytes) return TooLarge(injection.MaxReviewBytes);
        var body = await ReadBoundedAsync(request.Body, injection.MaxReviewBytes, context.RequestAborted);
        if (body is null) return TooLarge(injection.MaxReviewBytes);

        AdmissionRequest admission;
        try
        {
            admission = AdmissionReviewReader.Read(JsonNode.Parse(body.Value.Span, documentOptions: ParseOptions));
        }
        catch (JsonException ex)
        {
            return Malformed(StatusCodes.Status400BadRequest, $"the body is not valid JSON: {ex.Message}");
        }
        catch (MalformedReviewException ex)
        {
            logger.LogWarning("Refused a malformed AdmissionReview: {Problem}", ex.Message);
            return Malformed(StatusCodes.Status400BadRequest, ex.Message);
        }

        var response = new JsonObject { ["uid"] = admission.Uid, ["allowed"] = true };
        switch (SidecarInjector.Decide(admission, injection))
        {
            case InjectionDecision.Inject inject:
                response["patchType"] = "JSONPatch";
                response["patch"] = Convert.ToBase64String(Rfc6902(inject.Patch));
                logger.LogInformation("Injected the proxy into a pod of {Service} {Version} (mesh namespace {Namespace}) in Kubernetes namespace {KubernetesNamespace}, review {Uid}",
                    inject.Identity.Service, inject.Identity.Version, inject.Identity.Namespace, admission.Namespace, admission.Uid);
                break;
            case InjectionDecision.Deny deny:
                response["allowed"] = false;
                response["status"] = new JsonObject { ["code"] = StatusCodes.Status403Forbidden, ["message"] = deny.Message };
                logger.LogWarning("Refused a pod in Kubernetes namespace {KubernetesNamespace}, review {Uid}: {Message}", admission.Namespace, admission.Uid, deny.Message);
                break;
            case InjectionDecision.Skip skip:
                logger.LogDebug("Admitted a {Kind} unchanged, review {Uid}: {Reason}", admission.Kind, admission.Uid, skip.Reason);
                break;
        }
        var review = new JsonObject { ["apiVersion"] = AdmissionReviewReader.ApiVersion, ["kind"] = "AdmissionReview", ["response"] = response };
        return Results.Text(review.ToJsonString(), "application/json", Encoding.UTF8);
    }

    /// <summary>
    /// The operations as RFC 6902 has them: op, path, value. (The library's own serializer adds
    /// "from": null to every operation, which an "add" does not have.)
    /// </summary>
    private static byte[] Rfc6902(JsonPatchDocument patch) =>
        JsonSerializer.SerializeToUtf8Bytes(new JsonArray([.. patch.Operations.Select(operation =>
            new JsonObject { ["op"] = operation.op, ["path"] = operation.path, ["value"] = JsonSerializer.SerializeToNode(operation.value) })]));

    /// <summary>The body, or null when it is longer than <paramref name="limit"/> (whatever Content-Length said).</summary>
    private static async Task<ReadOnlyMemory<byte>?> ReadBoundedAsync(Stream body, int limit, CancellationToken cancel)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, cancel)) > 0)
        {
            if (buffer.Length + read > limit) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private static IResult TooLarge(int limit) =>
        Malformed(StatusCodes.Status413PayloadTooLarge, $"the AdmissionReview is larger than {limit} bytes (ControlPlane:Injection:MaxReviewBytes)");

    private static IResult Malformed(int status, string detail) =>
        Results.Problem(statusCode: status, title: "Not an acceptable AdmissionReview", detail: detail);
}
