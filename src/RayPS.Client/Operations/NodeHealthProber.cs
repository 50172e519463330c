using System.Diagnostics;
using RayPS.Kube;
using RayPS.Ray;

namespace RayPS.Operations;

/// <summary>
/// Sends GETs through the API server's pod and service proxies with a bound on how many run at once and a timeout on
/// each, so one slow or unreachable pod never stalls the rest. Never throws for a failed probe: a timeout, a refused
/// connection or an error status all come back as a <see cref="ProxyAnswer"/>. Only cancellation propagates.
/// </summary>
internal sealed class NodeHealthProber
{
    private readonly KubeApi _api;
    private readonly SemaphoreSlim _throttle;
    private readonly Action _completed;

    public NodeHealthProber(KubeApi api, int throttleLimit, Action completed)
    {
        _api = api;
        _throttle = new SemaphoreSlim(Math.Max(1, throttleLimit));
        _completed = completed;
    }

    public async Task<ProxyAnswer> GetAsync(string path, TimeSpan timeout, CancellationToken ct)
    {
        await _throttle.WaitAsync(ct).ConfigureAwait(false);
        var started = Stopwatch.GetTimestamp();
        ProxyAnswer answer;
        try
        {
            var (status, body) = await _api.GetTextAsync(path, ct, timeout).ConfigureAwait(false);
            answer = ProxyAnswer.Answered(status, body);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            answer = ProxyAnswer.Expired(timeout);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            answer = ProxyAnswer.Failed(ex.InnerException is { } inner ? $"{ex.Message} ({inner.Message})" : ex.Message);
        }
        finally
        {
            _throttle.Release();
            _completed();
        }

        // The retry policy has traced each attempt; only a probe that ran out of time gets a line of its own.
        if (answer.TimedOut)
        {
            KubeApi.Trace?.Invoke($"GET {path} -> timed out in {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms");
        }
        return answer;
    }
}
