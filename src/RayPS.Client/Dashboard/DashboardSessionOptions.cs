using System.Net;
using RayPS.Errors;
using RayPS.Kube;

namespace RayPS.Dashboard;

/// <summary>What a dashboard session forwards, where it listens, and how hard it tries to reconnect.</summary>
public sealed record DashboardSessionOptions
{
    public const int DefaultDashboardPort = KubeRayNames.DashboardPort;
    public const int DefaultClientPort = KubeRayNames.ClientPort;

    public required string ClusterName { get; init; }

    public required string Namespace { get; init; }

    /// <summary>The local address to listen on: an IP address or "localhost". Default: 127.0.0.1.</summary>
    public string Address { get; init; } = "127.0.0.1";

    /// <summary>The local port for the dashboard; 0 picks a free port.</summary>
    public int LocalPort { get; init; } = DefaultDashboardPort;

    /// <summary>When <see cref="LocalPort"/> is taken, listen on the next free port up instead of failing (the port was a default, not a choice).</summary>
    public bool NextFreePort { get; init; }

    /// <summary>The same for <see cref="ClientLocalPort"/>.</summary>
    public bool NextFreeClientPort { get; init; }

    /// <summary>Also forward the Ray client port (10001 on the head pod).</summary>
    public bool IncludeClientPort { get; init; }

    /// <summary>The local port for the Ray client when <see cref="IncludeClientPort"/> is set; 0 picks a free port.</summary>
    public int ClientLocalPort { get; init; } = DefaultClientPort;

    /// <summary>
    /// The attempts of one reconnect (re-resolving the head pod), the times in a row the API server may refuse one
    /// connection's stream, and the reconnects in a row without an answer from the pod, before the session fails.
    /// </summary>
    public int MaxReconnectAttempts { get; init; } = 20;

    /// <summary>The delay before the second reconnect attempt; it doubles per attempt up to <see cref="ReconnectMaxDelay"/> (the first attempt is immediate).</summary>
    public TimeSpan ReconnectBaseDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    public TimeSpan ReconnectMaxDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>After a dropped stream's check found the head pod healthy, further drops are not checked for this long (default 5 s; tests).</summary>
    internal TimeSpan? SuspectCheckCooldown { get; init; }

    /// <summary>How long one port-forward handshake with the API server may take.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary><see cref="Address"/> as an IP address: "127.0.0.1", "::1", "0.0.0.0" or "localhost" (127.0.0.1); anything else is DashboardListenFailed.</summary>
    public IPAddress ParseAddress()
    {
        if (string.Equals(Address, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return IPAddress.Loopback;
        }
        if (IPAddress.TryParse(Address, out var ip))
        {
            return ip;
        }
        throw new RayPSException(ErrorIds.DashboardListenFailed, RayErrorCategory.InvalidArgument,
            $"'{Address}' is not an IP address. Pass -Address 127.0.0.1 (the default), ::1, 0.0.0.0 or one of this machine's addresses.", Address);
    }

    /// <summary>The delay before reconnect attempt <paramref name="attempt"/> (1-based), by the retry policy's reconnect rule.</summary>
    internal TimeSpan ReconnectDelay(int attempt) => RetryHandler.ReconnectBackoff(attempt, ReconnectBaseDelay, ReconnectMaxDelay);
}
