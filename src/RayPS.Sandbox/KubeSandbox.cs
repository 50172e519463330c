using System.Globalization;
using System.Text.Json.Nodes;
using RayPS.Sandbox.Api;
using RayPS.Sandbox.Cluster;
using RayPS.Sandbox.ControllerManager;
using RayPS.Sandbox.Faults;
using RayPS.Sandbox.Http;
using RayPS.Sandbox.Net;
using RayPS.Sandbox.Resources;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox;

/// <summary>
/// A loopback Kubernetes API server that answers like kube-apiserver 1.36 for what RayPS uses:
/// HTTPS with a throwaway CA, bearer tokens (admin and a no-rights viewer), discovery, built-in and
/// CRD-served resources, patches, server-side apply, watches, and the core controllers (garbage
/// collection, namespaces, endpoints; Deployments when enabled), with a simulated cluster behind it
/// (<see cref="Cluster"/>: kubelet, KubeRay operator, Ray processes) as enabled. Several can run in one process.
/// </summary>
public sealed class KubeSandbox : IAsyncDisposable
{
    private readonly CertificateAuthority _ca;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly bool _ownsKubeConfig;
    private HttpServer? _server;
    private int _stopped;

    private KubeSandbox(SandboxOptions options, CertificateAuthority ca, Authorization auth, ObjectStore store, ControllerHost controllers, string kubeConfigPath, bool ownsKubeConfig)
    {
        Options = options;
        _ca = ca;
        Auth = auth;
        Store = store;
        ControllerHost = controllers;
        KubeConfigPath = kubeConfigPath;
        _ownsKubeConfig = ownsKubeConfig;
    }

    public SandboxOptions Options { get; }

    /// <summary>https://127.0.0.1:PORT</summary>
    public Uri Uri { get; private set; } = new("https://127.0.0.1/");

    public string KubeConfigPath { get; }

    /// <summary>The admin context (the kubeconfig's current context).</summary>
    public string Context => KubeConfigFile.AdminContext;

    /// <summary>The context of the viewer user, who may only read discovery documents.</summary>
    public string ViewerContext => KubeConfigFile.ViewerContext;

    public string AdminToken => Auth.AdminToken;

    public string ViewerToken => Auth.ViewerToken;

    /// <summary>The CA that signed the server certificate, in PEM form.</summary>
    public string CertificateAuthorityPem => _ca.CaPem;

    public SandboxFaults Faults { get; } = new();

    public RequestLog Requests { get; } = new();

    public ObjectStore Store { get; }

    /// <summary>The running controllers; more can be added (the KubeRay operator, a kubelet).</summary>
    public ControllerHost ControllerHost { get; }

    /// <summary>In-memory pod endpoints for proxy and port-forward.</summary>
    public PodNetwork PodNetwork { get; } = new();

    /// <summary>Where pods/NAME/log reads container logs from (null = the simulated containers' logs, empty without a kubelet).</summary>
    public IPodLogSource? PodLogs { get; set; }

    /// <summary>The seed of the sandbox's unpredictable choices (<see cref="SandboxOptions.Seed"/>, or the random one picked).</summary>
    public int Seed { get; private set; }

    /// <summary>The simulated cluster: kubelet, KubeRay operator and the Ray processes they run.</summary>
    public ClusterSimulation Cluster { get; private set; } = null!;

    internal Authorization Auth { get; }

