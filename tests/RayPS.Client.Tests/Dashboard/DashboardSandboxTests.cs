using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using RayPS.Dashboard;
using RayPS.Errors;
using RayPS.Kube;
using RayPS.Manifests;
using RayPS.Operations;
using RayPS.Sandbox;
using RayPS.Sandbox.Http;
using RayPS.Sandbox.Store;

namespace RayPS.Client.Tests.Dashboard;

/// <summary>
/// Against the sandbox's real API server: HTTPS with its own CA, bearer tokens, and pods/NAME/portforward speaking
/// v4.channel.k8s.io to listeners on its pod network. Head pods are placed by hand (Running, Ready, on a node) with a
/// small dashboard on port 8265, so these tests need neither the KubeRay operator nor the kubelet simulation; they
/// exercise the resolver's label fallback (no status.head, no head service).
/// </summary>
public sealed class DashboardSandboxTests : IAsyncLifetime
{
    private const string Ns = "default";
    private const string Cluster = "dash";
    private readonly DashboardSessionRegistry _registry = new();
    private KubeSandbox _sandbox = null!;
    private KubeConnection _connection = null!;

    public async Task InitializeAsync()
    {
        _sandbox = await KubeSandbox.StartAsync(new SandboxOptions { Controllers = SandboxControllers.Deployment });
        _connection = KubeConnection.Get(new KubeConnectionOptions(_sandbox.KubeConfigPath));
        var options = new RayClusterOptions { Name = Cluster, Namespace = Ns, HeadCpu = "1", HeadMemory = "1Gi" };
        await RayClusterLifecycle.CreateAsync(_connection, Ns, RayClusterManifestBuilder.Build(options), false, CancellationToken.None);
        AddHeadPod($"{Cluster}-head-a");
    }

    public async Task DisposeAsync()
    {
        await _registry.StopAll();
        await _sandbox.DisposeAsync();
    }

