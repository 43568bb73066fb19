using System.Text.Json.Nodes;

namespace Meshwork.ControlPlane.Kubernetes;

/// <summary>The parts of an AdmissionReview (admission.k8s.io/v1) request the injector reads, their shape checked.</summary>
public sealed record AdmissionRequest(string Uid, string Kind, string Operation, string Namespace, JsonObject? Pod);

/// <summary>An AdmissionReview that is not one: which field, and why. Answered with 400.</summary>
public sealed class MalformedReviewException(string message) : Exception(message);

/// <summary>
/// Checks an AdmissionReview before anything reads it. The body comes from the network: every field
/// the injector uses is checked for presence and type here, so the injector never meets a surprise.
/// </summary>
public static class AdmissionReviewReader
{
    public const string ApiVersion = "admission.k8s.io/v1";

    public static AdmissionRequest Read(JsonNode? review)
    {
        if (review is not JsonObject root) throw new MalformedReviewException("the body is not a JSON object (an AdmissionReview)");
        var apiVersion = OptionalString(root, "apiVersion", "apiVersion");
        if (apiVersion != ApiVersion) throw new MalformedReviewException($"apiVersion is '{apiVersion}', expected '{ApiVersion}'");
        var kind = OptionalString(root, "kind", "kind");
        if (kind != "AdmissionReview") throw new MalformedReviewException($"kind is '{kind}', expected 'AdmissionReview'");
        var request = Object(root, "request", "request") ?? throw new MalformedReviewException("request is missing");

        var uid = OptionalString(request, "uid", "request.uid");
        if (string.IsNullOrEmpty(uid)) throw new MalformedReviewException("request.uid is missing or empty");
        if (uid.Length > 128) throw new MalformedReviewException("request.uid is longer than 128 characters");
        var resourceKind = Object(request, "kind", "request.kind") ?? throw new MalformedReviewException("request.kind is missing");
        var objectKind = OptionalString(resourceKind, "kind", "request.kind.kind") ?? throw new MalformedReviewException("request.kind.kind is missing");
        var operation = OptionalString(request, "operation", "request.operation") ?? throw new MalformedReviewException("request.operation is missing");
        var ns = OptionalString(request, "namespace", "request.namespace") ?? "";

        JsonObject? pod = null;
        if (objectKind == "Pod" && operation == "CREATE")
        {
            pod = Object(request, "object", "request.object") ?? throw new MalformedReviewException("request.object (the pod) is missing");
            CheckPod(pod);
        }
        return new AdmissionRequest(uid, objectKind, operation, ns, pod);
    }

    private static void CheckPod(JsonObject pod)
    {
        const string at = "request.object";
        // The patch adds under it (the injected annotation): every pod the API server sends has one.
        var metadata = Object(pod, "metadata", $"{at}.metadata") ?? throw new MalformedReviewException($"{at}.metadata is missing");
        StringMap(metadata, "annotations", $"{at}.metadata.annotations");
        StringMap(metadata, "labels", $"{at}.metadata.labels");
        OptionalString(metadata, "name", $"{at}.metadata.name");
        OptionalString(metadata, "generateName", $"{at}.metadata.generateName");
        var spec = Object(pod, "spec", $"{at}.spec") ?? throw new MalformedReviewException($"{at}.spec is missing");
        var containers = Array(spec, "containers", $"{at}.spec.containers");
        if (containers is null || containers.Count == 0) throw new MalformedReviewException($"{at}.spec.containers is missing or empty");
        for (var i = 0; i < containers.Count; i++)
        {
            var path = $"{at}.spec.containers[{i}]";
            if (containers[i] is not JsonObject container) throw new MalformedReviewException($"{path} is not an object");
            if (string.IsNullOrEmpty(OptionalString(container, "name", $"{path}.name"))) throw new MalformedReviewException($"{path}.name is missing or empty");
            NamedItems(container, "env", $"{path}.env");
            if (Array(container, "ports", $"{path}.ports") is { } ports)
                for (var p = 0; p < ports.Count; p++)
                {
                    if (ports[p] is not JsonObject port) throw new MalformedReviewException($"{path}.ports[{p}] is not an object");
                    if (port["containerPort"] is not JsonValue number || !number.TryGetValue<int>(out var value) || value is < 1 or > 65535)
                        throw new MalformedReviewException($"{path}.ports[{p}].containerPort is not a port number (1-65535)");
                }
        }
        NamedItems(spec, "volumes", $"{at}.spec.volumes");
    }

    /// <summary>An array whose items are objects with a name (env, volumes), or absent.</summary>
    private static void NamedItems(JsonObject parent, string property, string path)
    {
        if (Array(parent, property, path) is not { } items) return;
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i] is not JsonObject item) throw new MalformedReviewException($"{path}[{i}] is not an object");
            if (string.IsNullOrEmpty(OptionalString(item, "name", $"{path}[{i}].name"))) throw new MalformedReviewException($"{path}[{i}].name is missing or empty");
        }
    }

    private static void StringMap(JsonObject parent, string property, string path)
    {
        if (Object(parent, property, path) is not { } map) return;
        foreach (var (key, value) in map)
            if (value is not JsonValue text || !text.TryGetValue<string>(out _))
                throw new MalformedReviewException($"{path}['{Truncate(key)}'] is not a string");
    }

    private static JsonObject? Object(JsonObject parent, string property, string path) => parent[property] switch
    {
        null => null,
        JsonObject value => value,
        _ => throw new MalformedReviewException($"{path} is not an object"),
    };

    private static JsonArray? Array(JsonObject parent, string property, string path) => parent[property] switch
    {
        null => null,
        JsonArray value => value,
        _ => throw new MalformedReviewException($"{path} is not an array"),
    };

    private static string? OptionalString(JsonObject parent, string property, string path) => parent[property] switch
    {
        null => null,
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        _ => throw new MalformedReviewException($"{path} is not a string"),
    };

    /// <summary>Keys come from the caller: never echo a long one back.</summary>
    private static string Truncate(string key) => key.Length <= 63 ? key : key[..60] + "...";
}
