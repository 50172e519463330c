using RayPS.Dashboard;

namespace RayPS;

/// <summary>The life of a dashboard session.</summary>
// ConvertTo-Json writes the name, not the number (see docs/architecture.md, "Output objects").
[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum RayDashboardSessionState
{
    /// <summary>Listening and forwarding to the head pod.</summary>
    Running,

    /// <summary>The head pod went away; re-resolving it. New connections wait.</summary>
    Reconnecting,

    /// <summary>Stopped by Stop-RayDashboard (or the end of -Wait); the local ports are closed.</summary>
    Stopped,

    /// <summary>Gave up (see LastError); the local ports are closed.</summary>
    Failed,
}

/// <summary>
/// A dashboard port-forward session as RayPS shows it. The object is live, like a PowerShell job: State, PodName and the
/// counters always show the session's current values.
/// </summary>
public sealed class RayDashboardSession
{
    private readonly PortForwardSession _session;

    internal RayDashboardSession(PortForwardSession session)
    {
        _session = session;
    }

    public int Id => _session.Id;
    public string ClusterName => _session.Options.ClusterName;
    public string Namespace => _session.Options.Namespace;
    public string Context => _session.ContextName;

    /// <summary>The dashboard's local URL ("http://127.0.0.1:8265/").</summary>
    public string Url => _session.Url.AbsoluteUri;

    /// <summary>The local address the session listens on.</summary>
    public string Address => _session.DashboardEndPoint.Address.ToString();

    public int LocalPort => _session.DashboardEndPoint.Port;

    /// <summary>The Ray client address ("ray://127.0.0.1:10001") when -IncludeClientPort was given.</summary>
    public string? ClientUrl => _session.ClientUrl;

    public int? ClientLocalPort => _session.ClientEndPoint?.Port;

    /// <summary>The head pod forwarded to now.</summary>
    public string PodName => _session.Target.PodName;

    /// <summary>The dashboard port on the head pod (8265 unless the cluster moved it).</summary>
    public int RemotePort => _session.Target.DashboardPort;

    public RayDashboardSessionState State => _session.State;
    public DateTimeOffset StartedAt => _session.StartedAt;
    public DateTimeOffset? EndedAt => _session.EndedAt;

    /// <summary>Local connections open now.</summary>
    public int Connections => _session.Traffic.ActiveConnections;

    public long TotalConnections => _session.Traffic.TotalConnections;

    /// <summary>Bytes received from the cluster.</summary>
    public long BytesIn => _session.Traffic.BytesIn;

    /// <summary>Bytes sent to the cluster.</summary>
    public long BytesOut => _session.Traffic.BytesOut;

    /// <summary>How many times the session re-resolved the head pod and resumed.</summary>
    public int Reconnects => _session.Reconnects;

    /// <summary>The last failure's message (kept after a successful reconnect), or null.</summary>
    public string? LastError => _session.LastError?.Message;

    /// <summary>The ErrorId of <see cref="LastError"/>.</summary>
    public string? LastErrorId => _session.LastError?.ErrorId;

    public override string ToString() => Url;
}
