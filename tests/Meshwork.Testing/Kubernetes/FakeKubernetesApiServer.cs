using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Meshwork.Testing.Kubernetes;

/// <summary>
/// A Kubernetes API server as far as Meshwork talks to one, over real HTTP on loopback. The API
/// server is a true external boundary (no cluster runs here), so tests stand it in with this: objects
/// as raw JSON (never the client library's models, so the wire format is checked independently),
/// list, get, create (POST), JSON merge patch (PATCH), delete, and the watch protocol (?watch=1:
/// one JSON event per line, replayed from the requested resourceVersion, BOOKMARKs, an ERROR event
/// with a 410 Status for a version older than the last compaction). Every request is recorded;
/// tests can drop the open watches (connection reset) or expire them (410 Gone).
/// Paths: /api/v1/... (core) and /apis/GROUP/VERSION/..., then [namespaces/NS/]RESOURCE[/NAME].
/// </summary>
public sealed class FakeKubernetesApiServer : IAsyncDisposable
{
    private readonly Lock gate = new();
    // Resource collection ("/apis/discovery.k8s.io/v1/endpointslices") -> "namespace/name" -> object.
    private readonly Dictionary<string, Dictionary<string, JsonObject>> objects = [];
    private readonly List<(long Version, string Collection, string Type, JsonObject Object)> history = [];
    private readonly List<Watch> watches = [];
    private readonly ConcurrentQueue<RecordedRequest> requests = new();
    // "namespace/pod/container" -> the container's log.
    private readonly ConcurrentDictionary<string, string> logs = new();
    private long resourceVersion = 100;
    private long compactedBelow;
    private WebApplication? app;

    public string Url { get; private set; } = "";

    public IReadOnlyList<RecordedRequest> Requests => [.. requests];

    private bool unavailable;

    /// <summary>While set, every request is answered 503 (an API server that is down or overloaded); see <see cref="GoDown"/>.</summary>
    public bool Unavailable
    {
        get { lock (gate) return unavailable; }
        set { lock (gate) unavailable = value; }
    }

    /// <summary>Drops the open watches and answers everything 503 until <see cref="Unavailable"/> is cleared.</summary>
    public void GoDown()
    {
        // Set under the gate: a watch that passed the 503 check before this but registers after it is
        // refused there (WatchAsync), so no watch outlives the outage.
        Unavailable = true;
        DropWatches();
    }

    public static async Task<FakeKubernetesApiServer> StartAsync()
    {
        var server = new FakeKubernetesApiServer();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        server.app = builder.Build();
        server.app.Map("/{**path}", server.HandleAsync);
        await server.app.StartAsync();
        server.Url = server.app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return server;
    }

    /// <summary>Creates or replaces an object (ADDED or MODIFIED to watchers); returns its new resourceVersion.</summary>
    public string Put(string collection, JsonObject obj)
    {
        lock (gate)
        {
            var key = KeyOf(obj);
            var existed = Collection(collection).ContainsKey(key);
            return Store(collection, key, obj, existed ? "MODIFIED" : "ADDED");
        }
    }

    public void Delete(string collection, string ns, string name)
    {
        lock (gate)
        {
            if (Collection(collection).Remove($"{ns}/{name}", out var removed)) Publish(collection, "DELETED", Stamp(removed));
        }
    }

    /// <summary>What GET .../pods/NAME/log?container=CONTAINER answers (honouring tailLines).</summary>
    public void SetLog(string ns, string pod, string container, string text) => logs[$"{ns}/{pod}/{container}"] = text;

    public JsonObject? Get(string collection, string ns, string name)
    {
        lock (gate) return Collection(collection).GetValueOrDefault($"{ns}/{name}")?.DeepClone().AsObject();
    }

    /// <summary>How many list (not watch) and watch requests reached a collection.</summary>
    public int CountRequests(string collectionPath, bool watch) =>
        requests.Count(r => r.Method == "GET" && r.Path.EndsWith(collectionPath, StringComparison.Ordinal) && r.Watch == watch);

    /// <summary>Resets every open watch connection (what a lost connection to the API server looks like).</summary>
    public void DropWatches()
    {
        lock (gate)
        {
            foreach (var watch in watches) watch.Context.Abort();
            watches.Clear();
        }
    }

