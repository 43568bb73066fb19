using System.Net.Http.Headers;
using System.Text.Json;
using Meshwork.Model.Resources;
using Meshwork.Model.Serialization;

namespace Meshwork.ControlPlane.Rollouts.Webhooks;

/// <summary>What a webhook answered in the end: a 2xx, or why not (the last attempt's answer or failure, in words).</summary>
public sealed record WebhookOutcome(bool Succeeded, string Answer, int Attempts);

/// <summary>
/// POSTs a signed JSON payload to one webhook: each attempt bounded by the webhook's timeout, up to
/// its retries more attempts after a non-2xx answer, a timeout or a connection error. Redirects are
/// not followed: the URL in the rollout is the only place the signed body goes.
/// </summary>
public sealed class WebhookClient(IHttpClientFactory clients, WebhookSigner signer, TimeProvider time)
{
    public const string HttpClientName = "rollout-webhooks";

    /// <summary>Pause between attempts: a receiver that is restarting gets a moment, the controller is not held long.</summary>
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(200);

    private const int MaxAnswerChars = 200;

    public async Task<WebhookOutcome> SendAsync(RolloutWebhook webhook, WebhookPayload payload, CancellationToken ct)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(payload, MeshworkJson.Options);
        var client = clients.CreateClient(HttpClientName);
        var answer = "";
        var attempts = 1 + Math.Max(0, webhook.Retries);
        for (var attempt = 1; attempt <= attempts; attempt++)
        {
            if (attempt > 1) await Task.Delay(RetryDelay, time, ct);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(webhook.Timeout);
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, webhook.Url) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
                signer.Sign(request, body);
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                if (response.IsSuccessStatusCode) return new WebhookOutcome(true, $"answered {Status(response)}", attempt);
                answer = $"answered {Status(response)}{await BodyAsync(response, timeout.Token)}";
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                answer = $"did not answer within {Durations.Format(webhook.Timeout)}";
            }
            catch (HttpRequestException ex)
            {
                answer = $"could not be reached: {ex.GetBaseException().Message}";
            }
        }
        return new WebhookOutcome(false, attempts == 1 ? answer : $"{answer} (each of {attempts} attempts failed)", attempts);
    }

    private static string Status(HttpResponseMessage response) => $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}".TrimEnd();

    /// <summary>The start of a refusal's body, on one line: receivers usually say there why they hold the step.</summary>
    private static async Task<string> BodyAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var buffer = new char[MaxAnswerChars + 1];
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
        var read = await reader.ReadBlockAsync(buffer, ct);
        var text = string.Join(' ', new string(buffer, 0, Math.Min(read, MaxAnswerChars)).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        if (text.Length == 0) return "";
        return $": {text}{(read > MaxAnswerChars ? "…" : "")}";
    }
}
