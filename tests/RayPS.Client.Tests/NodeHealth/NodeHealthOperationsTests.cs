using RayPS.Client.Tests.Support;
using System.Diagnostics;
using System.Text.Json.Nodes;
using RayPS.Errors;
using RayPS.Operations;
using static RayPS.Client.Tests.NodeHealth.RayFixtures;

namespace RayPS.Client.Tests.NodeHealth;

public sealed class NodeHealthOperationsTests
{
    private const string Ns = "default";
    private const string Cluster = "ray-cluster";

    /// <summary>A head and <paramref name="workers"/> workers, all healthy, each with its ALIVE Ray node.</summary>
    private static FakeRayCluster HealthyCluster(int workers)
    {
        var fake = new FakeRayCluster();
        fake.Pods.Add(Head());
        fake.RayNodes.Add(RayNode(NodeId(0), "10.244.0.9", head: true));
        for (var i = 1; i <= workers; i++)
        {
            var ip = $"10.244.{1 + i / 250}.{i % 250 + 1}";
            fake.Pods.Add(Worker($"ray-cluster-workergroup-worker-{i:D4}", ip));
            fake.RayNodes.Add(RayNode(NodeId(i), ip));
        }
        return fake;
    }

    private static NodeHealthRequest Request(Action<NodeHealthRequestOptions>? configure = null)
    {
        var o = new NodeHealthRequestOptions();
        configure?.Invoke(o);
        return new NodeHealthRequest
        {
            Namespace = o.AllNamespaces ? null : Ns,
            ClusterNames = o.Names,
            ThrottleLimit = o.Throttle,
            ProbeTimeout = o.Timeout,
            IncludeDeparted = o.IncludeDeparted,
            Clock = () => Now,
            Warning = o.Warnings.Add,
        };
    }

    internal sealed class NodeHealthRequestOptions
    {
        public bool AllNamespaces { get; set; }
        public string[]? Names { get; set; } = { Cluster };
        public int Throttle { get; set; } = 32;
        public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(2);
        public bool IncludeDeparted { get; set; }
        public List<string> Warnings { get; } = new();
    }

    private static async Task<List<ClusterHealthReport>> CheckAll(FakeRayCluster fake, NodeHealthRequest? request = null)
    {
        var reports = new List<ClusterHealthReport>();
        await foreach (var report in NodeHealthOperations.CheckAsync(fake.Connect(), request ?? Request(), CancellationToken.None))
        {
            reports.Add(report);
        }
        return reports;
    }

    private static async Task<ClusterHealthReport> Check(FakeRayCluster fake, NodeHealthRequest? request = null) =>
        Assert.Single(await CheckAll(fake, request));

    private static RayNodeHealth Row(ClusterHealthReport report, string pod) => Assert.Single(report.Nodes, n => n.PodName == pod);

    [Fact]
    public async Task Healthy_cluster_sends_exactly_the_stated_requests()
    {
        var fake = HealthyCluster(2);
        var report = await Check(fake);

        Assert.Equal(3, report.Nodes.Count);
        Assert.All(report.Nodes, n => Assert.Equal(RayHealthStatus.Healthy, n.Status));
        Assert.All(report.Nodes, n => Assert.Equal("", n.Reason));
        Assert.Equal(RayHealthStatus.Healthy, report.Summary!.Status);
        Assert.Equal("all 3 nodes healthy", report.Summary.Reason);
        Assert.Empty(report.Warnings);
        Assert.Empty(report.Errors);

        var requests = fake.Requests.ToList();
        Assert.Equal(7, requests.Count);
        Assert.Contains("/api/v1/namespaces/default/pods?labelSelector=ray.io/cluster=ray-cluster", requests);
        Assert.Contains("/apis/apps/v1/namespaces/default/deployments?labelSelector=ray.io/cluster=ray-cluster", requests);
        Assert.Contains("/api/v1/namespaces/default/services/ray-cluster-head-svc:dashboard/proxy/api/gcs_healthz", requests);
        Assert.Contains("/api/v1/namespaces/default/services/ray-cluster-head-svc:dashboard/proxy/api/v0/nodes?limit=10000&detail=true&timeout=4", requests);
        Assert.Contains("/api/v1/namespaces/default/pods/ray-cluster-head-x7k2p:52365/proxy/api/local_raylet_healthz", requests);
        Assert.Equal(3, fake.RequestsMatching("/proxy/api/local_raylet_healthz").Count);
    }

