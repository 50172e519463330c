using System.Globalization;
using System.Text.Json.Nodes;
using RayPS.Sandbox.ControllerManager;
using RayPS.Sandbox.Http;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Net;
using RayPS.Sandbox.Ray;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.Cluster;

/// <summary>
/// The cluster behind the sandbox's API: the kubelet and scheduler, the KubeRay operator, the Ray
/// processes they start (<see cref="Ray"/>), the pod network that reaches them through proxy and
/// port-forward, container logs, and direct (plain-HTTP) dashboard listeners.
/// </summary>
public sealed class ClusterSimulation : IAsyncDisposable
{
    private readonly ObjectStore _store;
    private readonly List<HttpServer> _direct = [];
    private readonly TimeProvider _time;

    internal ClusterSimulation(ObjectStore store, ClusterSimulationOptions? options, IPodNetwork? fallback, TimeProvider? time = null)
    {
        _store = store;
        _time = time ?? TimeProvider.System;
        Options = options ?? new ClusterSimulationOptions();
        Ray = new RayRegistry(_time, Options) { ServiceResolver = ClusterOfService };
        _network = new SimulatedPodNetwork(Ray, fallback, (ns, pod) => LookupPod(ns, pod));
        Logs = new SimulatedPodLogs(store, Ray);
    }

    public ClusterSimulationOptions Options { get; }

    /// <summary>Every simulated Ray cluster and node.</summary>
    public RayRegistry Ray { get; }

    private readonly SimulatedPodNetwork _network;

    /// <summary>Reaches the Ray processes' ports (used by pod/service proxy and port-forward).</summary>
    public IPodNetwork Network => _network;

    /// <summary>Container logs (pods/NAME/log).</summary>
    public IPodLogSource Logs { get; }

    internal KubeletController? Kubelet { get; private set; }

    internal KubeRayController? Operator { get; private set; }

    /// <summary>Adds the kubelet and/or the KubeRay operator to the sandbox's controllers.</summary>
    internal void Start(ControllerHost host, bool kubeRay, bool kubelet, int seed = 0, bool kubeRayInstalledByUser = false)
    {
        if (kubelet)
        {
            Kubelet = new KubeletController(_store, Ray, Options, _time);
            host.Add(Kubelet);
            // The Ray autoscaler runs inside head pods (KubeRay's sidecar), so it comes with the simulated Ray processes.
            host.Add(new AutoscalerController(_store, Ray, Options, _time));
        }
        if (kubeRay)
        {
            Operator = new KubeRayController(_store, _time, Options, seed, kubeRayInstalledByUser);
            host.Add(Operator);
        }
    }

    private JsonObject? LookupPod(string ns, string pod)
    {
        try
        {
            return _store.TryGet(Gvr.Pods, ns, pod);
        }
        catch (ApiException)
        {
            return null;
        }
    }

    /// <summary>The RayCluster a service fronts: its ray.io/cluster label or selector.</summary>
    private string? ClusterOfService(string ns, string service)
    {
        try
        {
            var svc = _store.TryGet(Gvr.Services, ns, service);
            if (svc is null)
            {
                return null;
            }
            return PodInfo.Label(svc, KubeRayConstants.RayClusterLabel)
                ?? JsonNodes.StringAt(svc, "spec", "selector", KubeRayConstants.RayClusterLabel);
        }
        catch (ApiException)
        {
            return null;
        }
    }

    /// <summary>
    /// Serves the dashboard of a RayCluster's current head directly on a plain-HTTP loopback port
    /// (no API server in between). Connections are dropped while the cluster has no running head.
    /// </summary>
    public Task<Uri> StartDirectDashboardAsync(string @namespace, string cluster, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var server = HttpServer.Start(0, null, RayHttpAdapter.Handler(() =>
        {
            if (Ray.Find(@namespace, cluster)?.Head is not { } head)
            {
                return null;
            }
            _network.Refresh(head.PodNamespace, head.PodName);
            return Ray.Endpoint(head.PodNamespace, head.PodName, head.DashboardPort);
        }));
        lock (_direct)
        {
            _direct.Add(server);
        }
        return Task.FromResult(new Uri("http://127.0.0.1:" + server.Port.ToString(CultureInfo.InvariantCulture) + "/"));
    }

    public async ValueTask DisposeAsync()
    {
        List<HttpServer> servers;
        lock (_direct)
        {
            servers = [.. _direct];
            _direct.Clear();
        }
        foreach (var server in servers)
        {
            await server.DisposeAsync().ConfigureAwait(false);
        }
    }
}