    public static async Task<KubeSandbox> StartAsync(SandboxOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var ca = CertificateAuthority.Create();
        var store = new ObjectStore(new ResourceRegistry());
        var ownsKubeConfig = options.KubeConfigPath is null;
        var kubeConfigPath = options.KubeConfigPath ?? Path.Combine(Path.GetTempPath(), $"rayps-sandbox-{Guid.NewGuid():N}.kubeconfig");
        var controllers = new ControllerHost(store);
        var sandbox = new KubeSandbox(options, ca, new Authorization(store), store, controllers, kubeConfigPath, ownsKubeConfig);
        // Ports of simulated Ray processes answer first; anything else reaches listeners on PodNetwork.
        sandbox.Cluster = new ClusterSimulation(store, options.Cluster, sandbox.PodNetwork);
        sandbox.Seed = options.Seed ?? Random.Shared.Next();
        // Generated names follow the seed too, so a seed reproduces which named pods a scale-down picks.
        store.NameRandom = new Random(sandbox.Seed);
        var kubelet = options.Controllers.HasFlag(SandboxControllers.Kubelet);
        try
        {
            var api = new ApiServer(store, sandbox.Auth, sandbox.Faults, sandbox.Requests, () => sandbox.Uri.Port,
                () => options.PodNetwork ?? sandbox.Cluster.Network, () => sandbox.PodLogs ?? (kubelet ? sandbox.Cluster.Logs : null), sandbox._shutdown.Token);
            sandbox._server = HttpServer.Start(options.Port, ca.ServerCertificate, api.HandleAsync);
            sandbox.Uri = new Uri("https://127.0.0.1:" + sandbox._server.Port.ToString(CultureInfo.InvariantCulture));
            Bootstrap(store, sandbox._server.Port);
            controllers.Start();
            controllers.Add(new GarbageCollector(store));
            controllers.Add(new NamespaceController(store, ca.CaPem));
            controllers.Add(new EndpointsController(store));
            controllers.Add(new CrdCleanupController(store));
            if (options.Controllers.HasFlag(SandboxControllers.Deployment))
            {
                controllers.Add(new DeploymentController(store));
                controllers.Add(new ReplicaSetController(store));
            }
            sandbox.Cluster.Start(controllers, kubeRay: options.Controllers.HasFlag(SandboxControllers.KubeRay), kubelet, sandbox.Seed, options.KubeRayInstalledByUser);
            if (options.InstallKubeRayCrd)
            {
                store.Create(Gvr.CustomResourceDefinitions, KubeRayCrd.Create(), new WriteOptions { FieldManager = "kubectl-create" });
            }
            KubeConfigFile.Write(kubeConfigPath, KubeConfigFile.Render(sandbox.Uri, ca.CaPem, sandbox.AdminToken, sandbox.ViewerToken));
            await controllers.WaitForIdleAsync(TimeSpan.FromSeconds(10), ct).ConfigureAwait(false);
            return sandbox;
        }
        catch
        {
            await sandbox.StopAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>What kube-apiserver creates on an empty cluster: the four namespaces, the kubernetes Service and the default RBAC policy.</summary>
    private static void Bootstrap(ObjectStore store, int port)
    {
        var options = new WriteOptions { FieldManager = "kube-apiserver" };
        foreach (var (type, obj) in Rbac.BootstrapPolicy())
        {
            store.Create(type, obj, options);
        }
        foreach (var ns in new[] { "default", "kube-system", "kube-public", "kube-node-lease" })
        {
            store.Create(Gvr.Namespaces, new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Namespace",
                ["metadata"] = new JsonObject { ["name"] = ns },
            }, options);
        }
        store.Create(Gvr.Services, new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Service",
            ["metadata"] = new JsonObject
            {
                ["name"] = "kubernetes",
                ["namespace"] = "default",
                ["labels"] = new JsonObject { ["component"] = "apiserver", ["provider"] = "kubernetes" },
            },
            ["spec"] = new JsonObject
            {
                ["clusterIP"] = "10.96.0.1",
                ["ports"] = new JsonArray(new JsonObject { ["name"] = "https", ["port"] = 443L, ["protocol"] = "TCP", ["targetPort"] = (long)port }),
            },
        }, options);
        store.Create(Gvr.Endpoints, new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Endpoints",
            ["metadata"] = new JsonObject
            {
                ["name"] = "kubernetes",
                ["namespace"] = "default",
                ["labels"] = new JsonObject { ["endpointslice.kubernetes.io/skip-mirror"] = "true" },
            },
            ["subsets"] = new JsonArray(new JsonObject
            {
                ["addresses"] = new JsonArray(new JsonObject { ["ip"] = "127.0.0.1" }),
                ["ports"] = new JsonArray(new JsonObject { ["name"] = "https", ["port"] = (long)port, ["protocol"] = "TCP" }),
            }),
        }, options);
    }

    /// <summary>Waits until the controllers have caught up with every change (e.g. pods created for a Deployment).</summary>
    public Task<bool> WaitForIdleAsync(TimeSpan? timeout = null, CancellationToken ct = default) =>
        ControllerHost.WaitForIdleAsync(timeout ?? TimeSpan.FromSeconds(10), ct);

    /// <summary>
    /// Serves the simulated dashboard of a RayCluster's head directly on a plain-HTTP loopback port (no API
    /// server, proxy or port-forward in between), e.g. to compare transfer speeds. Stops with the sandbox.
    /// </summary>
    public Task<Uri> StartDirectDashboardAsync(string @namespace, string cluster, CancellationToken ct = default) =>
        Cluster.StartDirectDashboardAsync(@namespace, cluster, ct);

    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }
        _shutdown.Cancel();
        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
        }
        if (Cluster is not null)
        {
            await Cluster.DisposeAsync().ConfigureAwait(false);
        }
        await ControllerHost.DisposeAsync().ConfigureAwait(false);
        if (_ownsKubeConfig)
        {
            try
            {
                File.Delete(KubeConfigPath);
            }
            catch (IOException)
            {
            }
        }
        _ca.Dispose();
        _shutdown.Dispose();
    }

    public ValueTask DisposeAsync() => new(StopAsync());
}
