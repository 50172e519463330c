using System.Diagnostics;
using RayPS.Errors;

namespace RayPS.Dashboard;

/// <summary>
/// Owns "which pod do we forward to now". Connections ask it for the target; when one reports that the target broke,
/// it re-resolves the head pod in the background with bounded backoff while new connections wait, and it gives up
/// (with the last error) after too many consecutive failures without a successful transfer in between. Every loss,
/// change of pod and the final failure are announced through the notice callback: it never retries silently.
/// A mere suspicion (a dropped stream, which a dying pod and a sloppy server both cause) is checked in the background
/// without holding connections back; only a check that finds another pod, or none, changes anything.
/// </summary>
internal sealed class HeadPodTracker
{
    private readonly object _gate = new();
    private readonly Func<CancellationToken, Task<DashboardTarget>> _reresolve;
    private readonly DashboardSessionOptions _options;
    private readonly Action<string> _notice;
    private static readonly TimeSpan CheckCooldown = TimeSpan.FromSeconds(5);
    private readonly CancellationTokenSource _stop = new();
    private DashboardTarget _current;
    private TaskCompletionSource<DashboardTarget>? _pending;
    private RayPSException? _failure;
    private RayPSException? _lastError;
    private Task _loop = Task.CompletedTask;
    private Task _check = Task.CompletedTask;
    private bool _checking;
    private long _checkedAt;
    private bool _stopped;
    private int _failures;
    private int _reconnects;

    /// <param name="initial">The target the session started with (already verified).</param>
    /// <param name="reresolve">Finds the head pod again and proves that a stream to it opens.</param>
    /// <param name="options">The session's reconnect budget and backoff.</param>
    /// <param name="notice">Receives one line per loss, reconnection and final failure.</param>
    public HeadPodTracker(DashboardTarget initial, Func<CancellationToken, Task<DashboardTarget>> reresolve, DashboardSessionOptions options, Action<string> notice)
    {
        _current = initial;
        _reresolve = reresolve;
        _options = options;
        _notice = notice;
    }

    /// <summary>Raised once, from a background task, when the tracker gives up.</summary>
    public event Action<RayPSException>? Failed;

    public DashboardTarget Current
    {
        get { lock (_gate) return _current; }
    }

    public bool IsReconnecting
    {
        get { lock (_gate) return _pending is not null; }
    }

    public RayPSException? Failure
    {
        get { lock (_gate) return _failure; }
    }

    public RayPSException? LastError
    {
        get { lock (_gate) return _lastError; }
    }

    public int Reconnects
    {
        get { lock (_gate) return _reconnects; }
    }