    [Fact]
    public async Task Rows_carry_pod_ray_and_resource_facts()
    {
        var report = await Check(HealthyCluster(1));
        var head = report.Nodes[0];
        Assert.Equal("ray-cluster-head-x7k2p", head.PodName);
        Assert.Equal("head", head.NodeType);
        Assert.Equal("headgroup", head.GroupName);
        Assert.Equal("RayCluster", head.Kind);
        Assert.Equal("Running", head.PodPhase);
        Assert.True(head.Ready);
        Assert.True(head.RayletHealthy);
        Assert.True(head.GcsHealthy);
        Assert.Equal("ALIVE", head.RayNodeState);
        Assert.Equal(NodeId(0), head.RayNodeId);
        Assert.Null(head.Cpu);
        Assert.Equal(8589934592L, head.Memory);
        Assert.Equal("fake-context", head.Context);
        Assert.Equal(Now, head.CheckedAt);

        var worker = report.Nodes[1];
        Assert.Equal("worker", worker.NodeType);
        Assert.Equal("workergroup", worker.GroupName);
        Assert.Null(worker.GcsHealthy);
        Assert.Equal(12, worker.Cpu);
        Assert.Equal(1, worker.Npu);
        Assert.Null(worker.Gpu);
        Assert.Equal(20000000000L, worker.Memory);
        Assert.Equal(4294967296L, worker.ObjectStoreMemory);
        Assert.Equal(20, worker.Custom["ascend"]);
        Assert.DoesNotContain(worker.Custom.Keys, k => k.StartsWith("node:", StringComparison.Ordinal));
        Assert.Equal("kind-worker", worker.NodeName);
    }

    [Fact]
    public async Task Pending_unschedulable_pod_is_unhealthy_and_not_probed()
    {
        var fake = HealthyCluster(1);
        fake.Pods.Add(Worker("ray-cluster-workergroup-worker-pend", "").Unschedulable("0/3 nodes are available: 3 Insufficient cpu.").Created(Now.AddMinutes(-7)));
        var report = await Check(fake);

        var row = Row(report, "ray-cluster-workergroup-worker-pend");
        Assert.Equal(RayHealthStatus.Unhealthy, row.Status);
        Assert.Equal("Pod Pending for 7m: Unschedulable (0/3 nodes are available: 3 Insufficient cpu.)", row.Reason);
        Assert.Equal("Pending", row.PodPhase);
        Assert.Null(row.RayletHealthy);
        Assert.Null(row.RayNodeState);
        Assert.Equal(2, fake.RequestsMatching("local_raylet_healthz").Count);
        Assert.Equal(RayHealthStatus.Degraded, report.Summary!.Status);
        Assert.StartsWith("1 of 3 nodes not healthy: ray-cluster-workergroup-worker-pend: Pod Pending", report.Summary.Reason);
    }

    [Fact]
    public async Task ImagePullBackOff_names_the_image()
    {
        var fake = HealthyCluster(1);
        var pod = Worker("ray-cluster-workergroup-worker-img", "").ImagePullBackOff("rayproject/ray:does-not-exist").Created(Now.AddSeconds(-90)).Build();
        pod["status"]!["containerStatuses"]![0]!["image"] = "docker.io/rayproject/ray:does-not-exist"; // the kubelet normalises it
        fake.Pods.Add(pod);
        var row = Row(await Check(fake), "ray-cluster-workergroup-worker-img");
        Assert.Equal(RayHealthStatus.Unhealthy, row.Status);
        Assert.Equal("Pod Pending for 90s: ImagePullBackOff (image 'rayproject/ray:does-not-exist' cannot be pulled)", row.Reason);
    }

    [Fact]
    public async Task Recent_OOMKilled_restarts_are_degraded_with_the_time()
    {
        var fake = HealthyCluster(2);
        fake.Pods[1] = Worker("ray-cluster-workergroup-worker-0001", "10.244.1.2").Restarted(3, "OOMKilled", Now.AddMinutes(-4));
        fake.Pods[2] = Worker("ray-cluster-workergroup-worker-0002", "10.244.1.3").Restarted(2, "OOMKilled", Now.AddHours(-3));
        var report = await Check(fake);

        var recent = Row(report, "ray-cluster-workergroup-worker-0001");
        Assert.Equal(RayHealthStatus.Degraded, recent.Status);
        Assert.Equal("OOMKilled: restarted 3 times, last at 2026-03-01 11:56:00Z (4m ago)", recent.Reason);
        Assert.Equal(3, recent.Restarts);
        Assert.Equal("OOMKilled", recent.LastTermination);
        Assert.Equal(Now.AddMinutes(-4), recent.LastTerminationTime);
        Assert.Equal(137, recent.LastTerminationExitCode);

        var old = Row(report, "ray-cluster-workergroup-worker-0002");
        Assert.Equal(RayHealthStatus.Healthy, old.Status);
        Assert.Equal(2, old.Restarts);
        Assert.Equal("OOMKilled", old.LastTermination);
    }

