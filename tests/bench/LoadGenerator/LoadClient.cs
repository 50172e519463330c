using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace LoadGenerator;

/// <summary>One timed request: its verb (for the per-verb figures), what it did, the status (0: no answer) and latency.</summary>
internal readonly record struct Sample(string Verb, string Operation, int Status, double Milliseconds, string? Error);

/// <summary>
/// One client, like one kubectl or RayPS session: its own connection (MaxConnectionsPerServer = 1), its own bearer
/// token header, TLS validated against the sandbox's CA only. It works in its own namespace:
/// create it, then <c>cycles</c> times the 12-request life of a small RayCluster and a Service, then delete it.
/// </summary>
internal sealed class LoadClient : IDisposable
{
    public const int RequestsPerCycle = 12;
    public const int RequestsOutsideCycles = 2;

    private const string AggregatedDiscovery = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";
    private const string KubectlTable = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

    private readonly HttpClient _http;
    private readonly string _namespace;
    private readonly List<Sample> _samples = [];

    public LoadClient(Uri server, string token, X509Certificate2 ca, string @namespace)
    {
        _namespace = @namespace;
        var trust = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        trust.CustomTrustStore.Add(ca);
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 1,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
            // No callback: the default check then demands a chain to this CA and a certificate that names 127.0.0.1.
            SslOptions = { CertificateChainPolicy = trust },
        };
        _http = new HttpClient(handler) { BaseAddress = server, Timeout = TimeSpan.FromSeconds(100) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("rayps-loadgen/1.0");
    }

    public IReadOnlyList<Sample> Samples => _samples;

    public async Task RunAsync(int cycles)
    {
        await SendAsync("create", "create namespace", HttpMethod.Post, "/api/v1/namespaces",
            Json(NamespaceManifest(_namespace)));
        for (var cycle = 0; cycle < cycles; cycle++)
        {
            await RunCycleAsync(cycle);
        }
        await SendAsync("delete", "delete namespace", HttpMethod.Delete, $"/api/v1/namespaces/{_namespace}");
    }

    /// <summary>What Get-RayCluster, New-RayCluster, Set-RayWorkerReplicas, Remove-RayCluster and kubectl do to one cluster.</summary>
    private async Task RunCycleAsync(int cycle)
    {
        var cluster = "c" + cycle.ToString(CultureInfo.InvariantCulture);
        var service = "svc" + cycle.ToString(CultureInfo.InvariantCulture);
        var rayClusters = $"/apis/ray.io/v1/namespaces/{_namespace}/rayclusters";
        var services = $"/api/v1/namespaces/{_namespace}/services";
        var byCluster = "labelSelector=" + Uri.EscapeDataString("ray.io/cluster=" + cluster);

        // kubectl starts with aggregated discovery of the core group or the named groups.
        await SendAsync("discovery", cycle % 2 == 0 ? "GET /api" : "GET /apis", HttpMethod.Get, cycle % 2 == 0 ? "/api" : "/apis", accept: AggregatedDiscovery);
        await SendAsync("create", "create raycluster", HttpMethod.Post, rayClusters, Json(RayClusterManifest(cluster)));
        await SendAsync("get", "get raycluster", HttpMethod.Get, $"{rayClusters}/{cluster}");
        await SendAsync("list", "list rayclusters -l", HttpMethod.Get, rayClusters + "?labelSelector=" + Uri.EscapeDataString("app.kubernetes.io/managed-by=rayps"));
        await SendAsync("patch (merge)", "merge-patch raycluster", HttpMethod.Patch, $"{rayClusters}/{cluster}",
            Content(MergePatchOfLabel("load.rayps.io/cycle", cycle.ToString(CultureInfo.InvariantCulture)).ToJsonString(), "application/merge-patch+json"));
        // Set-RayWorkerReplicas' patch: test what the new value was computed from, then set it.
        await SendAsync("patch (json)", "json-patch raycluster (scale 0 -> 1)", HttpMethod.Patch, $"{rayClusters}/{cluster}",
            Content("""
                [{"op":"test","path":"/spec/workerGroupSpecs/0/groupName","value":"workergroup"},
                 {"op":"test","path":"/spec/workerGroupSpecs/0/replicas","value":0},
                 {"op":"add","path":"/spec/workerGroupSpecs/0/replicas","value":1}]
                """, "application/json-patch+json"));
        await SendAsync("list", "list pods -l (Table)", HttpMethod.Get, $"/api/v1/namespaces/{_namespace}/pods?{byCluster}&limit=500", accept: KubectlTable);
        await SendAsync("list", "list deployments -l", HttpMethod.Get, $"/apis/apps/v1/namespaces/{_namespace}/deployments?{byCluster}");
        await SendAsync("create", "create service", HttpMethod.Post, services, Json(ServiceManifest(service)));
        await SendAsync("list", "list services -l", HttpMethod.Get, services + "?labelSelector=" + Uri.EscapeDataString("app.kubernetes.io/part-of=rayps-load"));
        await SendAsync("delete", "delete service", HttpMethod.Delete, $"{services}/{service}");
        await SendAsync("delete", "delete raycluster", HttpMethod.Delete, $"{rayClusters}/{cluster}");
    }