    /// <summary>The pod to connect to; waits while reconnecting; throws the failure once the tracker has given up.</summary>
    public Task<DashboardTarget> GetTargetAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            if (_failure is not null)
            {
                return Task.FromException<DashboardTarget>(_failure);
            }
            if (_stopped)
            {
                return Task.FromCanceled<DashboardTarget>(new CancellationToken(canceled: true));
            }
            return _pending is null ? Task.FromResult(_current) : _pending.Task.WaitAsync(ct);
        }
    }

    /// <summary>A connection moved data from the pod: the target works, so the failure budget starts again.</summary>
    public void ReportSuccess()
    {
        lock (_gate)
        {
            _failures = 0;
        }
    }

    /// <summary>A connection to <paramref name="target"/> failed. Reports about a pod already left, or during a reconnect, are ignored.</summary>
    public void ReportFailure(DashboardTarget target, RayPSException error)
    {
        bool failed;
        lock (_gate)
        {
            if (_failure is not null || _stopped || _pending is not null || !ReferenceEquals(target, _current))
            {
                return;
            }
            failed = CountFailureLocked(error);
            if (!failed)
            {
                _pending = new TaskCompletionSource<DashboardTarget>(TaskCreationOptions.RunContinuationsAsynchronously);
                using (ExecutionContext.SuppressFlow())
                {
                    _loop = Task.Run(() => ReconnectAsync(target));
                }
            }
        }
        if (failed)
        {
            RaiseFailed(error);
            return;
        }
        _notice($"Lost the port-forward to head pod '{target}': {error.Message} Reconnecting (up to {_options.MaxReconnectAttempts} attempts).");
    }

    /// <summary>
    /// A stream to <paramref name="target"/> dropped: re-resolve in the background and move to another pod only if
    /// the head pod changed; a failed check becomes a failure. One check at a time, and at most one per
    /// <see cref="CheckCooldown"/> after a check found the target healthy.
    /// </summary>
    public void ReportSuspect(DashboardTarget target, RayPSException reason)
    {
        lock (_gate)
        {
            if (_failure is not null || _stopped || _pending is not null || _checking || !ReferenceEquals(target, _current)
                || Stopwatch.GetElapsedTime(_checkedAt) < CheckCooldown)
            {
                return;
            }
            _checking = true;
            using (ExecutionContext.SuppressFlow())
            {
                _check = Task.Run(() => CheckAsync(target, reason));
            }
        }
    }

    /// <summary>Ends any reconnect loop; connections still waiting for a target are cancelled.</summary>
    public async Task StopAsync()
    {
        Task loop;
        Task check;
        TaskCompletionSource<DashboardTarget>? pending;
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }
            _stopped = true;
            pending = _pending;
            _pending = null;
            loop = _loop;
            check = _check;
        }
        _stop.Cancel();
        pending?.TrySetCanceled();
        await loop.ConfigureAwait(false);
        await check.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task ReconnectAsync(DashboardTarget lost)
    {
        var ct = _stop.Token;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await Task.Delay(_options.ReconnectDelay(attempt), ct).ConfigureAwait(false);
                var next = await _reresolve(ct).ConfigureAwait(false);
                TaskCompletionSource<DashboardTarget>? pending;
                lock (_gate)
                {
                    pending = _pending;
                    if (pending is null)
                    {
                        return;
                    }
                    _current = next;
                    _reconnects++;
                    _pending = null;
                }
                // Said before the waiting connections resume, so the notice precedes anything they report.
                _notice(next.PodName == lost.PodName
                    ? $"Reconnected to head pod '{next}' after {attempt} attempt(s)."
                    : $"Head pod '{lost}' was replaced: forwarding to '{next}' now.");
                pending.TrySetResult(next);
                return;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                var error = ex as RayPSException ?? new RayPSException(ErrorIds.DashboardForwardFailed, RayErrorCategory.ConnectionError,
                    $"Re-resolving the head pod of RayCluster '{_options.ClusterName}' failed: {ex.Message}", _options.ClusterName, ex);
                bool failed;
                lock (_gate)
                {
                    if (_pending is null)
                    {
                        return;
                    }
                    failed = CountFailureLocked(error);
                }
                if (failed)
                {
                    RaiseFailed(error);
                    return;
                }
            }
        }
    }

    private async Task CheckAsync(DashboardTarget suspect, RayPSException reason)
    {
        try
        {
            var found = await _reresolve(_stop.Token).ConfigureAwait(false);
            lock (_gate)
            {
                _checking = false;
                if (_pending is not null || _failure is not null || _stopped || !ReferenceEquals(suspect, _current))
                {
                    return;
                }
                if (found.PodName == suspect.PodName && found.PodUid == suspect.PodUid)
                {
                    _checkedAt = Stopwatch.GetTimestamp();
                    return;
                }
                _current = found;
                _reconnects++;
            }
            _notice($"Head pod '{suspect}' was replaced: forwarding to '{found}' now.");
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Stopped.
        }
        catch (Exception ex)
        {
            lock (_gate)
            {
                _checking = false;
            }
            var error = ex as RayPSException ?? reason;
            ReportFailure(suspect, error);
        }
    }

    /// <summary>Records the error; true when it ends the session (fatal, or over budget).</summary>
    private bool CountFailureLocked(RayPSException error)
    {
        _lastError = error;
        if (!IsFatal(error) && ++_failures <= _options.MaxReconnectAttempts)
        {
            return false;
        }
        _failure = error;
        _pending?.TrySetException(error);
        _pending = null;
        return true;
    }

    private void RaiseFailed(RayPSException error)
    {
        var why = IsFatal(error) ? "" : $" after {_options.MaxReconnectAttempts} failed attempts";
        _notice($"Gave up forwarding to RayCluster '{_options.ClusterName}'{why}: {error.Message} The local port is closed; run Start-RayDashboard again once the cluster is ready.");
        Failed?.Invoke(error);
    }

    /// <summary>Retrying cannot fix credentials or RBAC.</summary>
    private static bool IsFatal(RayPSException error) =>
        error.ErrorId is ErrorIds.KubeApiForbidden or ErrorIds.KubeApiUnauthorized or ErrorIds.KubeApiTlsFailure;
}