    [Fact]
    public async Task Raylet_503_is_unhealthy_with_the_answer()
    {
        var fake = HealthyCluster(2);
        fake.Raylet["ray-cluster-workergroup-worker-0002"] = new Reply(503, "Local Raylet failed");
        var report = await Check(fake);

        var row = Row(report, "ray-cluster-workergroup-worker-0002");
        Assert.Equal(RayHealthStatus.Unhealthy, row.Status);
        Assert.Equal("raylet health check failed (503: Local Raylet failed)", row.Reason);
        Assert.False(row.RayletHealthy);
        Assert.Equal(RayHealthStatus.Healthy, Row(report, "ray-cluster-workergroup-worker-0001").Status);
    }

    [Fact]
    public async Task Raylet_timeout_does_not_stall_the_rest()
    {
        var fake = HealthyCluster(20);
        fake.Raylet["ray-cluster-workergroup-worker-0007"] = Reply.Success with { Delay = TimeSpan.FromSeconds(30) };
        var watch = Stopwatch.StartNew();
        var report = await Check(fake, Request(o => o.Timeout = TimeSpan.FromMilliseconds(300)));
        watch.Stop();

        var slow = Row(report, "ray-cluster-workergroup-worker-0007");
        Assert.Equal(RayHealthStatus.Unhealthy, slow.Status);
        Assert.Equal("raylet health check timed out after 0.3 s", slow.Reason);
        Assert.False(slow.RayletHealthy);
        Assert.Equal(20, report.Nodes.Count(n => n.Status == RayHealthStatus.Healthy));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task No_pod_reachable_from_the_api_server_is_unknown_not_head_down()
    {
        var fake = HealthyCluster(3);
        fake.RayletDelay = TimeSpan.FromSeconds(30);
        fake.Raylet["ray-cluster-head-x7k2p"] = Reply.Success with { Delay = TimeSpan.FromSeconds(30) };
        fake.Gcs = Reply.Success with { Delay = TimeSpan.FromSeconds(30) };
        fake.Nodes = Reply.Success with { Delay = TimeSpan.FromSeconds(30) };
        var report = await Check(fake, Request(o => o.Timeout = TimeSpan.FromMilliseconds(200)));

        Assert.All(report.Nodes, n => Assert.Equal(RayHealthStatus.Unknown, n.Status));
        Assert.Equal("raylet not checked: the API server reached no pod of the cluster (timed out after 0.2 s); GCS not checked: the API server reached no pod of the cluster (timed out after 0.2 s)", report.Nodes[0].Reason);
        Assert.Equal("raylet not checked: the API server reached no pod of the cluster (timed out after 0.2 s)", report.Nodes[1].Reason);
        var warning = Assert.Single(report.Warnings);
        Assert.Contains("cannot reach the pods", warning);
        Assert.Equal(RayHealthStatus.Unknown, report.Summary!.Status);
    }

    [Fact]
    public async Task Every_raylet_timing_out_while_the_head_answers_stays_unhealthy_with_a_warning()
    {
        var fake = HealthyCluster(2);
        fake.RayletDelay = TimeSpan.FromSeconds(30);
        fake.Raylet["ray-cluster-head-x7k2p"] = Reply.Success with { Delay = TimeSpan.FromSeconds(30) };
        var report = await Check(fake, Request(o => o.Timeout = TimeSpan.FromMilliseconds(200)));

        Assert.All(report.Nodes, n => Assert.Equal("raylet health check timed out after 0.2 s", n.Reason));
        Assert.Contains("NetworkPolicy", Assert.Single(report.Warnings));
    }

    [Fact]
    public async Task Dead_ray_node_of_a_running_pod_is_unhealthy()
    {
        var fake = HealthyCluster(1);
        fake.RayNodes[1] = RayNode(NodeId(1), "10.244.1.2", state: "DEAD", message: "Unexpected termination: health check failed due to missing too many heartbeats", end: Now.AddMinutes(-2));
        var row = Row(await Check(fake), "ray-cluster-workergroup-worker-0001");
        Assert.Equal(RayHealthStatus.Unhealthy, row.Status);
        Assert.Equal("Ray reports the node DEAD: Unexpected termination: health check failed due to missing too many heartbeats", row.Reason);
        Assert.Equal("DEAD", row.RayNodeState);
        Assert.Equal(NodeId(1), row.RayNodeId);
    }

    [Fact]
    public async Task Head_down_makes_ray_state_unknown_everywhere()
    {
        var fake = HealthyCluster(2);
        fake.Gcs = new Reply(503, "503: Health check failed: failed to connect to all addresses", ContentType: "text/plain");
        fake.Nodes = new Reply(500, """{"result": false, "msg": "Failed to get nodes: GCS unavailable", "data": {"result": null}}""", ContentType: "application/json");
        var report = await Check(fake);

        Assert.All(report.Nodes, n => Assert.Equal("Unknown", n.RayNodeState));
        var head = report.Nodes[0];
        Assert.Equal(RayHealthStatus.Unhealthy, head.Status);
        Assert.Equal("head down: GCS unhealthy (503: Health check failed: failed to connect to all addresses), Ray node state unknown", head.Reason);
        Assert.False(head.GcsHealthy);
        Assert.True(head.RayletHealthy);
        Assert.All(report.Nodes.Skip(1), w =>
        {
            Assert.Equal(RayHealthStatus.Degraded, w.Status);
            Assert.Equal("head down: GCS unhealthy, Ray node state unknown", w.Reason);
        });
        Assert.Equal(RayHealthStatus.Unhealthy, report.Summary!.Status);
        Assert.StartsWith("head ray-cluster-head-x7k2p: head down: GCS unhealthy", report.Summary.Reason);
        Assert.Empty(report.Warnings);
    }

    [Fact]
    public async Task Head_service_without_endpoints_says_so()
    {
        var fake = HealthyCluster(1);
        fake.Pods.RemoveAt(0);
        var noEndpoints = Reply.KubeStatus(503, "ServiceUnavailable", "no endpoints available for service \"ray-cluster-head-svc\"");
        fake.Gcs = noEndpoints;
        fake.Nodes = noEndpoints;
        var report = await Check(fake);

        var worker = Assert.Single(report.Nodes);
        Assert.Equal(RayHealthStatus.Degraded, worker.Status);
        Assert.Null(worker.GcsHealthy);
        Assert.Equal("head down: GCS unhealthy, Ray node state unknown", worker.Reason);
        Assert.Equal(RayHealthStatus.Unhealthy, report.Summary!.Status);
        Assert.StartsWith("head down: no head pod exists", report.Summary.Reason);
    }

    [Fact]
    public async Task An_api_server_that_keeps_failing_the_gcs_probe_leaves_the_head_unknown_not_down()
    {
        var fake = HealthyCluster(2);
        fake.Gcs = Reply.KubeStatus(503, "ServiceUnavailable", "the server is currently unable to handle the request");
        var report = await Check(fake);

        var head = report.Nodes[0];
        Assert.Equal(RayHealthStatus.Unknown, head.Status);
        Assert.StartsWith("GCS not checked: the API server answered 503 (the server is currently unable to handle the request)", head.Reason);
        Assert.NotEqual(RayHealthStatus.Unhealthy, report.Summary!.Status);
        Assert.True(fake.RequestsMatching("gcs_healthz").Count > 1, "the probe is retried within its budget");
    }

    [Fact]
    public async Task Throttled_raylet_probes_are_unknown_not_unhealthy()
    {
        var fake = HealthyCluster(3);
        foreach (var pod in new[] { 1, 2, 3 }.Select(i => $"ray-cluster-workergroup-worker-{i:D4}"))
        {
            fake.Raylet[pod] = Reply.KubeStatus(429, "TooManyRequests", "Too many requests, please try again later.");
        }
        var report = await Check(fake);

        Assert.All(report.Nodes.Skip(1), w =>
        {
            Assert.Equal(RayHealthStatus.Unknown, w.Status);
            Assert.StartsWith("raylet not checked: the API server answered 429", w.Reason);
        });
        Assert.NotEqual(RayHealthStatus.Unhealthy, report.Summary!.Status);
    }

    [Fact]
    public async Task Head_not_ready_without_endpoints_is_gcs_unreachable()
    {
        var fake = HealthyCluster(1);
        fake.Pods[0] = Head().NotReady();
        var noEndpoints = Reply.KubeStatus(503, "ServiceUnavailable", "no endpoints available for service \"ray-cluster-head-svc:dashboard\"");
        fake.Gcs = noEndpoints;
        fake.Nodes = noEndpoints;
        var head = (await Check(fake)).Nodes[0];
        Assert.Equal(RayHealthStatus.Unhealthy, head.Status);
        Assert.Equal("head down: GCS unreachable (no endpoints available for service \"ray-cluster-head-svc:dashboard\"), Ray node state unknown; Pod Running but not Ready (containers not ready: ray-head)", head.Reason);
        Assert.False(head.GcsHealthy);
    }

    [Fact]
    public async Task Removed_pod_leaves_a_dead_ray_node_without_pod()
    {
        var fake = HealthyCluster(1);
        fake.RayNodes.Add(RayNode(NodeId(9), "10.244.7.7", state: "DEAD", message: "Unexpected termination: SIGKILL", end: Now.AddMinutes(-10)));
        var report = await Check(fake);

        var gone = Assert.Single(report.Nodes, n => n.PodName == "");
        Assert.Equal(RayHealthStatus.Unhealthy, gone.Status);
        Assert.Equal("Ray reports the node DEAD at 2026-03-01 11:50:00Z (10m ago) and its pod is gone: Unexpected termination: SIGKILL", gone.Reason);
        Assert.Equal("DEAD", gone.RayNodeState);
        Assert.Equal("10.244.7.7", gone.PodIP);
        Assert.Equal("worker", gone.NodeType);
        Assert.Equal("", gone.Kind);
        Assert.Same(gone, report.Nodes[^1]);
        Assert.Equal(RayHealthStatus.Degraded, report.Summary!.Status);
    }

    [Fact]
    public async Task Old_or_orderly_departures_are_history()
    {
        var fake = HealthyCluster(1);
        fake.RayNodes.Add(RayNode(NodeId(8), "10.244.7.8", state: "DEAD", message: "Unexpected termination: SIGKILL", end: Now.AddHours(-5)));
        fake.RayNodes.Add(RayNode(NodeId(9), "10.244.7.9", state: "DEAD", message: "Terminated due to idle (no Ray activity)", end: Now.AddMinutes(-3)));

        var report = await Check(fake);
        var orderly = Assert.Single(report.Nodes, n => n.PodName == "");
        Assert.Equal(RayHealthStatus.Healthy, orderly.Status);
        Assert.StartsWith("left the cluster in order at 2026-03-01 11:57:00Z", orderly.Reason);
        Assert.Contains(report.Notes, n => n.Contains("1 DEAD Ray nodes whose pods are gone died over 1 h ago", StringComparison.Ordinal));
        Assert.Equal(RayHealthStatus.Healthy, report.Summary!.Status);

        var all = await Check(fake, Request(o => o.IncludeDeparted = true));
        Assert.Equal(2, all.Nodes.Count(n => n.PodName == ""));
    }

    [Fact]
    public async Task Restarted_pod_shows_its_new_node_not_its_past_lives()
    {
        var fake = HealthyCluster(1);
        fake.RayNodes[1] = RayNode(NodeId(1), "10.244.1.2", state: "DEAD", message: "Unexpected termination: OOM", start: Now.AddMinutes(-100), end: Now.AddMinutes(-5));
        fake.RayNodes.Add(RayNode(NodeId(2), "10.244.1.2", start: Now.AddMinutes(-4)));
        var report = await Check(fake);

        Assert.Equal(2, report.Nodes.Count);
        var row = Row(report, "ray-cluster-workergroup-worker-0001");
        Assert.Equal("ALIVE", row.RayNodeState);
        Assert.Equal(NodeId(2), row.RayNodeId);
    }

    [Fact]
    public async Task A_dead_node_older_than_the_pod_is_not_that_pod_even_with_its_IP()
    {
        var fake = HealthyCluster(1);
        fake.RayNodes.Add(RayNode(NodeId(7), "10.244.1.2", state: "DEAD", message: "Unexpected termination: node lost", start: Now.AddHours(-5), end: Now.AddMinutes(-30)));
        var report = await Check(fake);

        Assert.Equal(NodeId(1), Row(report, "ray-cluster-workergroup-worker-0001").RayNodeId);
        var old = Assert.Single(report.Nodes, n => n.PodName == "");
        Assert.Equal(NodeId(7), old.RayNodeId);
    }

    [Fact]
    public async Task Alive_ray_node_without_pod_is_unknown()
    {
        var fake = HealthyCluster(1);
        fake.RayNodes.Add(RayNode(NodeId(5), "192.168.9.9"));
        var row = Assert.Single((await Check(fake)).Nodes, n => n.PodName == "");
        Assert.Equal(RayHealthStatus.Unknown, row.Status);
        Assert.Equal("Ray node ALIVE at 192.168.9.9 but no pod of the cluster has that IP", row.Reason);
    }

    [Fact]
    public async Task Running_pod_unknown_to_ray_is_degraded()
    {
        var fake = HealthyCluster(1);
        fake.RayNodes.RemoveAt(1);
        var row = Row(await Check(fake), "ray-cluster-workergroup-worker-0001");
        Assert.Equal(RayHealthStatus.Degraded, row.Status);
        Assert.StartsWith("Pod Running but no Ray node has its IP 10.244.1.2", row.Reason);
        Assert.Null(row.RayNodeState);
    }

    [Fact]
    public async Task Deployment_workers_are_reported_with_their_group()
    {
        var fake = HealthyCluster(0);
        fake.Deployments.Add(Deployment("ray-cluster-npu-workergroup", "npu", 3));
        for (var i = 0; i < 2; i++)
        {
            var ip = $"10.244.3.{i + 1}";
            fake.Pods.Add(Worker($"ray-cluster-npu-workergroup-77874c4d4c-p{i}", ip)
                .OwnedByReplicaSet("ray-cluster-npu-workergroup-77874c4d4c", "77874c4d4c")
                .Labels(("ray.io/group", null), ("ray.io/identifier", "ray-cluster-npu-worker")));
            fake.RayNodes.Add(RayNode(NodeId(10 + i), ip));
        }
        var report = await Check(fake);

        Assert.Equal(3, report.Nodes.Count);
        var worker = Row(report, "ray-cluster-npu-workergroup-77874c4d4c-p0");
        Assert.Equal("Deployment", worker.Kind);
        Assert.Equal("ray-cluster-npu-workergroup", worker.DeploymentName);
        Assert.Equal("npu", worker.GroupName);
        Assert.Equal(RayHealthStatus.Healthy, worker.Status);
        Assert.Contains("Deployment 'ray-cluster-npu-workergroup' wants 3 pods and has 2; the missing ones have no pod to check.", report.Warnings);
    }

    [Fact]
    public async Task Deployment_only_cluster_without_RayCluster_is_checked()
    {
        var fake = new FakeRayCluster();
        fake.Deployments.Add(Deployment("ray-cluster-npu-workergroup", "workergroup", 0));
        var report = await Check(fake);
        Assert.Null(report.Failure);
        Assert.Empty(report.Nodes);
        Assert.Equal(RayHealthStatus.Unhealthy, report.Summary!.Status);
    }

    [Fact]
    public async Task Pods_of_the_golden_deployment_list_are_pending_and_unscheduled()
    {
        var golden = JsonNode.Parse(File.ReadAllText(SharedData.Path("kube-golden", "59-deployment-list-pods.json")))!["response"]!["body"]!;
        var fake = new FakeRayCluster { PodList = new Reply(200, golden.ToJsonString(), ContentType: "application/json") };
        fake.Deployments.Add(Deployment("ray-cluster-npu-workergroup", "workergroup", 4));
        var noEndpoints = Reply.KubeStatus(503, "ServiceUnavailable", "no endpoints available for service \"ray-cluster-head-svc\"");
        fake.Gcs = noEndpoints;
        fake.Nodes = noEndpoints;
        var report = await Check(fake);

        Assert.Equal(5, report.Nodes.Count);
        Assert.All(report.Nodes, n =>
        {
            Assert.Equal("Deployment", n.Kind);
            Assert.Equal("ray-cluster-npu-workergroup", n.DeploymentName);
            Assert.Equal(RayHealthStatus.Unhealthy, n.Status);
            Assert.Equal("Pod Pending: not scheduled to a node yet", n.Reason); // the golden's timestamps are normalised: no age
        });
        Assert.Empty(fake.RequestsMatching("local_raylet_healthz"));
    }

    [Fact]
    public async Task Agent_port_comes_from_the_ray_start_command()
    {
        var fake = HealthyCluster(1);
        fake.Pods[1] = Worker("ray-cluster-workergroup-worker-0001", "10.244.1.2").Args("ray start --address=x:6379 --block --dashboard-agent-listen-port 52999");
        await Check(fake);
        Assert.Single(fake.RequestsMatching("/pods/ray-cluster-workergroup-worker-0001:52999/proxy/api/local_raylet_healthz"));
    }

    [Fact]
    public async Task Probes_run_in_parallel_within_the_bound()
    {
        var fake = HealthyCluster(100);
        fake.RayletDelay = TimeSpan.FromMilliseconds(100);
        var watch = Stopwatch.StartNew();
        var report = await Check(fake, Request(o => o.Throttle = 16));
        watch.Stop();

        Assert.Equal(101, report.Nodes.Count(n => n.Status == RayHealthStatus.Healthy));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"101 probes of 100 ms with 16 at once took {watch.Elapsed} (serial: 10 s)");
        Assert.InRange(fake.MaxInFlight, 8, 16);
        Assert.Equal(2 + 1 + 1 + 101, fake.Requests.Count);
    }

