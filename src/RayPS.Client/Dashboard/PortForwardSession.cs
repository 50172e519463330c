using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using RayPS.Errors;
using RayPS.Kube;

namespace RayPS.Dashboard;

/// <summary>
/// One running port-forward from local ports to a RayCluster's head pod. Each accepted local connection gets its own
/// port-forward stream through the API server; the head pod is re-resolved when it is replaced (see HeadPodTracker).
/// Runs on the thread pool only (no dedicated threads) until <see cref="StopAsync"/> or until it gives up; either
/// way the local ports are closed and every connection task has ended when <see cref="Completion"/> completes.
/// </summary>
public sealed class PortForwardSession
{
    private const int MaxQueuedNotices = 50;

    private readonly PortForwardConnector _connector;
    private readonly HeadPodTracker _tracker;
    private readonly LocalPortListener _dashboardListener;
    private readonly LocalPortListener? _clientListener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Task, byte> _connections = new();
    private readonly ConcurrentQueue<string> _notices = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lazy<Task> _shutdown;
    private Task[] _acceptLoops = Array.Empty<Task>();
    private long _endedAtTicks;

    private PortForwardSession(int id, KubeConnection connection, DashboardSessionOptions options, DashboardTarget target,
        PortForwardConnector connector, HeadPodResolver resolver, LocalPortListener dashboardListener, LocalPortListener? clientListener)
    {
        Id = id;
        Options = options;
        ContextName = connection.ContextName;
        StartedAt = DateTimeOffset.Now;
        _connector = connector;
        _dashboardListener = dashboardListener;
        _clientListener = clientListener;
        _tracker = new HeadPodTracker(target, ct => ResolveAndProbeAsync(resolver, connector, ct), options, RaiseNotice, options.SuspectCheckCooldown);
        _tracker.Failed += _ => StopAsync();
        _shutdown = new Lazy<Task>(() => Task.Run(ShutdownAsync));
        View = new RayDashboardSession(this);
    }

    public int Id { get; }
    public DashboardSessionOptions Options { get; }
    public string ContextName { get; }
    public DateTimeOffset StartedAt { get; }