    private void AddHeadPod(string name)
    {
        var pod = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = Ns, ["labels"] = new JsonObject { ["ray.io/cluster"] = Cluster, ["ray.io/node-type"] = "head" } },
            ["spec"] = new JsonObject
            {
                ["nodeName"] = "node-1",
                ["containers"] = new JsonArray(new JsonObject
                {
                    ["name"] = "ray-head",
                    ["image"] = "rayproject/ray:2.46.0",
                    ["ports"] = new JsonArray(new JsonObject { ["name"] = "dashboard", ["containerPort"] = 8265 }),
                }),
            },
        };
        var created = _sandbox.Store.Create(Gvr.Pods, pod);
        created["status"] = new JsonObject { ["phase"] = "Running", ["podIP"] = "10.0.0.9", ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = "True" }) };
        _sandbox.Store.UpdateStatus(Gvr.Pods, created);
        _sandbox.PodNetwork.ListenHttp(Ns, name, 8265, (request, response) => Dashboard(name, request, response));
    }

    private static async Task Dashboard(string pod, HttpRequest request, HttpResponse response)
    {
        response.Headers["X-Pod"] = pod;
        if (request.Path == "/api/sandbox/blob")
        {
            var left = long.Parse(request.QueryValue("bytes")!);
            var body = await response.StartChunkedAsync();
            var chunk = new byte[64 * 1024];
            for (; left > 0; left -= chunk.Length)
            {
                await body.WriteAsync(chunk.AsMemory(0, (int)Math.Min(left, chunk.Length)));
            }
            await body.CompleteAsync();
            return;
        }
        var text = request.Path switch
        {
            "/api/version" => """{"version": "4", "ray_version": "2.46.0"}""",
            _ => """{"result": true, "msg": "Node summary fetched.", "data": {"summary": []}}""",
        };
        await response.WriteAsync(text, "application/json");
    }

    private Task<PortForwardSession> StartAsync(KubeConnection? connection = null) => _registry.StartAsync(connection ?? _connection,
        new DashboardSessionOptions { ClusterName = Cluster, Namespace = Ns, LocalPort = 0, ReconnectMaxDelay = TimeSpan.FromMilliseconds(250) }, null, CancellationToken.None);

    [Fact]
    public async Task Serves_the_dashboard_api_over_the_sandbox_port_forward()
    {
        var session = await StartAsync();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };

        var version = JsonNode.Parse(await http.GetStringAsync(new Uri(session.Url, "api/version")))!;
        var nodes = JsonNode.Parse(await http.GetStringAsync(new Uri(session.Url, "nodes?view=summary")))!;

        Assert.Equal("4", (string?)version["version"]);
        Assert.True((bool)nodes["result"]!);
        Assert.Equal($"{Cluster}-head-a", session.View.PodName);
        Assert.True(session.View.BytesIn > 0 && session.View.BytesOut > 0);
    }

    [Fact]
    public async Task Serves_fifty_concurrent_connections_without_spurious_reconnects()
    {
        var session = await StartAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(async i =>
        {
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
            using var response = await client.GetAsync(new Uri(session.Url, i % 2 == 0 ? "api/version" : "nodes?view=summary"));
            return response.StatusCode;
        }));

        Assert.All(results, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.True(session.View.TotalConnections >= 50);
        Assert.Equal(0, session.View.Reconnects);
        Assert.Equal(RayDashboardSessionState.Running, session.View.State);
    }

    [Fact]
    public async Task Downloads_a_large_body_intact()
    {
        var session = await StartAsync();
        const long size = 32L * 1024 * 1024;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };

        using var response = await http.GetAsync(new Uri(session.Url, $"api/sandbox/blob?bytes={size}"), HttpCompletionOption.ResponseHeadersRead);
        var stream = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[128 * 1024];
        long total = 0;
        for (int n; (n = await stream.ReadAsync(buffer)) > 0;)
        {
            total += n;
        }

        Assert.Equal(size, total);
        Assert.True(session.View.BytesIn >= size);
    }

    [Fact]
    public async Task After_the_head_pod_is_deleted_a_new_request_succeeds_on_the_new_pod()
    {
        var session = await StartAsync();
        using (var http = new HttpClient())
        {
            await http.GetStringAsync(new Uri(session.Url, "api/version"));
        }

        await _connection.Api.DeleteAsync($"/api/v1/namespaces/{Ns}/pods/{Cluster}-head-a", CancellationToken.None);
        _sandbox.PodNetwork.StopPod(Ns, $"{Cluster}-head-a");
        AddHeadPod($"{Cluster}-head-b");

        // One raw connection, one request: it must succeed without any client-side retry.
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, session.DashboardEndPoint.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /api/version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
        var answer = await new StreamReader(stream).ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.StartsWith("HTTP/1.1 200", answer);
        Assert.Contains($"X-Pod: {Cluster}-head-b", answer);
        Assert.Equal($"{Cluster}-head-b", session.View.PodName);
        Assert.Equal(RayDashboardSessionState.Running, session.View.State);
        Assert.Equal(1, session.View.Reconnects);
        Assert.Contains(session.DrainNotices(), n => n.Contains($"Head pod '{Ns}/{Cluster}-head-a' was replaced: forwarding to '{Ns}/{Cluster}-head-b' now."));
    }

    [Fact]
    public async Task A_refused_port_forward_is_KubeApiForbidden_naming_the_permission()
    {
        _sandbox.Faults.AddError(403, pathPattern: "*/portforward");

        var ex = await Assert.ThrowsAsync<RayPSException>(() => StartAsync());

        Assert.Equal(ErrorIds.KubeApiForbidden, ex.ErrorId);
        Assert.Contains("'create' on 'pods/portforward'", ex.Message);
        Assert.Empty(_registry.List());
    }

    [Fact]
    public async Task The_viewer_user_is_refused_with_a_permission_error()
    {
        var viewer = KubeConnection.Get(new KubeConnectionOptions(_sandbox.KubeConfigPath, _sandbox.ViewerContext));

        var ex = await Assert.ThrowsAsync<RayPSException>(() => StartAsync(viewer));

        Assert.Equal(ErrorIds.KubeApiForbidden, ex.ErrorId);
    }

    [Fact]
    public async Task Stop_frees_the_port_and_ends_every_task()
    {
        var session = await StartAsync();
        var port = session.DashboardEndPoint.Port;
        using var idle = new TcpClient();
        await idle.ConnectAsync(IPAddress.Loopback, port);

        await _registry.StopAsync(session);

        Assert.True(session.Completion.IsCompletedSuccessfully);
        Assert.Equal(0, session.View.Connections);
        using var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        Assert.Equal(RayDashboardSessionState.Stopped, session.View.State);
    }
}
