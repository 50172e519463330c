using System.Collections.Concurrent;
using RayPS.Errors;
using RayPS.Kube;

namespace RayPS.Dashboard;

/// <summary>
/// The dashboard sessions of this process, numbered 1, 2, 3... like PowerShell jobs. A session stays listed until it is
/// stopped (a failed one stays, so Get-RayDashboard can show why, until Stop-RayDashboard removes it). At process
/// exit every session is stopped.
/// </summary>
public sealed class DashboardSessionRegistry
{
    private static readonly TimeSpan ExitBudget = TimeSpan.FromSeconds(2);
    private static readonly Lazy<DashboardSessionRegistry> DefaultInstance = new(() =>
    {
        var registry = new DashboardSessionRegistry();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => registry.StopAll().Wait(ExitBudget);
        return registry;
    });

    private readonly ConcurrentDictionary<int, PortForwardSession> _sessions = new();
    private int _lastId;

    /// <summary>The process-wide registry the cmdlets use.</summary>
    public static DashboardSessionRegistry Default => DefaultInstance.Value;

    /// <summary>Starts a session (see PortForwardSession.StartAsync for its errors) and lists it.</summary>
    public async Task<PortForwardSession> StartAsync(KubeConnection connection, DashboardSessionOptions options, Action<string>? progress, CancellationToken ct)
    {
        var session = await PortForwardSession.StartAsync(Interlocked.Increment(ref _lastId), connection, options, progress, ct).ConfigureAwait(false);
        _sessions[session.Id] = session;
        return session;
    }

    /// <summary>Every listed session, by Id.</summary>
    public IReadOnlyList<PortForwardSession> List() => _sessions.Values.OrderBy(s => s.Id).ToList();

    /// <summary>The session with this Id, or DashboardSessionNotFound.</summary>
    public PortForwardSession Get(int id) =>
        _sessions.TryGetValue(id, out var session) ? session : throw NotFound($"Id {id}", id);

    /// <summary>Stops a session, waits until its ports and connections are released, and unlists it.</summary>
    public async Task StopAsync(PortForwardSession session)
    {
        await session.StopAsync().ConfigureAwait(false);
        _sessions.TryRemove(new KeyValuePair<int, PortForwardSession>(session.Id, session));
    }

    public Task StopAll() => Task.WhenAll(List().Select(StopAsync));

    public static RayPSException NotFound(string what, object target) =>
        new(ErrorIds.DashboardSessionNotFound, RayErrorCategory.ObjectNotFound,
            $"No dashboard session matches {what}. List the sessions of this PowerShell process with Get-RayDashboard.", target);
}
