using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Meshwork.Cli.Client;

/// <summary>The portal's REST API as the CLI uses it: bearer token from the saved credentials, renewed when it expires.</summary>
public sealed class MeshworkClient : IDisposable
{
    public const string YamlMediaType = "application/yaml";

    private readonly HttpClient http;
    private readonly CliEnvironment environment;
    private Credentials credentials;

    private MeshworkClient(HttpClient http, CliEnvironment environment, Credentials credentials)
    {
        this.http = http;
        this.environment = environment;
        this.credentials = credentials;
    }

    public static HttpClient CreateHttp(string server, CliEnvironment environment)
    {
        var http = environment.Handler is null ? new HttpClient() : new HttpClient(environment.Handler, disposeHandler: false);
        http.BaseAddress = new Uri(server.TrimEnd('/') + "/");
        http.Timeout = TimeSpan.FromSeconds(100);
        http.DefaultRequestHeaders.Add("Meshwork-Client", "meshctl");
        return http;
    }

    /// <summary>Client credentials grant against the portal's token endpoint.</summary>
    public static async Task<(Credentials? Credentials, string? Error)> LoginAsync(string server, string clientId, string clientSecret,
        CliEnvironment environment, CancellationToken ct)
    {
        using var http = CreateHttp(server, environment);
        return await RequestTokenAsync(http, server, clientId, clientSecret, ct);
    }

    public static (MeshworkClient? Client, string? Error) FromSaved(CliEnvironment environment)
    {
        var saved = Credentials.Load(environment.ConfigDirectory);
        if (saved is null)
            return (null, $"Not logged in: run `meshctl login --server URL --client-id ID --client-secret SECRET` (credentials go to {environment.ConfigDirectory}).");
        return (new MeshworkClient(CreateHttp(saved.Server, environment), environment, saved), null);
    }

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? body = null, string? contentType = null,
        string? accept = null, string? ifMatch = null, CancellationToken ct = default)
    {
        await EnsureTokenAsync(ct);
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credentials.AccessToken);
        if (accept is not null)
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
        if (ifMatch is not null)
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        if (body is not null)
            request.Content = new StringContent(body, Encoding.UTF8, contentType ?? "application/json");
        return await http.SendAsync(request, ct);
    }

    /// <summary>An RFC 7807 body as lines a person reads: the title, then every issue with its path.</summary>
    public static async Task<IReadOnlyList<string>> DescribeProblemAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        var lines = new List<string>();
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            var title = root.TryGetProperty("title", out var t) ? t.GetString() : null;
            lines.Add($"error: {(int)response.StatusCode} {title ?? response.ReasonPhrase}");
            if (root.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array)
            {
                foreach (var issue in errors.EnumerateArray())
                {
                    var path = issue.TryGetProperty("path", out var p) ? p.GetString() : "";
                    var message = issue.TryGetProperty("message", out var m) ? m.GetString() : "";
                    var severity = issue.TryGetProperty("severity", out var s) ? s.GetString() : "error";
                    lines.Add($"  {(severity == "warning" ? "warning" : "error")}: {(string.IsNullOrEmpty(path) ? "(document)" : path)}: {message}");
                }
            }
            else if (root.TryGetProperty("detail", out var detail) && detail.GetString() is { Length: > 0 } d)
            {
                lines.Add("  " + d);
            }
        }
        catch (JsonException)
        {
            lines.Add($"error: {(int)response.StatusCode} {response.ReasonPhrase}");
            if (!string.IsNullOrWhiteSpace(text))
                lines.Add("  " + text.Trim());
        }
        return lines;
    }

    private async Task EnsureTokenAsync(CancellationToken ct)
    {
        if (credentials.ExpiresAt > DateTimeOffset.UtcNow.AddSeconds(30))
            return;
        var (renewed, error) = await RequestTokenAsync(http, credentials.Server, credentials.ClientId, credentials.ClientSecret, ct);
        if (renewed is null)
            throw new CliException($"Could not renew the access token: {error}. Run `meshctl login` again.");
        credentials = renewed;
        renewed.Save(environment.ConfigDirectory);
    }

    private static async Task<(Credentials?, string?)> RequestTokenAsync(HttpClient http, string server, string clientId, string clientSecret,
        CancellationToken ct)
    {
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = clientId,
            ["client_secret"] = clientSecret,
        });
        HttpResponseMessage response;
        try
        {
            response = await http.PostAsync("connect/token", form, ct);
        }
        catch (HttpRequestException e)
        {
            return (null, $"cannot reach {server}: {e.Message}");
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            try
            {
                using var document = JsonDocument.Parse(text);
                var root = document.RootElement;
                if (response.StatusCode != HttpStatusCode.OK || !root.TryGetProperty("access_token", out var token))
                {
                    var error = root.TryGetProperty("error_description", out var d) ? d.GetString()
                        : root.TryGetProperty("error", out var e) ? e.GetString() : response.ReasonPhrase;
                    return (null, $"login refused ({(int)response.StatusCode}): {error}");
                }
                var seconds = root.TryGetProperty("expires_in", out var exp) ? exp.GetInt32() : 3600;
                return (new Credentials(server, clientId, clientSecret, token.GetString()!, DateTimeOffset.UtcNow.AddSeconds(seconds)), null);
            }
            catch (JsonException)
            {
                return (null, $"login failed ({(int)response.StatusCode}): the server did not answer as an OIDC token endpoint");
            }
        }
    }

    public void Dispose() => http.Dispose();
}

/// <summary>An expected failure with a message for the user (exit code 1, no stack trace).</summary>
public sealed class CliException(string message) : Exception(message);
