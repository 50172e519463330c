using System.Diagnostics;
using RayPS.Kube;
using RayPS.Ray;

namespace RayPS.Logs;

/// <summary>
/// GETs to a Ray cluster's head dashboard through the API server's service proxy
/// (<c>services/&lt;cluster&gt;-head-svc:dashboard/proxy/...</c>), each traced to -Debug, answered as a
/// <see cref="ProxyAnswer"/> (status and body, a timeout or a transport failure); only cancellation throws.
/// </summary>
internal sealed class RayProxyClient
{
    public const string DashboardPortName = "dashboard";

    private readonly KubeApi _api;

    public RayProxyClient(KubeApi api, string @namespace, string clusterName)
    {
        _api = api;
        Namespace = @namespace;
        ClusterName = clusterName;
    }

    public string Namespace { get; }
    public string ClusterName { get; }

    public string ServiceName => ClusterName + "-head-svc";

    public string PathFor(string dashboardPath) =>
        $"/api/v1/namespaces/{Uri.EscapeDataString(Namespace)}/services/{Uri.EscapeDataString(ServiceName)}:{DashboardPortName}/proxy{dashboardPath}";

    public async Task<ProxyAnswer> GetAsync(string dashboardPath, TimeSpan timeout, CancellationToken ct)
    {
        var path = PathFor(dashboardPath);
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
        KubeApi.Trace?.Invoke($"GET {path} -> {(answer.Status?.ToString() ?? (answer.TimedOut ? "timed out" : "failed"))} in {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms");
        return answer;
    }
}
