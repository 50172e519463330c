using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace RayPS.Kube;

/// <summary>What a request may safely do again when an attempt fails.</summary>
public enum RetryClass
{
    /// <summary>A read (or a dry run): retried on 429, 5xx and dropped connections.</summary>
    Read,

    /// <summary>
    /// A write that cannot apply twice: a JSON patch guarded by a test, a merge patch of absolute values, a server-side
    /// apply, a scale write of an absolute number. Retried like a read.
    /// </summary>
    IdempotentWrite,

    /// <summary>A create of a named object: retried like a read; a 409 after an attempt that may have landed is read back.</summary>
    Create,

    /// <summary>A delete: retried like a read; a 404 after an attempt that may have landed means it is done.</summary>
    Delete,

    /// <summary>A write that could apply twice (e.g. an unguarded JSON patch): retried only on 429, which the server refused unapplied.</summary>
    UnsafeWrite,

    /// <summary>One attempt only.</summary>
    None,

    /// <summary>
    /// A GET through the API server's pod or service proxy: retried on dropped connections and on the API server's own
    /// 429/5xx Status answers, except those that describe the target (no endpoints, cannot dial it); the target's own
    /// answers (Ray's 503 "Local Raylet failed") are returned at once, since they are the answer.
    /// </summary>
    ProxyRead,
}

/// <summary>What the attempts of one request did, filled in by <see cref="RetryHandler"/> for the caller.</summary>
public sealed class RequestAttempts
{
    /// <summary>How many attempts were sent.</summary>
    public int Count { get; internal set; }

    /// <summary>A write attempt failed in a way that does not tell whether the server applied it (5xx, reset, no answer).</summary>
    public bool MayHaveLanded { get; internal set; }

    public int MaxAttempts { get; internal set; }

    /// <summary>The last API-server Status answer that was retried (for proxy reads whose budget ran out while retrying).</summary>
    public (int Status, string Body)? LastRetriedAnswer { get; internal set; }
}

/// <summary>
/// The one retry policy of the client layer. Reads retry on 429, 5xx (500, 502, 503, 504) and dropped connections with
/// jittered exponential backoff, honouring Retry-After (capped by <see cref="MaxDelay"/>). Writes retry the same way only
/// when sending them twice cannot apply them twice (<see cref="RetryClass"/>); any other write retries only on 429, which a
/// server sends before doing anything. Every attempt is traced (status, time, the wait before the next) to
/// <see cref="KubeApi.Trace"/>, and the caller learns how many attempts were made through <see cref="AttemptsKey"/>.
/// </summary>
public sealed class RetryHandler : DelegatingHandler
{
    public static readonly HttpRequestOptionsKey<bool> NoRetry = new("RayPS.NoRetry");
    public static readonly HttpRequestOptionsKey<RetryClass> ClassKey = new("RayPS.RetryClass");
    public static readonly HttpRequestOptionsKey<RequestAttempts> AttemptsKey = new("RayPS.Attempts");

    public int MaxAttempts { get; init; } = 5;
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(100);
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The class a request gets when its sender did not say: reads are reads, any other method is an unsafe write.</summary>
    public static RetryClass DefaultClass(HttpMethod method) =>
        method == HttpMethod.Get || method == HttpMethod.Head ? RetryClass.Read : RetryClass.UnsafeWrite;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var retryClass = request.Options.TryGetValue(ClassKey, out var c) ? c : DefaultClass(request.Method);
        if (request.Options.TryGetValue(NoRetry, out var noRetry) && noRetry)
        {
            retryClass = RetryClass.None;
        }
        if (!request.Options.TryGetValue(AttemptsKey, out var attempts))
        {
            attempts = new RequestAttempts();
        }
        attempts.MaxAttempts = retryClass == RetryClass.None ? 1 : MaxAttempts;
        var isWrite = !(request.Method == HttpMethod.Get || request.Method == HttpMethod.Head);
        var retries5xx = retryClass is RetryClass.Read or RetryClass.IdempotentWrite or RetryClass.Create or RetryClass.Delete or RetryClass.ProxyRead;
        var target = $"{request.Method} {request.RequestUri?.PathAndQuery}";

