using System.Diagnostics;
using System.Globalization;
using System.Net;
using Meshwork.Proxy.Routing;

namespace Meshwork.Proxy.Resilience;

/// <summary>
/// Envoy router semantics inside the cluster's HttpMessageInvoker: per-try and overall request
/// timeouts, and retries on the configured conditions (5xx, gateway-error, reset,
/// connect-failure, retriable-status-codes, and the gRPC statuses cancelled, deadline-exceeded,
/// internal, resource-exhausted, unavailable) with jittered exponential backoff, each retry
/// admitted by the cluster's retry budget. Bodiless requests and requests whose body was buffered
/// (<see cref="RequestBodyBuffer"/>) are replayed, and gRPC calls whose streamed body was copied in
/// full (<see cref="ReplayableStreamContent"/>); a body too large to buffer is sent once. Timeouts produce
/// a 504 response (a gRPC call: DEADLINE_EXCEEDED) rather than an exception, so callers see Envoy's answer, not a reset.
/// </summary>
public sealed class RetryHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    public const string TimeoutHeader = "x-meshwork-timeout";

    // Most requests have no retry or timeout to enforce: they pass straight through, without an async
    // state machine or a per-attempt token source (the transform attaches a plan only when it needs this handler).
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        request.Options.TryGetValue(RequestPlan.OptionKey, out var plan) && plan.NeedsHandler
            ? SendWithPlanAsync(request, plan, cancellationToken)
            : base.SendAsync(request, cancellationToken);

    private async Task<HttpResponseMessage> SendWithPlanAsync(HttpRequestMessage request, RequestPlan plan, CancellationToken cancellationToken)
    {
        var retries = plan.Replayable ? plan.Retries : null;
        var maxAttempts = 1 + Math.Max(0, retries?.Attempts ?? 0);
        // The forwarder's content streams the client's body and can be sent only once; every attempt
        // sends the buffered copy instead.
        ReplayableStreamContent? grpcBody = null;
        if (retries is not null && plan.BufferedBody is { } body && request.Content is { } streamed)
            request.Content = BufferedContent(streamed, body);
        else if (retries is not null && plan.Grpc && request.Content is { } call)
            request.Content = grpcBody = new ReplayableStreamContent(call);
        var deadline = plan.RequestTimeout is { } total ? plan.StartedAt + (long)(total.TotalSeconds * Stopwatch.Frequency) : long.MaxValue;
        var inRetry = false;
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                var remaining = deadline == long.MaxValue ? Timeout.InfiniteTimeSpan : Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
                if (deadline != long.MaxValue && remaining <= TimeSpan.Zero)
                    return TimedOut(request, plan, "request");
                var tryTimeout = Min(plan.PerTryTimeout, remaining);
                // Which limit this attempt's timer stands for. Asking the clock after the timer fired is
                // not enough: timers may fire a little before the deadline they were set for.
                var boundByDeadline = deadline != long.MaxValue && tryTimeout == remaining;
                using var attemptCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                if (tryTimeout != Timeout.InfiniteTimeSpan)
                    attemptCts.CancelAfter(tryTimeout);

                HttpResponseMessage? response = null;
                string? failure;
                try
                {
                    response = await base.SendAsync(request, attemptCts.Token);
                    failure = RetryConditions.ForResponse(retries, response);
                    if (failure is null)
                        return response;
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    var overall = boundByDeadline || (deadline != long.MaxValue && Stopwatch.GetTimestamp() >= deadline);
                    if (overall || attempt >= maxAttempts || !RetryConditions.OnTimeout(retries))
                        return TimedOut(request, plan, overall ? "request" : "per-try");
                    failure = "per-try-timeout";
                }
                catch (HttpRequestException ex) when (attempt < maxAttempts && RetryConditions.ForException(retries, ex) is not null)
                {
                    failure = RetryConditions.ForException(retries, ex);
                }

                if (attempt >= maxAttempts || retries is null)
                    return response!;
                // A gRPC body still streaming, or too large to have been kept, cannot be sent again.
                var replay = grpcBody?.ForRetry();
                if (grpcBody is not null && replay is null)
                    return LastAttempt(response, failure, "the streamed request body cannot be replayed");
                if (inRetry)
                {
                    plan.Counters.EndRetry();
                    inRetry = false;
                }
                if (!plan.Counters.TryStartRetry(retries.Budget))
                    return LastAttempt(response, failure, "retry budget exhausted");
                inRetry = true;
                response?.Dispose();
                if (replay is not null)
                    request.Content = replay;
                await Task.Delay(Backoff(retries, attempt), cancellationToken);
            }
        }
        finally
        {
            if (inRetry)
                plan.Counters.EndRetry();
        }

        // Envoy answers a retry it does not make with what the last attempt got: its response, its timeout (504), or its reset.
        HttpResponseMessage LastAttempt(HttpResponseMessage? response, string? failure, string why)
        {
            if (response is not null)
                return response;
            if (failure == "per-try-timeout")
                return TimedOut(request, plan, "per-try");
            throw new HttpRequestException($"upstream {failure}; {why}");
        }
    }

    private static ReadOnlyMemoryContent BufferedContent(HttpContent streamed, ReadOnlyMemory<byte> body)
    {
        var content = new ReadOnlyMemoryContent(body);
        foreach (var (name, values) in streamed.Headers.NonValidated)
        {
            // The length is the buffer's; a chunked request goes on with a Content-Length.
            if (!name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                content.Headers.TryAddWithoutValidation(name, values);
        }
        return content;
    }

    private static TimeSpan Min(TimeSpan? perTry, TimeSpan remaining)
    {
        if (perTry is not { } p || p <= TimeSpan.Zero)
            return remaining;
        return remaining == Timeout.InfiniteTimeSpan || p < remaining ? p : remaining;
    }

    /// <summary>Envoy: full jitter over base * 2^(n-1), capped at the max.</summary>
    private static TimeSpan Backoff(Model.Resources.RetryPolicy retries, int attempt)
    {
        var ceiling = Math.Min(retries.BackoffMax.TotalMilliseconds, retries.BackoffBase.TotalMilliseconds * Math.Pow(2, attempt - 1));
        return ceiling <= 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * ceiling);
    }

    /// <summary>
    /// A 504, or for a gRPC call a trailers-only DEADLINE_EXCEEDED (HTTP 200, as gRPC answers every
    /// call), as Envoy answers a gRPC call whose timeout fired: the client sees the status it expects.
    /// </summary>
    private static HttpResponseMessage TimedOut(HttpRequestMessage request, RequestPlan plan, string which)
    {
        var response = new HttpResponseMessage(plan.Grpc ? HttpStatusCode.OK : HttpStatusCode.GatewayTimeout)
        {
            RequestMessage = request,
            Version = request.Version,
            Content = plan.Grpc ? new ByteArrayContent([]) : new StringContent($"upstream {which} timeout"),
        };
        if (plan.Grpc)
        {
            response.Content.Headers.TryAddWithoutValidation("Content-Type", GrpcProtocol.ContentType);
            response.Headers.TryAddWithoutValidation(GrpcProtocol.StatusHeader, GrpcProtocol.DeadlineExceeded.ToString(CultureInfo.InvariantCulture));
            response.Headers.TryAddWithoutValidation(GrpcProtocol.MessageHeader, $"upstream {which} timeout");
        }
        response.Headers.TryAddWithoutValidation(TimeoutHeader, which);
        return response;
    }
}