    /// <summary>Compacts history: open watches get an ERROR event with a 410 Status and end; resuming from an older version gets the same.</summary>
    public void ExpireWatches()
    {
        lock (gate)
        {
            compactedBelow = resourceVersion + 1;
            history.Clear();
            foreach (var watch in watches)
            {
                watch.Events.Writer.TryWrite(GoneEvent());
                watch.Events.Writer.TryComplete();
            }
            watches.Clear();
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var body = await new StreamReader(request.Body, Encoding.UTF8).ReadToEndAsync();
        var watch = request.Query["watch"] is var w && (w == "1" || w == "true");
        requests.Enqueue(new RecordedRequest(request.Method, request.Path.Value!, request.QueryString.Value ?? "", request.ContentType, body, watch));
        var (collection, ns, name) = Parse(request.Path.Value!);
        if (Unavailable)
        {
            await WriteStatusAsync(context, HttpStatusCode.ServiceUnavailable, "the API server is unavailable");
            return;
        }
        if (request.Method == "GET" && request.Path.Value!.Trim('/').Split('/') is ["api", "v1", "namespaces", var logNamespace, "pods", var pod, "log"])
        {
            await WriteLogAsync(context, logNamespace, pod);
            return;
        }
        if (collection is null)
        {
            await WriteStatusAsync(context, HttpStatusCode.NotFound, "the server could not find the requested resource");
            return;
        }
        switch (request.Method, name)
        {
            case ("GET", null) when watch:
                await WatchAsync(context, collection, ns, request.Query["resourceVersion"].ToString());
                return;
            case ("GET", null):
                await WriteJsonAsync(context, HttpStatusCode.OK, ListOf(collection, ns));
                return;
            case ("GET", _):
                if (Get(collection, ns!, name) is { } found) await WriteJsonAsync(context, HttpStatusCode.OK, found);
                else await WriteStatusAsync(context, HttpStatusCode.NotFound, $"\"{name}\" not found");
                return;
            case ("POST", null):
                var created = JsonNode.Parse(body)!.AsObject();
                created["metadata"]!["namespace"] ??= ns;
                string createdVersion;
                lock (gate)
                {
                    if (Collection(collection).ContainsKey(KeyOf(created)))
                    {
                        createdVersion = "";
                    }
                    else
                    {
                        created["metadata"]!["uid"] = Guid.NewGuid().ToString();
                        createdVersion = Store(collection, KeyOf(created), created, "ADDED");
                    }
                }
                if (createdVersion.Length == 0) await WriteStatusAsync(context, HttpStatusCode.Conflict, $"\"{created["metadata"]!["name"]}\" already exists");
                else await WriteJsonAsync(context, HttpStatusCode.Created, Get(collection, ns!, created["metadata"]!["name"]!.GetValue<string>())!);
                return;
            case ("PATCH", _):
                JsonObject? patched;
                lock (gate)
                {
                    patched = Collection(collection).GetValueOrDefault($"{ns}/{name}")?.DeepClone().AsObject();
                    if (patched is not null)
                    {
                        MergePatch(patched, JsonNode.Parse(body)!.AsObject());
                        Store(collection, $"{ns}/{name}", patched, "MODIFIED");
                    }
                }
                if (patched is null) await WriteStatusAsync(context, HttpStatusCode.NotFound, $"\"{name}\" not found");
                else await WriteJsonAsync(context, HttpStatusCode.OK, Get(collection, ns!, name!)!);
                return;
            case ("DELETE", _):
                var existing = Get(collection, ns!, name!);
                Delete(collection, ns!, name!);
                if (existing is null) await WriteStatusAsync(context, HttpStatusCode.NotFound, $"\"{name}\" not found");
                else await WriteJsonAsync(context, HttpStatusCode.OK, existing);
                return;
            default:
                await WriteStatusAsync(context, HttpStatusCode.MethodNotAllowed, $"{request.Method} is not supported here");
                return;
        }
    }

    private async Task WriteLogAsync(HttpContext context, string ns, string pod)
    {
        if (!logs.TryGetValue($"{ns}/{pod}/{context.Request.Query["container"]}", out var text))
        {
            await WriteStatusAsync(context, HttpStatusCode.BadRequest, $"container \"{context.Request.Query["container"]}\" in pod \"{pod}\" is waiting to start");
            return;
        }
        if (int.TryParse(context.Request.Query["tailLines"], out var tail))
            text = string.Concat(text.Split('\n').Select(line => line + "\n").SkipLast(1).TakeLast(tail));
        context.Response.ContentType = "text/plain";
        await context.Response.WriteAsync(text);
    }

    private async Task WatchAsync(HttpContext context, string collection, string? ns, string fromVersion)
    {
        var watch = new Watch(context, collection, ns, Channel.CreateUnbounded<JsonObject>());
        lock (gate)
        {
            if (unavailable)
            {
                // Went down between this request's 503 check and here: reset, as the rest of the outage's watches were.
                context.Abort();
                return;
            }
            var from = long.TryParse(fromVersion, out var parsed) ? parsed : resourceVersion;
            if (from < compactedBelow - 1)
            {
                watch.Events.Writer.TryWrite(GoneEvent());
                watch.Events.Writer.TryComplete();
            }
            else
            {
                foreach (var past in history.Where(h => h.Version > from && h.Collection == collection && InNamespace(h.Object, ns)))
                    watch.Events.Writer.TryWrite(Event(past.Type, past.Object));
                watches.Add(watch);
            }
        }
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await context.Response.StartAsync();
        try
        {
            await foreach (var item in watch.Events.Reader.ReadAllAsync(context.RequestAborted))
            {
                await context.Response.WriteAsync(item.ToJsonString() + "\n", context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
            }
        }
        catch (OperationCanceledException)
        {
            // The client went away, or the test dropped the connection.
        }
        finally
        {
            lock (gate) watches.Remove(watch);
        }
    }

    // Caller holds the lock.
    private string Store(string collection, string key, JsonObject obj, string type)
    {
        var stored = Stamp(obj);
        Collection(collection)[key] = stored;
        Publish(collection, type, stored);
        return stored["metadata"]!["resourceVersion"]!.GetValue<string>();
    }

    // Caller holds the lock.
    private JsonObject Stamp(JsonObject obj)
    {
        var stamped = obj.DeepClone().AsObject();
        stamped["metadata"]!["resourceVersion"] = (++resourceVersion).ToString();
        return stamped;
    }

    // Caller holds the lock.
    private void Publish(string collection, string type, JsonObject obj)
    {
        history.Add((resourceVersion, collection, type, obj));
        foreach (var watch in watches.Where(w => w.Collection == collection && InNamespace(obj, w.Namespace)))
            watch.Events.Writer.TryWrite(Event(type, obj));
    }

    private JsonObject ListOf(string collection, string? ns)
    {
        lock (gate)
        {
            var items = Collection(collection).Values.Where(o => InNamespace(o, ns)).Select(o => (JsonNode)o.DeepClone()).ToArray();
            return new JsonObject
            {
                ["kind"] = "List",
                ["apiVersion"] = "v1",
                ["metadata"] = new JsonObject { ["resourceVersion"] = resourceVersion.ToString() },
                ["items"] = new JsonArray(items),
            };
        }
    }

    private Dictionary<string, JsonObject> Collection(string collection)
    {
        if (!objects.TryGetValue(collection, out var found)) objects[collection] = found = [];
        return found;
    }

    private static JsonObject Event(string type, JsonObject obj) => new() { ["type"] = type, ["object"] = obj.DeepClone() };

    private static JsonObject GoneEvent() => Event("ERROR", new JsonObject
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["status"] = "Failure",
        ["message"] = "too old resource version",
        ["reason"] = "Expired",
        ["code"] = 410,
    });

    private static bool InNamespace(JsonObject obj, string? ns) => ns is null || obj["metadata"]?["namespace"]?.GetValue<string>() == ns;

    private static string KeyOf(JsonObject obj) => $"{obj["metadata"]?["namespace"]}/{obj["metadata"]?["name"]}";

    /// <summary>RFC 7386: objects merge key by key, null removes, anything else replaces.</summary>
    private static void MergePatch(JsonObject target, JsonObject patch)
    {
        foreach (var (key, value) in patch.ToList())
        {
            if (value is null) target.Remove(key);
            else if (value is JsonObject nested && target[key] is JsonObject existing) MergePatch(existing, nested);
            else target[key] = value.DeepClone();
        }
    }

    /// <summary>(collection, namespace, name) of a path; collection null when the path names no resource.</summary>
    private static (string? Collection, string? Namespace, string? Name) Parse(string path)
    {
        var segments = path.Trim('/').Split('/');
        int rest;
        if (segments is ["api", "v1", ..]) rest = 2;
        else if (segments is ["apis", _, _, ..]) rest = 3;
        else return (null, null, null);
        var prefix = "/" + string.Join('/', segments[..rest]);
        var tail = segments[rest..];
        string? ns = null;
        if (tail is ["namespaces", var namespaceName, _, ..])
        {
            ns = namespaceName;
            tail = tail[2..];
        }
        return tail switch
        {
            [var resource] => ($"{prefix}/{resource}", ns, null),
            [var resource, var name] when ns is not null => ($"{prefix}/{resource}", ns, name),
            _ => (null, null, null),
        };
    }

    private static Task WriteJsonAsync(HttpContext context, HttpStatusCode status, JsonNode body)
    {
        context.Response.StatusCode = (int)status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(body.ToJsonString());
    }

    private static Task WriteStatusAsync(HttpContext context, HttpStatusCode status, string message) =>
        WriteJsonAsync(context, status, new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["status"] = "Failure",
            ["message"] = message,
            ["code"] = (int)status,
        });

    public async ValueTask DisposeAsync()
    {
        if (app is null) return;
        lock (gate)
        {
            foreach (var watch in watches) watch.Events.Writer.TryComplete();
        }
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private sealed record Watch(HttpContext Context, string Collection, string? Namespace, Channel<JsonObject> Events);
}

/// <summary>One request as the fake API server received it.</summary>
public sealed record RecordedRequest(string Method, string Path, string Query, string? ContentType, string Body, bool Watch)
{
    public JsonObject? Json => Body.Length == 0 ? null : JsonNode.Parse(Body) as JsonObject;
}