        for (var attempt = 1; ; attempt++)
        {
            attempts.Count = attempt;
            var started = Stopwatch.GetTimestamp();
            HttpResponseMessage response;
            try
            {
                response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException ex) when (IsTransient(ex))
            {
                // A connection that dropped after the request went out leaves a write's outcome open; one that could
                // not be made (refused, unresolvable, TLS) never carried it.
                attempts.MayHaveLanded |= isWrite && ex.HttpRequestError is not (HttpRequestError.ConnectionError
                    or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError);
                var canRetry = retries5xx && attempt < attempts.MaxAttempts;
                var wait = canRetry ? Backoff(attempt, null) : TimeSpan.Zero;
                TraceAttempt(target, "connection lost", started, attempt, attempts.MaxAttempts, canRetry ? wait : null);
                if (!canRetry)
                {
                    throw;
                }
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
                continue;
            }
            catch (OperationCanceledException)
            {
                // Cancelled or timed out with the attempt in flight: the server may still apply a write.
                attempts.MayHaveLanded |= isWrite;
                TraceAttempt(target, "no answer (cancelled or timed out)", started, attempt, attempts.MaxAttempts, null);
                throw;
            }

            var status = (int)response.StatusCode;
            var is5xx = status is 500 or 502 or 503 or 504;
            if (isWrite && status >= 500)
            {
                attempts.MayHaveLanded = true;
            }
            var retryable = retryClass != RetryClass.None && (status == 429 || (retries5xx && is5xx));
            if (retryable && retryClass == RetryClass.ProxyRead)
            {
                retryable = await IsApiServerHiccupAsync(response, attempts, cancellationToken).ConfigureAwait(false);
            }
            var again = retryable && attempt < attempts.MaxAttempts;
            var delay = again ? Backoff(attempt, RetryAfter(response)) : TimeSpan.Zero;
            TraceAttempt(target, status.ToString(CultureInfo.InvariantCulture), started, attempt, attempts.MaxAttempts, again ? delay : null,
                retryable || attempt > 1);
            if (!again)
            {
                return response;
            }
            response.Dispose();
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }
    }

    private static void TraceAttempt(string target, string outcome, long started, int attempt, int max, TimeSpan? wait, bool numbered = true)
    {
        if (KubeApi.Trace is not { } trace)
        {
            return;
        }
        var line = $"{target} -> {outcome} in {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms";
        if (numbered)
        {
            line += $" (attempt {attempt} of {max})";
        }
        if (wait is { } w)
        {
            line += $"; retrying in {w.TotalMilliseconds:0} ms";
        }
        trace(line);
    }

    /// <summary>
    /// The API server's own Status (kind Status, apiVersion v1) that is not about the proxied target: a retry may get
    /// through. "no endpoints available" and "error trying to reach service" describe the target and are final.
    /// </summary>
    private static async Task<bool> IsApiServerHiccupAsync(HttpResponseMessage response, RequestAttempts attempts, CancellationToken ct)
    {
        if (response.Content.Headers.ContentType?.MediaType != "application/json")
        {
            return false;
        }
        await response.Content.LoadIntoBufferAsync().ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        JsonObject? status;
        try
        {
            status = JsonNode.Parse(body) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
        if (status?["kind"]?.GetValue<string>() != "Status" || status["apiVersion"]?.GetValue<string>() != "v1")
        {
            return false;
        }
        if (IsAboutTarget(status["message"]?.GetValue<string>()))
        {
            return false;
        }
        attempts.LastRetriedAnswer = ((int)response.StatusCode, body);
        return true;
    }

    /// <summary>A proxy failure message that describes the proxied pod or service rather than the API server.</summary>
    public static bool IsAboutTarget(string? message) =>
        message is not null && (message.Contains("no endpoints available", StringComparison.OrdinalIgnoreCase)
            || message.Contains("error trying to reach", StringComparison.OrdinalIgnoreCase)
            || message.Contains("dial tcp", StringComparison.OrdinalIgnoreCase)
            || message.Contains("connection refused", StringComparison.OrdinalIgnoreCase)
            || message.Contains("no route to host", StringComparison.OrdinalIgnoreCase));

    private static bool IsTransient(HttpRequestException ex) =>
        ex.InnerException is IOException || ex.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.ResponseEnded;

    /// <summary>The answer's Retry-After as a wait (a date becomes the time until it).</summary>
    internal static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta) return delta;
        if (header?.Date is { } date) return date - DateTimeOffset.UtcNow;
        return null;
    }

    /// <summary>The default policy's wait before attempt <paramref name="attempt"/> + 1, for retries outside HTTP requests (port-forward upgrades).</summary>
    public static TimeSpan DefaultBackoff(int attempt, TimeSpan? retryAfter) => Default.Backoff(attempt, retryAfter);

    private static readonly RetryHandler Default = new();

    /// <summary>
    /// The wait before attempt <paramref name="attempt"/> + 1 of an operation whose guarded write lost a race (a failed
    /// JSON patch test, a 409 on a scale): the request itself was answered and is never resent as is; the operation reads
    /// again and sends a new write. Shorter than <see cref="DefaultBackoff"/> (another client's write is already done, the
    /// server is not struggling): 50 ms doubling to 1.6 s, with up to 25 ms of jitter.
    /// </summary>
    public static TimeSpan ConflictBackoff(int attempt) =>
        TimeSpan.FromMilliseconds(25 * (1 << Math.Clamp(attempt, 1, 6)) + Random.Shared.Next(25));

    /// <summary>
    /// The wait before reconnect attempt <paramref name="attempt"/> (1-based) of a long-lived session that lost its target
    /// (the dashboard's head pod): the first at once (the pod may simply have been replaced), then
    /// <paramref name="baseDelay"/> doubling up to <paramref name="maxDelay"/>, so the attempts span the budget a user sets.
    /// </summary>
    public static TimeSpan ReconnectBackoff(int attempt, TimeSpan baseDelay, TimeSpan maxDelay)
    {
        if (attempt <= 1)
        {
            return TimeSpan.Zero;
        }
        var ms = baseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 2, 20));
        return TimeSpan.FromMilliseconds(Math.Min(ms, maxDelay.TotalMilliseconds));
    }

    private TimeSpan Backoff(int attempt, TimeSpan? retryAfter)
    {
        if (retryAfter is { } ra && ra > TimeSpan.Zero)
        {
            return ra < MaxDelay ? ra : MaxDelay;
        }
        var ms = BaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1);
        ms += Random.Shared.NextDouble() * BaseDelay.TotalMilliseconds;
        return TimeSpan.FromMilliseconds(Math.Min(ms, MaxDelay.TotalMilliseconds));
    }
}
