using System.Net;

namespace RayPS.Kube;

/// <summary>
/// Retries reads on 429, 5xx and dropped connections with bounded exponential backoff, honouring Retry-After.
/// Writes are retried only on 429 (the server refused them before doing anything), so a retry never doubles a write.
/// </summary>
public sealed class RetryHandler : DelegatingHandler
{
    public static readonly HttpRequestOptionsKey<bool> NoRetry = new("RayPS.NoRetry");

    public int MaxAttempts { get; init; } = 5;
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(100);
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(5);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var isRead = request.Method == HttpMethod.Get || request.Method == HttpMethod.Head;
        var allowed = !(request.Options.TryGetValue(NoRetry, out var noRetry) && noRetry);
        for (var attempt = 1; ; attempt++)
        {
            HttpResponseMessage response;
            try
            {
                response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException ex) when (allowed && isRead && attempt < MaxAttempts && IsTransient(ex))
            {
                await Task.Delay(Backoff(attempt, null), cancellationToken).ConfigureAwait(false);
                continue;
            }

            var status = (int)response.StatusCode;
            var retryable = status == 429 || (isRead && status is 500 or 502 or 503 or 504);
            if (!allowed || !retryable || attempt >= MaxAttempts)
            {
                return response;
            }

            var delay = Backoff(attempt, RetryAfter(response));
            response.Dispose();
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }
    }

    private static bool IsTransient(HttpRequestException ex) =>
        ex.InnerException is IOException || ex.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.ResponseEnded;

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta) return delta;
        if (header?.Date is { } date) return date - DateTimeOffset.UtcNow;
        return null;
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
