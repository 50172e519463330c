using System.Diagnostics;
using RayPS.Errors;

namespace RayPS.Dashboard;

/// <summary>
/// Owns "which pod do we forward to now", and the session's failure budget. Three kinds of trouble are told apart:
/// <list type="bullet">
/// <item>The pod broke (gone, not running, its port refused): <see cref="ReportFailure"/> starts one reconnect: the head
/// pod is re-resolved in the background with bounded backoff while new connections wait. A reconnect makes up to
/// <see cref="DashboardSessionOptions.MaxReconnectAttempts"/> attempts, and says "Lost ...", then "Reconnected after N
/// attempt(s)" (or "replaced") or "Gave up after N failed attempts" with the same N it counted.</item>
/// <item>The API server refused to open one connection's stream even after the retry policy's attempts (a 503, 429,
/// reset): that is not the pod's fault, so the connection retries on its own (<see cref="ReportOpenFailed"/>) and the
/// others are not held back; nothing is re-resolved.</item>
/// <item>A stream dropped (a dying pod and a sloppy server both cause it): <see cref="ReportSuspect"/> checks in the
/// background without holding connections back; only a check that finds another pod, or none, changes anything.</item>
/// </list>
/// Reconnects that never lead to an answer from the pod are bounded too, so a session cannot flap forever. Every
/// notice goes through one ordered outbox, so they arrive in the order the tracker decided them ("Lost" before
/// "Reconnected"), and the final "Gave up" comes before <see cref="Failed"/> is raised. It never retries silently.
/// </summary>
internal sealed class HeadPodTracker
{
    private static readonly TimeSpan DefaultCheckCooldown = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan DefaultOpenNoticeQuiet = TimeSpan.FromMinutes(1);

    private readonly object _gate = new();
    private readonly Func<CancellationToken, Task<DashboardTarget>> _reresolve;
    private readonly DashboardSessionOptions _options;
    private readonly Action<string> _notice;
    private readonly TimeSpan _checkCooldown;
    private readonly TimeSpan _openNoticeQuiet;
    private readonly CancellationTokenSource _stop = new();
    private readonly Queue<Action> _outbox = new();
    private bool _delivering;
    private DashboardTarget _current;
    private TaskCompletionSource<DashboardTarget>? _pending;
    private RayPSException? _failure;
    private RayPSException? _lastError;
    private Task _loop = Task.CompletedTask;
    private Task _check = Task.CompletedTask;
    private bool _checking;
    private long _checkedAt;
    private bool _stopped;
    private int _reconnects;
    private int _reconnectsWithoutAnswer;
    private int _openFailuresInARow;
    private bool _openTroubleAnnounced;
    private long _openTroubleAnnouncedAt;

    /// <param name="initial">The target the session started with (already verified).</param>
    /// <param name="reresolve">Finds the head pod again and proves that a stream to it opens.</param>
    /// <param name="options">The session's reconnect budget and backoff.</param>
    /// <param name="notice">Receives one line per loss, reconnection and final failure, in order, one at a time.</param>
    /// <param name="checkCooldown">After a suspect check found the pod healthy, further suspicions are ignored this long (default 5 s).</param>
    /// <param name="openNoticeQuiet">
    /// After saying that the API server refuses port-forwards, a new run of refusals is not announced again (nor its end)
    /// for this long (default 1 min): a flaky server must not flood the console; the final "Gave up" is always said.
    /// </param>
    public HeadPodTracker(DashboardTarget initial, Func<CancellationToken, Task<DashboardTarget>> reresolve, DashboardSessionOptions options, Action<string> notice,
        TimeSpan? checkCooldown = null, TimeSpan? openNoticeQuiet = null)
    {
        _openNoticeQuiet = openNoticeQuiet ?? DefaultOpenNoticeQuiet;
        _current = initial;
        _reresolve = reresolve;
        _options = options;
        _notice = notice;
        _checkCooldown = checkCooldown ?? DefaultCheckCooldown;
    }

    /// <summary>Raised once, from a background task, when the tracker gives up (after the "Gave up" notice).</summary>
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