/// <summary>Envoy retry_on conditions.</summary>
public static class RetryConditions
{
    /// <summary>
    /// A retryable status, or for gRPC a retryable grpc-status in the response headers. Like Envoy,
    /// only a trailers-only response (the call failed before any message) is looked at: a call whose
    /// messages have begun to stream back cannot be retried.
    /// </summary>
    public static string? ForResponse(Model.Resources.RetryPolicy? retries, HttpResponseMessage response)
    {
        var status = (int)response.StatusCode;
        if (retries is null || status >= 300)
            return ForStatus(retries, status);
        return response.Headers.NonValidated.TryGetValues(GrpcProtocol.StatusHeader, out var values) &&
            GrpcProtocol.ParseStatus(values.ToString()) is { } code &&
            GrpcProtocol.RetryConditions.TryGetValue(code, out var condition) && retries.RetryOn.Contains(condition)
                ? condition
                : null;
    }

    private static string? ForStatus(Model.Resources.RetryPolicy? retries, int status)
    {
        if (retries is null || status < 300)
            return null;
        var on = retries.RetryOn;
        if (status >= 500 && on.Contains("5xx"))
            return "5xx";
        if (status is 502 or 503 or 504 && on.Contains("gateway-error"))
            return "gateway-error";
        if (on.Contains("retriable-status-codes") && retries.RetriableStatusCodes.Contains(status))
            return "retriable-status-codes";
        return null;
    }

    public static bool OnTimeout(Model.Resources.RetryPolicy? retries) =>
        retries is not null && (retries.RetryOn.Contains("5xx") || retries.RetryOn.Contains("gateway-error") || retries.RetryOn.Contains("reset"));

    public static string? ForException(Model.Resources.RetryPolicy? retries, HttpRequestException ex)
    {
        if (retries is null)
            return null;
        var connect = ex.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError;
        if (connect && (retries.RetryOn.Contains("connect-failure") || retries.RetryOn.Contains("5xx") || retries.RetryOn.Contains("gateway-error")))
            return "connect-failure";
        if (!connect && (retries.RetryOn.Contains("reset") || retries.RetryOn.Contains("5xx")))
            return "reset";
        return null;
    }
}
