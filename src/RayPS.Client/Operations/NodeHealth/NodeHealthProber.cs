using RayPS.Ray;

namespace RayPS.Operations;

/// <summary>
/// Bounds how many health probes (GETs of <see cref="RayHttpClient"/>, each with its own timeout) run at once, so one
/// slow or unreachable pod never stalls the rest, and counts each one done for the progress bar. Probes never throw for
/// a failed check (a timeout, a refused connection or an error status are answers); only cancellation propagates.
/// </summary>
internal sealed class NodeHealthProber
{
    private readonly SemaphoreSlim _throttle;
    private readonly Action _completed;

    public NodeHealthProber(int throttleLimit, Action completed)
    {
        _throttle = new SemaphoreSlim(Math.Max(1, throttleLimit));
        _completed = completed;
    }

    public async Task<RayHttpAnswer> RunAsync(Func<Task<RayHttpAnswer>> probe, CancellationToken ct)
    {
        await _throttle.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            return await probe().ConfigureAwait(false);
        }
        finally
        {
            _throttle.Release();
            _completed();
        }
    }
}