    /// <summary>The running suspect check, if any (completed otherwise).</summary>
    internal Task CheckTask
    {
        get { lock (_gate) return _check; }
    }

    /// <summary>The running reconnect loop, if any (completed otherwise).</summary>
    internal Task ReconnectTask
    {
        get { lock (_gate) return _loop; }
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

    /// <summary>A connection moved data from the pod: the pod answers, so reconnects start counting again.</summary>
    public void ReportSuccess()
    {
        lock (_gate)
        {
            _reconnectsWithoutAnswer = 0;
        }
    }

    /// <summary>The API server opened a stream: port-forwards work (again).</summary>
    public void ReportOpened(DashboardTarget target)
    {
        lock (_gate)
        {
            if (_openFailuresInARow == 0 || _stopped || _failure is not null)
            {
                return;
            }
            if (_openTroubleAnnounced)
            {
                SayLocked($"Port-forwards to head pod '{target}' open again, after {Failures(_openFailuresInARow)} in a row.");
                _openTroubleAnnounced = false;
            }
            _openFailuresInARow = 0;
        }
        Deliver();
    }

    /// <summary>
    /// The API server did not open a stream for one connection even after the retry policy's attempts (429, 5xx, a
    /// dropped or timed-out handshake): the connection should try again after the returned delay, on its own. Null
    /// when it should not (the session stopped, or this was the connection's last attempt and the session gave up).
    /// </summary>
    /// <param name="target">The pod the connection tried.</param>
    /// <param name="error">What the last attempt got.</param>
    /// <param name="attempt">How many opens this connection has made in a row (1-based).</param>
    public TimeSpan? ReportOpenFailed(DashboardTarget target, RayPSException error, int attempt)
    {
        TimeSpan? delay;
        lock (_gate)
        {
            if (_failure is not null || _stopped)
            {
                return null;
            }
            if (_pending is not null || !ReferenceEquals(target, _current))
            {
                // The pod is being re-resolved or has changed: the next try waits for (or uses) the new one.
                return TimeSpan.Zero;
            }
            _lastError = error;
            _openFailuresInARow++;
            if (IsFatal(error))
            {
                GiveUpLocked(error, "");
                delay = null;
            }
            else if (attempt >= _options.MaxReconnectAttempts)
            {
                GiveUpLocked(error, $" after {_options.MaxReconnectAttempts} failed attempts to open a port-forward for one connection");
                delay = null;
            }
            else
            {
                if (_openFailuresInARow == 1 && (_openTroubleAnnouncedAt == 0 || Stopwatch.GetElapsedTime(_openTroubleAnnouncedAt) >= _openNoticeQuiet))
                {
                    _openTroubleAnnounced = true;
                    _openTroubleAnnouncedAt = Stopwatch.GetTimestamp();
                    SayLocked($"The API server did not open a port-forward to head pod '{target}': {error.Message} " +
                        $"Retrying the connections it refuses (each up to {_options.MaxReconnectAttempts} times); the others carry on.");
                }
                delay = _options.ReconnectDelay(attempt + 1);
            }
        }
        Deliver();
        return delay;
    }

    /// <summary>A connection to <paramref name="target"/> failed because of the pod. Reports about a pod already left, or during a reconnect, are ignored.</summary>
    public void ReportFailure(DashboardTarget target, RayPSException error)
    {
        lock (_gate)
        {
            if (_failure is not null || _stopped || _pending is not null || !ReferenceEquals(target, _current))
            {
                return;
            }
            _lastError = error;
            if (IsFatal(error))
            {
                GiveUpLocked(error, "");
            }
            else if (_reconnectsWithoutAnswer >= _options.MaxReconnectAttempts)
            {
                GiveUpLocked(error, $": it reconnected {_reconnectsWithoutAnswer} time(s) in a row, but no connection got an answer from the pod in between. Last error");
            }
            else
            {
                // Said before the loop can say anything, so "Lost" always precedes "Reconnected" or "Gave up".
                SayLocked($"Lost the port-forward to head pod '{target}': {error.Message} Reconnecting (up to {_options.MaxReconnectAttempts} attempts).");
                _pending = new TaskCompletionSource<DashboardTarget>(TaskCreationOptions.RunContinuationsAsynchronously);
                using (ExecutionContext.SuppressFlow())
                {
                    _loop = Task.Run(() => ReconnectAsync(target));
                }
            }
        }
        Deliver();
    }

    /// <summary>
    /// A stream to <paramref name="target"/> dropped: re-resolve in the background and move to another pod only if
    /// the head pod changed; a failed check becomes a failure. One check at a time, and at most one per cooldown
    /// after a check found the target healthy.
    /// </summary>
    public void ReportSuspect(DashboardTarget target, RayPSException reason)
    {
        lock (_gate)
        {
            if (_failure is not null || _stopped || _pending is not null || _checking || !ReferenceEquals(target, _current)
                || (_checkedAt != 0 && Stopwatch.GetElapsedTime(_checkedAt) < _checkCooldown))
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
                lock (_gate)
                {
                    if (_pending is not { } pending)
                    {
                        return;
                    }
                    _current = next;
                    _reconnects++;
                    _reconnectsWithoutAnswer++;
                    _openFailuresInARow = 0;
                    _openTroubleAnnounced = false;
                    _pending = null;
                    SayLocked(next.PodName == lost.PodName
                        ? $"Reconnected to head pod '{next}' after {Attempts(attempt)}."
                        : $"Head pod '{lost}' was replaced: forwarding to '{next}' now.");
                    // The waiting connections resume once the notice is out, so it precedes anything they report.
                    _outbox.Enqueue(() => pending.TrySetResult(next));
                }
                Deliver();
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
                bool done;
                lock (_gate)
                {
                    if (_pending is null)
                    {
                        return;
                    }
                    _lastError = error;
                    done = IsFatal(error) || attempt >= _options.MaxReconnectAttempts;
                    if (done)
                    {
                        GiveUpLocked(error, IsFatal(error) ? "" : $" after {_options.MaxReconnectAttempts} failed attempts to reconnect");
                    }
                }
                if (done)
                {
                    Deliver();
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
                _openFailuresInARow = 0;
                _openTroubleAnnounced = false;
                SayLocked($"Head pod '{suspect}' was replaced: forwarding to '{found}' now.");
            }
            Deliver();
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

    /// <summary>Ends the session: waiting connections get the error, then "Gave up ..." is said, then <see cref="Failed"/> is raised.</summary>
    private void GiveUpLocked(RayPSException error, string why)
    {
        _failure = error;
        _pending?.TrySetException(error);
        _pending = null;
        SayLocked($"Gave up forwarding to RayCluster '{_options.ClusterName}'{why}: {error.Message} The local port is closed; run Start-RayDashboard again once the cluster is ready.");
        _outbox.Enqueue(() => Failed?.Invoke(error));
    }

    private void SayLocked(string text) => _outbox.Enqueue(() => _notice(text));

    /// <summary>
    /// Runs the queued notices in order, outside the lock, on one thread at a time: a caller that finds another thread
    /// delivering leaves its items to that thread, which delivers until the queue is empty.
    /// </summary>
    private void Deliver()
    {
        lock (_gate)
        {
            if (_delivering)
            {
                return;
            }
            _delivering = true;
        }
        while (true)
        {
            Action next;
            lock (_gate)
            {
                if (!_outbox.TryDequeue(out next!))
                {
                    _delivering = false;
                    return;
                }
            }
            try
            {
                next();
            }
            catch (Exception)
            {
                // A listener that throws must not strand what is queued behind it (waiting connections resume from here).
            }
        }
    }

    private static string Attempts(int n) => n == 1 ? "1 attempt" : $"{n} attempts";

    private static string Failures(int n) => n == 1 ? "1 failure" : $"{n} failures";

    /// <summary>Retrying cannot fix credentials or RBAC.</summary>
    private static bool IsFatal(RayPSException error) =>
        error.ErrorId is ErrorIds.KubeApiForbidden or ErrorIds.KubeApiUnauthorized or ErrorIds.KubeApiTlsFailure;
}