    private async Task SendAsync(string verb, string operation, HttpMethod method, string path, HttpContent? content = null, string? accept = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.TryAddWithoutValidation("Accept", accept ?? "application/json");
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            var body = await response.Content.ReadAsByteArrayAsync();
            var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var status = (int)response.StatusCode;
            _samples.Add(new Sample(verb, operation, status, ms, IsExpected(verb, status) ? null : Describe(body)));
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
        {
            _samples.Add(new Sample(verb, operation, 0, Stopwatch.GetElapsedTime(started).TotalMilliseconds, $"{ex.GetType().Name}: {ex.Message}"));
        }
    }

    /// <summary>The only answers a correct server gives to this script: 201 to a create, 200 (or 202 to a delete) otherwise.</summary>
    public static bool IsExpected(string verb, int status) => verb switch
    {
        "create" => status == 201,
        "delete" => status is 200 or 202,
        _ => status == 200,
    };

    private static string Describe(byte[] body)
    {
        var text = Encoding.UTF8.GetString(body);
        return text.Length <= 300 ? text : text[..300];
    }

    private static StringContent Json(JsonObject body) => Content(body.ToJsonString(), "application/json");

    private static StringContent Content(string text, string mediaType)
    {
        var content = new StringContent(text, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        return content;
    }

    /// <summary>What New-RayCluster -WorkerReplicas 0 with small sizes posts (the KubeRay operator then creates its head pod and services).</summary>
    private static JsonObject RayClusterManifest(string name) => new()
    {
        ["apiVersion"] = "ray.io/v1",
        ["kind"] = "RayCluster",
        ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = new JsonObject { ["app.kubernetes.io/managed-by"] = "rayps" } },
        ["spec"] = new JsonObject
        {
            ["rayVersion"] = "2.46.0",
            ["headGroupSpec"] = new JsonObject
            {
                ["rayStartParams"] = new JsonObject { ["dashboard-host"] = "0.0.0.0" },
                ["template"] = PodTemplate("ray-head", new JsonArray(
                    new JsonObject { ["containerPort"] = 6379, ["name"] = "gcs-server" },
                    new JsonObject { ["containerPort"] = 8265, ["name"] = "dashboard" },
                    new JsonObject { ["containerPort"] = 10001, ["name"] = "client" })),
            },
            ["workerGroupSpecs"] = new JsonArray(new JsonObject
            {
                ["groupName"] = "workergroup",
                ["replicas"] = 0,
                ["minReplicas"] = 0,
                ["maxReplicas"] = 4,
                ["rayStartParams"] = new JsonObject(),
                ["template"] = PodTemplate("ray-worker", null),
            }),
        },
    };

    private static JsonObject PodTemplate(string container, JsonArray? ports)
    {
        var resources = new JsonObject { ["cpu"] = "100m", ["memory"] = "256Mi" };
        var spec = new JsonObject
        {
            ["name"] = container,
            ["image"] = "rayproject/ray:2.46.0",
            ["resources"] = new JsonObject { ["limits"] = resources, ["requests"] = resources.DeepClone() },
        };
        if (ports is not null)
        {
            spec["ports"] = ports;
        }
        return new JsonObject { ["spec"] = new JsonObject { ["containers"] = new JsonArray(spec) } };
    }

    private static JsonObject ServiceManifest(string name) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Service",
        ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = new JsonObject { ["app.kubernetes.io/part-of"] = "rayps-load" } },
        ["spec"] = new JsonObject
        {
            ["selector"] = new JsonObject { ["app"] = name },
            ["ports"] = new JsonArray(new JsonObject { ["name"] = "http", ["port"] = 8000, ["targetPort"] = 8000 }),
        },
    };

    private static JsonObject NamespaceManifest(string name) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Namespace",
        ["metadata"] = new JsonObject { ["name"] = name },
    };

    private static JsonObject MergePatchOfLabel(string key, string value) =>
        new() { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { [key] = value } } };

    public void Dispose() => _http.Dispose();
}