    /// <summary>When the session stopped or failed; null while it runs.</summary>
    public DateTimeOffset? EndedAt
    {
        get
        {
            var ticks = Interlocked.Read(ref _endedAtTicks);
            return ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero).ToLocalTime();
        }
    }

    public IPEndPoint DashboardEndPoint => _dashboardListener.EndPoint;
    public IPEndPoint? ClientEndPoint => _clientListener?.EndPoint;
    public Uri Url => new($"http://{BrowsableHost(DashboardEndPoint)}/");
    public string? ClientUrl => ClientEndPoint is { } client ? $"ray://{BrowsableHost(client)}" : null;
    public DashboardTarget Target => _tracker.Current;
    public TrafficCounters Traffic { get; } = new();
    public RayPSException? LastError => _tracker.LastError;
    public int Reconnects => _tracker.Reconnects;

    /// <summary>The running check of a dropped stream's head pod, if any (completed otherwise; tests).</summary>
    internal Task SuspectCheck => _tracker.CheckTask;

    /// <summary>Completes once the session has stopped or failed and released its ports and connections.</summary>
    public Task Completion => _completion.Task;

    /// <summary>The pipeline-facing view (RayPS.RayDashboardSession), live.</summary>
    public RayDashboardSession View { get; }

    public RayDashboardSessionState State =>
        _tracker.Failure is not null ? RayDashboardSessionState.Failed
        : _shutdown.IsValueCreated ? RayDashboardSessionState.Stopped
        : _tracker.IsReconnecting ? RayDashboardSessionState.Reconnecting
        : RayDashboardSessionState.Running;

    /// <summary>
    /// Live notices (pod lost, replaced, reconnected, gave up). With no handler attached they are queued for
    /// <see cref="DrainNotices"/>, so a background session's news reaches the next Get-RayDashboard.
    /// </summary>
    public event Action<string>? Notice;

    /// <summary>Notices raised while nobody listened, oldest first (at most the last 50).</summary>
    public IReadOnlyList<string> DrainNotices()
    {
        var list = new List<string>();
        while (_notices.TryDequeue(out var line))
        {
            list.Add(line);
        }
        return list;
    }

    /// <summary>
    /// Binds the local port(s) (DashboardPortInUse), resolves the head pod (RayClusterNotFound, DashboardTargetNotReady),
    /// proves a port-forward to it opens (KubeApiForbidden, ...), then starts accepting connections.
    /// </summary>
    internal static async Task<PortForwardSession> StartAsync(int id, KubeConnection connection, DashboardSessionOptions options, Action<string>? progress, CancellationToken ct)
    {
        var address = options.ParseAddress();
        progress?.Invoke(options.LocalPort == 0 ? $"Listening on a free port of {address}" : $"Listening on {new IPEndPoint(address, options.LocalPort)}");
        var dashboardListener = options.NextFreePort && options.LocalPort != 0
            ? LocalPortListener.StartOnNextFree(address, options.LocalPort, "-LocalPort")
            : LocalPortListener.Start(address, options.LocalPort, "-LocalPort");
        LocalPortListener? clientListener = null;
        try
        {
            if (options.IncludeClientPort)
            {
                clientListener = options.NextFreeClientPort && options.ClientLocalPort != 0
                    ? LocalPortListener.StartOnNextFree(address, options.ClientLocalPort, "-ClientLocalPort")
                    : LocalPortListener.Start(address, options.ClientLocalPort, "-ClientLocalPort");
            }
            var resolver = new HeadPodResolver(connection, options.Namespace, options.ClusterName);
            var connector = new PortForwardConnector(connection, options.ConnectTimeout);
            progress?.Invoke($"Resolving the head pod of RayCluster '{options.Namespace}/{options.ClusterName}'");
            var target = await resolver.ResolveAsync(ct).ConfigureAwait(false);
            progress?.Invoke($"Opening a port-forward to pod '{target}' port {target.DashboardPort}");
            await connector.ProbeAsync(target, ct).ConfigureAwait(false);

            var session = new PortForwardSession(id, connection, options, target, connector, resolver, dashboardListener, clientListener);
            session.StartAccepting();
            return session;
        }
        catch
        {
            clientListener?.Dispose();
            dashboardListener.Dispose();
            throw;
        }
    }

    /// <summary>Closes the local ports, ends every connection and any reconnect loop. Idempotent; completes when all is released.</summary>
    public Task StopAsync() => _shutdown.Value;

    public override string ToString() => $"{Id}: {Options.Namespace}/{Options.ClusterName} -> {Url}";

    private void StartAccepting()
    {
        // Background work must not inherit the starting cmdlet's async-local state (its -Debug trace sink).
        using (ExecutionContext.SuppressFlow())
        {
            var loops = new List<Task> { Task.Run(() => AcceptLoopAsync(_dashboardListener, clientPort: false)) };
            if (_clientListener is not null)
            {
                loops.Add(Task.Run(() => AcceptLoopAsync(_clientListener, clientPort: true)));
            }
            _acceptLoops = loops.ToArray();
        }
    }

    private async Task AcceptLoopAsync(LocalPortListener listener, bool clientPort)
    {
        var ct = _stop.Token;
        while (!ct.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException || ct.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                // A client that gave up before accept (ECONNABORTED), or a transient resource limit: keep listening, but never spin.
                await Task.Delay(TimeSpan.FromMilliseconds(50), CancellationToken.None).ConfigureAwait(false);
                continue;
            }
            socket.NoDelay = true;
            var task = HandleConnectionAsync(socket, clientPort, ct);
            _connections.TryAdd(task, 0);
            _ = task.ContinueWith(static (t, state) => ((ConcurrentDictionary<Task, byte>)state!).TryRemove(t, out _),
                _connections, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private async Task HandleConnectionAsync(Socket socket, bool clientPort, CancellationToken ct)
    {
        Traffic.ConnectionOpened();
        try
        {
            using (socket)
            using (var pump = new PortForwardPump(socket, Traffic))
            {
                var openFailures = 0;
                while (true)
                {
                    DashboardTarget target;
                    try
                    {
                        target = await _tracker.GetTargetAsync(ct).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is OperationCanceledException or RayPSException)
                    {
                        return; // stopped or gave up: the local client sees the connection close
                    }

                    var port = clientPort ? target.ClientPort : target.DashboardPort;
                    PortForwardConnector.OpenResult open;
                    try
                    {
                        open = await _connector.TryOpenAsync(target, port, ct).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                    if (open.Channel is not { } channel)
                    {
                        if (open.ApiServerFault)
                        {
                            // The API server refused this one stream: retry this connection alone; the pod is not suspect.
                            if (_tracker.ReportOpenFailed(target, open.Error!, ++openFailures) is not { } delay)
                            {
                                return;
                            }
                            try
                            {
                                await Task.Delay(delay, ct).ConfigureAwait(false);
                            }
                            catch (OperationCanceledException)
                            {
                                return;
                            }
                            continue;
                        }
                        _tracker.ReportFailure(target, open.Error!);
                        continue; // wait for the reconnect, then try this connection again
                    }
                    openFailures = 0;
                    _tracker.ReportOpened(target);

                    PumpResult result;
                    using (channel)
                    {
                        result = await pump.RunAsync(channel, ct).ConfigureAwait(false);
                    }
                    if (pump.BytesFromPod > 0)
                    {
                        _tracker.ReportSuccess();
                    }
                    if (!ct.IsCancellationRequested && result.End == StreamEnd.Error)
                    {
                        _tracker.ReportFailure(target, PortForwardConnector.ForwardFailed(target, port, result.Reason!));
                    }
                    else if (!ct.IsCancellationRequested && result.End == StreamEnd.Dropped)
                    {
                        // A drop may mean the pod died, or only a server that skips the close handshake: check.
                        _tracker.ReportSuspect(target, PortForwardConnector.ForwardFailed(target, port, result.Reason!));
                    }
                    if (!result.CanRetry)
                    {
                        return;
                    }
                    // The pod refused before answering: replay this connection's request on the next pod.
                }
            }
        }
        finally
        {
            Traffic.ConnectionClosed();
        }
    }

    private async Task ShutdownAsync()
    {
        _stop.Cancel();
        _dashboardListener.Dispose();
        _clientListener?.Dispose();
        await _tracker.StopAsync().ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await Task.WhenAll(_acceptLoops).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        while (!_connections.IsEmpty)
        {
            await Task.WhenAll(_connections.Keys.ToArray()).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        _stop.Dispose();
        Interlocked.Exchange(ref _endedAtTicks, DateTimeOffset.UtcNow.UtcTicks);
        _completion.TrySetResult();
    }

    private static async Task<DashboardTarget> ResolveAndProbeAsync(HeadPodResolver resolver, PortForwardConnector connector, CancellationToken ct)
    {
        var target = await resolver.ResolveAsync(ct).ConfigureAwait(false);
        await connector.ProbeAsync(target, ct).ConfigureAwait(false);
        return target;
    }

    private void RaiseNotice(string text)
    {
        var line = string.Create(CultureInfo.InvariantCulture, $"[{DateTime.Now:HH:mm:ss}] Dashboard session {Id} ({Options.Namespace}/{Options.ClusterName}): {text}");
        if (Notice is { } handler)
        {
            try
            {
                handler(line);
                return;
            }
            catch (InvalidOperationException)
            {
                // The listener's pipeline has ended: keep the notice for the next Get-RayDashboard.
            }
        }
        _notices.Enqueue(line);
        while (_notices.Count > MaxQueuedNotices && _notices.TryDequeue(out _))
        {
        }
    }

    /// <summary>An address a browser on this machine can open: the wildcard addresses become loopback.</summary>
    private static string BrowsableHost(IPEndPoint endPoint)
    {
        var address = endPoint.Address.Equals(IPAddress.Any) ? IPAddress.Loopback
            : endPoint.Address.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback
            : endPoint.Address;
        return new IPEndPoint(address, endPoint.Port).ToString();
    }
}