    [Fact]
    public async Task Forbidden_pod_proxy_is_one_error_naming_the_permission()
    {
        var fake = HealthyCluster(2);
        var forbidden = Reply.KubeStatus(403, "Forbidden", "pods \"x\" is forbidden: User \"viewer\" cannot get resource \"pods/proxy\" in API group \"\" in the namespace \"default\"", "pods");
        foreach (var pod in new[] { "ray-cluster-head-x7k2p", "ray-cluster-workergroup-worker-0001", "ray-cluster-workergroup-worker-0002" })
        {
            fake.Raylet[pod] = forbidden;
        }
        var report = await Check(fake);

        var error = Assert.Single(report.Errors);
        Assert.Equal(ErrorIds.KubeApiForbidden, error.ErrorId);
        Assert.Equal(RayErrorCategory.PermissionDenied, error.Category);
        Assert.Contains("cannot get pods/proxy in namespace 'default'", error.Message);
        Assert.Contains("the raylets of 3 pods of cluster 'ray-cluster' were not checked", error.Message);
        Assert.All(report.Nodes, n =>
        {
            Assert.Null(n.RayletHealthy);
            Assert.Equal(RayHealthStatus.Unknown, n.Status);
            Assert.Equal("raylet not checked: no permission to get pods/proxy", n.Reason);
        });
        Assert.Equal(RayHealthStatus.Unknown, report.Summary!.Status);
    }

