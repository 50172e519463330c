using RayPS.Kube;
using RayPS.Operations;
using RayPS.Ray;

namespace RayPS.Logs;

/// <summary>
/// GETs to a Ray cluster's head dashboard through the API server's service proxy
/// (<c>services/&lt;cluster&gt;-head-svc:dashboard/proxy/...</c>), traced to -Debug by the retry policy, answered as a
/// <see cref="ProxyAnswer"/> (status and body, a timeout or a transport failure); only cancellation throws.
/// </summary>
internal sealed class RayProxyClient
{
    public const string DashboardPortName = "dashboard";

    private readonly NodeHealthProber _prober;

    public RayProxyClient(KubeApi api, string @namespace, string clusterName)
    {
        _prober = new NodeHealthProber(api, int.MaxValue, static () => { });
        Namespace = @namespace;
        ClusterName = clusterName;
    }

    public string Namespace { get; }
    public string ClusterName { get; }

    public string ServiceName => NodeHealthOperations.HeadServiceName(ClusterName);

    public string PathFor(string dashboardPath) => NodeHealthOperations.ServiceProxyPath(Namespace, ServiceName, DashboardPortName, dashboardPath);

    /// <summary>One GET through the proxy, with the node-health prober's handling (no bound of its own: callers bound their parallelism).</summary>
    public Task<ProxyAnswer> GetAsync(string dashboardPath, TimeSpan timeout, CancellationToken ct) =>
        _prober.GetAsync(PathFor(dashboardPath), timeout, ct);
}
