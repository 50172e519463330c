using System.Net;
using System.Text;
using RayPS.Sandbox.Cluster;
using RayPS.Sandbox.Ray;

namespace RayPS.Sandbox.Tests.Cluster;

/// <summary>Reaching the simulated Ray cluster like a real one: port-forward, direct dashboard, jobs, logs, seed Deployment workers.</summary>
public class RayAccessE2ETests
{
    private const string Clusters = "/apis/ray.io/v1/namespaces/default/rayclusters";
    private const string Dashboard = "/api/v1/namespaces/default/services/raycluster-kuberay-head-svc:dashboard/proxy";

    [Fact]
    public async Task PortForwardCarriesManyConnectionsAndDropsWhenThePodGoes()
    {
        await using var h = await SimHarness.StartAsync();
        await h.CreateAsync(Clusters, KubeRayE2ETests.SampleCluster(replicas: 1));
        await h.WaitForReadyAsync("default", "raycluster-kuberay");
        var head = ObjectMeta.Name(h.Pods("default", "ray.io/node-type", "head").Single());

        var sessions = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => h.PortForwardAsync("default", head, 8265)));
        var answers = await Task.WhenAll(sessions.Select(s => s.HttpGetAsync("/api/version")));
        Assert.All(answers, a => Assert.Equal(200, a.Status));
        Assert.All(answers, a => Assert.Contains("\"ray_version\": \"2.46.0\"", Encoding.UTF8.GetString(a.Body)));
        // Keep-alive: a second request on the same forwarded connection.
        var blob = await sessions[0].HttpGetAsync("/api/sandbox/blob?bytes=1000000");
        Assert.Equal(1000000, blob.Body.Length);

        await h.DeleteAsync($"/api/v1/namespaces/default/pods/{head}");
        Assert.True(await sessions[1].WaitClosedAsync(TimeSpan.FromSeconds(10)), "port-forward should drop with its pod");
        foreach (var s in sessions)
        {
            s.Dispose();
        }
    }

    [Fact]
    public async Task DirectDashboardServesTheHeadOverPlainHttp()
    {
        await using var h = await SimHarness.StartAsync();
        await h.CreateAsync(Clusters, KubeRayE2ETests.SampleCluster(replicas: 1));
        await h.WaitForReadyAsync("default", "raycluster-kuberay");
        var uri = await h.Sim.StartDirectDashboardAsync("default", "raycluster-kuberay");
        using var http = new HttpClient { BaseAddress = uri };
        using var version = await http.GetAsync("api/version");
        Assert.Equal(HttpStatusCode.OK, version.StatusCode);
        Assert.Equal("Python/3.11 aiohttp/3.11.18", version.Headers.Server.ToString());
        var bytes = await http.GetByteArrayAsync("api/sandbox/blob?bytes=5000000");
        Assert.Equal(5000000, bytes.Length);
        Assert.Equal("success", await http.GetStringAsync("api/gcs_healthz"));
    }

    [Fact]
    public async Task JobLogsTailOverAWebSocket()
    {
        await using var h = await SimHarness.StartAsync();
        await h.CreateAsync(Clusters, KubeRayE2ETests.SampleCluster(replicas: 1));
        await h.WaitForReadyAsync("default", "raycluster-kuberay");
        var uri = await h.Sim.StartDirectDashboardAsync("default", "raycluster-kuberay");
        using var http = new HttpClient { BaseAddress = uri };
        using var submit = await http.PostAsync("api/jobs/", new StringContent("{\"entrypoint\": \"echo tail-me && sleep 100\", \"submission_id\": \"t1\"}"));
        Assert.Equal(HttpStatusCode.OK, submit.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("api/jobs/t1/logs/tail")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("api/jobs/nope/logs/tail")).StatusCode);

        using var ws = new System.Net.WebSockets.ClientWebSocket();
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{uri.Port}/api/jobs/t1/logs/tail"), CancellationToken.None);
        var received = new StringBuilder();
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            var result = await ws.ReceiveAsync(buffer, timeout.Token);
            if (result.MessageType == System.Net.WebSockets.WebSocketMessageType.Close)
            {
                Assert.Equal(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, result.CloseStatus);
                break;
            }
            received.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
        }
        Assert.Equal("tail-me\n", received.ToString());
        Assert.Contains("\"status\": \"SUCCEEDED\"", await http.GetStringAsync("api/jobs/t1"));
    }

    [Fact]
    public async Task JobsRunThroughTheServiceProxy()
    {
        await using var h = await SimHarness.StartAsync();
        await h.CreateAsync(Clusters, KubeRayE2ETests.SampleCluster(replicas: 1));
        await h.WaitForReadyAsync("default", "raycluster-kuberay");
        // The head's address reaches the service's endpoints shortly after it is ready.
        await SimHarness.WaitUntilAsync(async () => (await h.GetAsync(Dashboard + "/api/gcs_healthz")).Status == 200, what: "dashboard via service");
        using var submit = await h.Http.PostAsync(Dashboard + "/api/jobs/",
            new StringContent("{\"entrypoint\": \"echo hello from ray\", \"submission_id\": \"rehearsal-1\"}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, submit.StatusCode);
        Assert.Equal("{\"job_id\": \"rehearsal-1\", \"submission_id\": \"rehearsal-1\"}", await submit.Content.ReadAsStringAsync());
        await SimHarness.WaitUntilAsync(async () => JsonNode.Parse((await h.GetAsync(Dashboard + "/api/jobs/rehearsal-1")).Body)!["status"]!.GetValue<string>() == "SUCCEEDED",
            what: "job SUCCEEDED");
        var done = JsonNode.Parse((await h.GetAsync(Dashboard + "/api/jobs/rehearsal-1")).Body)!;
        Assert.Equal("01000000", done["job_id"]!.GetValue<string>());
        Assert.Equal(0, done["driver_exit_code"]!.GetValue<int>());
        var logs = JsonNode.Parse((await h.GetAsync(Dashboard + "/api/jobs/rehearsal-1/logs")).Body)!["logs"]!.GetValue<string>();
        Assert.Equal("hello from ray\n", logs);
        // A long job is RUNNING until it is stopped.
        using var longJob = await h.Http.PostAsync(Dashboard + "/api/jobs/",
            new StringContent("{\"entrypoint\": \"python train.py && sleep 100000\", \"submission_id\": \"long\"}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, longJob.StatusCode);
        await SimHarness.WaitUntilAsync(async () => JsonNode.Parse((await h.GetAsync(Dashboard + "/api/jobs/long")).Body)!["status"]!.GetValue<string>() == "RUNNING",
            what: "job RUNNING");
        using var stop = await h.Http.PostAsync(Dashboard + "/api/jobs/long/stop", null);
        Assert.Equal("{\"stopped\": true}", await stop.Content.ReadAsStringAsync());
        var list = JsonNode.Parse((await h.GetAsync(Dashboard + "/api/jobs/")).Body)!.AsArray();
        Assert.Equal(["SUCCEEDED", "STOPPED"], list.Select(j => j!["status"]!.GetValue<string>()));
    }

    [Fact]
    public async Task JobLogsTailOverAWebSocketThroughTheServiceProxy()
    {
        await using var h = await SimHarness.StartAsync();
        await h.CreateAsync(Clusters, KubeRayE2ETests.SampleCluster(replicas: 1));
        await h.WaitForReadyAsync("default", "raycluster-kuberay");
        await SimHarness.WaitUntilAsync(async () => (await h.GetAsync(Dashboard + "/api/gcs_healthz")).Status == 200, what: "dashboard via service");
        using var submit = await h.Http.PostAsync(Dashboard + "/api/jobs/",
            new StringContent("{\"entrypoint\": \"echo one; sleep 20; echo two\", \"submission_id\": \"ws\"}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, submit.StatusCode);

        using var ws = new System.Net.WebSockets.ClientWebSocket();
        ws.Options.SetRequestHeader("Authorization", "Bearer " + h.Sandbox.AdminToken);
        ws.Options.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        await ws.ConnectAsync(new Uri($"wss://127.0.0.1:{h.Sandbox.Uri.Port}{Dashboard}/api/jobs/ws/logs/tail"), CancellationToken.None);
        var text = new StringBuilder();
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var frame = await ws.ReceiveAsync(buffer, timeout.Token);
            if (frame.MessageType == System.Net.WebSockets.WebSocketMessageType.Close)
            {
                break;
            }
            Assert.Equal(System.Net.WebSockets.WebSocketMessageType.Text, frame.MessageType);
            text.Append(Encoding.UTF8.GetString(buffer, 0, frame.Count));
        }
        Assert.Equal(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, ws.CloseStatus);
        Assert.Equal("one\ntwo\n", text.ToString());
    }

    [Fact]
    public async Task SeedDeploymentWorkersJoinTheRayCluster()
    {
        await using var h = await SimHarness.StartAsync();
        var raw = TestClusters.Npu();
        var meta = (JsonObject)raw["metadata"]!;
        meta.Remove("uid");
        meta.Remove("generation");
        TestClusters.Group(raw)["replicas"] = 0;
        await h.CreateAsync("/apis/ray.io/v1/namespaces/kube-system/rayclusters", raw);
        await h.WaitForReadyAsync("kube-system", "ray-cluster");

        var deployment = (JsonObject)JsonNode.Parse(SeedDeployment)!;
        await h.CreateAsync("/apis/apps/v1/namespaces/kube-system/deployments", deployment);
        var ray = h.Sim.Ray.Find("kube-system", "ray-cluster")!;
        await SimHarness.WaitUntilAsync(() => ray.AliveNodes.Count == 3, what: "2 deployment workers joined");
        var npu = ray.AliveNodes.Where(n => !n.IsHead).ToList();
        Assert.All(npu, n =>
        {
            Assert.Equal(20.0, n.Resources["ascend"]);
            Assert.Equal(12.0, n.Resources["CPU"]);
            Assert.Equal(20000000000.0, n.Resources["memory"]);
            Assert.StartsWith("ray-cluster-npu-workergroup-", n.PodName);
        });

        // The Deployment reports ready replicas; scaling it through /scale adds Ray nodes.
        await SimHarness.WaitUntilAsync(() => JsonNodes.GetInteger(JsonNodes.At(h.Store.Get(Gvr.Deployments, "kube-system", "ray-cluster-npu-workergroup"), "status", "readyReplicas")) == 2,
            what: "deployment ready");
        await h.PatchAsync("/apis/apps/v1/namespaces/kube-system/deployments/ray-cluster-npu-workergroup/scale", "{\"spec\":{\"replicas\":4}}");
        await SimHarness.WaitUntilAsync(() => ray.AliveNodes.Count == 5, what: "4 deployment workers");
        var status = (JsonObject)h.Store.Get(Gvr.Deployments, "kube-system", "ray-cluster-npu-workergroup")["status"]!;
        await SimHarness.WaitUntilAsync(() => JsonNodes.GetInteger(JsonNodes.At(h.Store.Get(Gvr.Deployments, "kube-system", "ray-cluster-npu-workergroup"), "status", "availableReplicas")) == 4,
            what: "4 available");
        Assert.NotNull(status);

        // A template change rolls to a new ReplicaSet; old nodes leave the cluster as DEAD.
        await h.PatchAsync("/apis/apps/v1/namespaces/kube-system/deployments/ray-cluster-npu-workergroup",
            "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"ray-worker\",\"env\":[{\"name\":\"RAY_LOG_LEVEL\",\"value\":\"debug\"}]}]}}}}",
            "application/strategic-merge-patch+json");
        await SimHarness.WaitUntilAsync(() => h.Store.ListItems(Gvr.ReplicaSets, "kube-system").Count(rs => ObjectMeta.Name(rs).StartsWith("ray-cluster-npu-workergroup-", StringComparison.Ordinal)) == 2
            && JsonNodes.GetInteger(JsonNodes.At(h.Store.Get(Gvr.Deployments, "kube-system", "ray-cluster-npu-workergroup"), "status", "updatedReplicas")) == 4
            && JsonNodes.GetInteger(JsonNodes.At(h.Store.Get(Gvr.Deployments, "kube-system", "ray-cluster-npu-workergroup"), "status", "availableReplicas")) == 4
            && JsonNodes.GetInteger(JsonNodes.At(h.Store.Get(Gvr.Deployments, "kube-system", "ray-cluster-npu-workergroup"), "status", "replicas")) == 4,
            TimeSpan.FromSeconds(20), "rolled out");
        await SimHarness.WaitUntilAsync(() => ray.AliveNodes.Count == 5 && ray.Nodes.Count(n => n.State == RayNodeState.Dead) == 4, what: "old workers dead");
    }

    [Fact]
    public async Task PodLogsShowRayStart()
    {
        await using var h = await SimHarness.StartAsync();
        await h.CreateAsync(Clusters, KubeRayE2ETests.SampleCluster(replicas: 1));
        await h.WaitForReadyAsync("default", "raycluster-kuberay");
        var head = h.Pods("default", "ray.io/node-type", "head").Single();
        var (status, log) = await h.GetAsync($"/api/v1/namespaces/default/pods/{ObjectMeta.Name(head)}/log");
        Assert.Equal(200, status);
        Assert.Contains("Ray runtime started.", log);
        Assert.Contains("Local node IP: " + JsonNodes.StringAt(head, "status", "podIP"), log);
        var worker = h.Pods("default", "ray.io/node-type", "worker").Single();
        (status, log) = await h.GetAsync($"/api/v1/namespaces/default/pods/{ObjectMeta.Name(worker)}/log?container=wait-gcs-ready");
        Assert.Equal("GCS is ready.\n", log);
    }

    private const string SeedDeployment = """
        {
          "apiVersion": "apps/v1",
          "kind": "Deployment",
          "metadata": {"name": "ray-cluster-npu-workergroup", "namespace": "kube-system", "labels": {"ray.io/cluster": "ray-cluster", "ray.io/group": "workergroup"}},
          "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"ray.io/identifier": "ray-cluster-npu-worker"}},
            "template": {
              "metadata": {"labels": {"ray.io/identifier": "ray-cluster-npu-worker", "ray.io/cluster": "ray-cluster", "ray.io/node-type": "worker"}},
              "spec": {"containers": [{
                "name": "ray-worker",
                "image": "harbor.xx.net/library/rayproject/ray:2.48.0.py311-npu-vjepa2-aarch64-20250911",
                "command": ["/bin/bash", "-c", "--"],
                "args": ["ulimit -n 65536; ray start --address=ray-cluster-head-svc.kube-system.svc.cluster.local:6379 --block --dashboard-agent-listen-port=52365 --memory=20000000000 --metrics-export-port=8080 --num-cpus=12 --resources='{\"ascend\":20}'"],
                "resources": {
                  "requests": {"cpu": "12", "memory": "40Gi", "huawei.com/Ascend910B": "1", "huawei.com/Ascend910B-memory": "16384"},
                  "limits": {"cpu": "12", "memory": "40Gi", "huawei.com/Ascend910B": "1", "huawei.com/Ascend910B-memory": "16384"}
                },
                "livenessProbe": {
                  "exec": {"command": ["bash", "-c", "wget --tries 1 -T 2 -q -O- http://localhost:52365/api/local_raylet_healthz | grep success"]},
                  "initialDelaySeconds": 30, "periodSeconds": 5, "failureThreshold": 120
                }
              }]}
            }
          }
        }
        """;
}