    [Fact]
    public async Task Forbidden_service_proxy_names_services_proxy()
    {
        var fake = HealthyCluster(1);
        var forbidden = Reply.KubeStatus(403, "Forbidden", "services \"ray-cluster-head-svc\" is forbidden: User \"viewer\" cannot get resource \"services/proxy\"", "services");
        fake.Gcs = forbidden;
        fake.Nodes = forbidden;
        var report = await Check(fake);

        var error = Assert.Single(report.Errors);
        Assert.Contains("cannot get services/proxy", error.Message);
        Assert.Equal("GCS not checked: no permission to get services/proxy", report.Nodes[0].Reason);
        Assert.Null(report.Nodes[0].GcsHealthy);
        Assert.All(report.Nodes, n => Assert.Equal("Unknown", n.RayNodeState));
        Assert.Equal(RayHealthStatus.Healthy, report.Nodes[1].Status);
    }

    [Fact]
    public async Task Forbidden_pod_list_names_every_permission_needed()
    {
        var fake = HealthyCluster(1)
            .With(f => f.PodList = Reply.KubeStatus(403, "Forbidden", "pods is forbidden: User \"viewer\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"", "pods"));
        var ex = await Assert.ThrowsAsync<RayPSException>(() => CheckAll(fake));
        Assert.Equal(ErrorIds.KubeApiForbidden, ex.ErrorId);
        Assert.Contains("cannot list pods in namespace 'default'", ex.Message);
        Assert.Contains("User \"viewer\" cannot list resource \"pods\"", ex.Message);
        Assert.Contains("get on pods/proxy", ex.Message);
        Assert.Contains("kubectl auth can-i list pods -n default", ex.Message);
    }

    [Fact]
    public async Task Forbidden_deployment_list_is_a_warning()
    {
        var fake = HealthyCluster(1).With(f => f.DeploymentList = Reply.KubeStatus(403, "Forbidden", "deployments.apps is forbidden", "deployments"));
        var warnings = new List<string>();
        var report = await Check(fake, new NodeHealthRequest { Namespace = Ns, ClusterNames = new[] { Cluster }, Clock = () => Now, Warning = warnings.Add });
        Assert.Equal(2, report.Nodes.Count);
        Assert.Contains(warnings, w => w.Contains("list deployments", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Unknown_cluster_is_RayClusterNotFound()
    {
        var fake = new FakeRayCluster();
        var report = await Check(fake, Request(o => o.Names = new[] { "nope" }));
        Assert.NotNull(report.Failure);
        Assert.Equal(ErrorIds.RayClusterNotFound, report.Failure!.ErrorId);
        Assert.Contains("no pods or Deployments there are labelled ray.io/cluster=nope", report.Failure.Message);
        Assert.Equal(3, fake.Requests.Count);
    }

    [Fact]
    public async Task Cluster_without_pods_is_unhealthy_and_suspended_is_unknown()
    {
        var fake = new FakeRayCluster();
        fake.RayClusters.Add(RayCluster("empty", state: null));
        fake.RayClusters.Add(RayCluster("paused", state: "suspended", suspend: true));
        var reports = await CheckAll(fake, Request(o => o.Names = new[] { "empty", "paused" }));

        var empty = Assert.Single(reports, r => r.ClusterName == "empty");
        Assert.Equal(RayHealthStatus.Unhealthy, empty.Summary!.Status);
        Assert.StartsWith("no pods exist for the RayCluster (state: not set)", empty.Summary.Reason);
        var paused = Assert.Single(reports, r => r.ClusterName == "paused");
        Assert.Equal(RayHealthStatus.Unknown, paused.Summary!.Status);
        Assert.Contains("/api/v1/namespaces/default/pods?labelSelector=ray.io/cluster in (empty,paused)", fake.Requests);
    }

    [Fact]
    public async Task All_clusters_of_all_namespaces()
    {
        var fake = HealthyCluster(1);
        fake.Pods.Add(Head("other-head-abc", "10.9.0.1").Namespace("team-b").Labels(("ray.io/cluster", "other")));
        fake.Pods.Add(Head("ray-cluster-head-zzz", "10.9.0.2").Namespace("team-a"));
        var reports = await CheckAll(fake, Request(o => { o.Names = null; o.AllNamespaces = true; }));

        Assert.Equal(new[] { "default/ray-cluster", "team-a/ray-cluster", "team-b/other" }, reports.Select(r => $"{r.Namespace}/{r.ClusterName}"));
        Assert.Contains("/api/v1/pods?labelSelector=ray.io/cluster", fake.Requests);
        Assert.Contains("/apis/ray.io/v1/rayclusters", fake.Requests);
        Assert.Single(fake.RequestsMatching("/namespaces/team-b/services/other-head-svc:dashboard/proxy/api/gcs_healthz"));
    }

    [Fact]
    public async Task Invalid_names_fail_before_any_request()
    {
        var fake = new FakeRayCluster();
        var report = await Check(fake, Request(o => o.Names = new[] { "bad name" }));
        Assert.Equal(ErrorIds.InvalidClusterName, report.Failure!.ErrorId);
        Assert.Empty(fake.Requests);
    }

    [Fact]
    public async Task Token_protected_dashboard_leaves_ray_state_unknown_with_a_warning()
    {
        var fake = HealthyCluster(1);
        fake.Nodes = new Reply(401, "Unauthorized: Missing authentication token", ContentType: "text/plain");
        var report = await Check(fake);
        Assert.All(report.Nodes, n => Assert.Equal(RayHealthStatus.Healthy, n.Status));
        Assert.All(report.Nodes, n => Assert.Equal("Unknown", n.RayNodeState));
        var warning = Assert.Single(report.Warnings);
        Assert.Contains("token authentication", warning);
    }

    [Fact]
    public async Task Falls_back_to_the_node_summary_when_the_state_api_is_missing()
    {
        var fake = new FakeRayCluster();
        fake.Pods.Add(Head().Created(DateTimeOffset.FromUnixTimeMilliseconds(1748779000000)));
        fake.Nodes = new Reply(404, "404: Not Found", ContentType: "text/plain");
        fake.NodeSummary = new Reply(200, RayParserTests.NodeSummarySample, ContentType: "application/json");
        var report = await Check(fake);
        var head = Assert.Single(report.Nodes);
        Assert.Equal("ALIVE", head.RayNodeState);
        Assert.Equal(8, head.Cpu);
        Assert.Equal(4294967296L, head.ObjectStoreMemory);
        Assert.Single(fake.RequestsMatching("/proxy/nodes?view=summary"));
    }

    [Fact]
    public async Task Progress_reaches_the_total()
    {
        var fake = HealthyCluster(5);
        var seen = new System.Collections.Concurrent.ConcurrentBag<(int Done, int Total)>();
        var request = new NodeHealthRequest { Namespace = Ns, ClusterNames = new[] { Cluster }, Clock = () => Now, Progress = (d, t) => seen.Add((d, t)) };
        await Check(fake, request);
        Assert.Contains((8, 8), seen);
    }
}

internal static class FakeExtensions
{
    public static FakeRayCluster With(this FakeRayCluster fake, Action<FakeRayCluster> change)
    {
        change(fake);
        return fake;
    }
}
