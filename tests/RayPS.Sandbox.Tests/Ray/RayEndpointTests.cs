using System.Text;
using System.Text.Json;
using RayPS.Sandbox.Cluster;
using RayPS.Sandbox.Ray;
using RayPS.Sandbox.Tests.Cluster;

namespace RayPS.Sandbox.Tests.Ray;

public class RayEndpointTests
{
    private static readonly DateTimeOffset T0 = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private sealed class World
    {
        public ManualTime Time { get; } = new(T0);
        public ClusterSimulationOptions Options { get; } = new() { JobStartDelay = TimeSpan.FromMilliseconds(100), JobRunTime = TimeSpan.FromMilliseconds(300) };
        public RayRegistry Registry { get; }
        public RayClusterSpec Cluster { get; }
        private int _ip = 10;

        public World(JsonObject? cluster = null)
        {
            Registry = new RayRegistry(Time, Options);
            Cluster = new RayClusterSpec(cluster ?? TestClusters.Npu());
        }

        public JsonObject StartHead(string name = "ray-cluster-head-abcde") => Start(KubeRayBuilder.BuildHeadPod(Cluster), name);

        public JsonObject StartWorker(string name) => Start(KubeRayBuilder.BuildWorkerPod(Cluster, Cluster.Groups[0]), name);

        public JsonObject Start(JsonObject built, string name)
        {
            var pod = TestClusters.Stored(built, name, "Running", true, "10.244.0." + _ip++);
            var container = TestClusters.Container(pod);
            var parsed = RayStartCommand.Parse(RayStartCommand.ContainerCommandLine(container))!;
            Registry.ProcessStarted(new RayProcessStart(Cluster.Namespace, name, JsonNodes.StringAt(pod, "metadata", "uid")!,
                JsonNodes.StringAt(pod, "status", "podIP")!, "ray", parsed, container, pod));
            return pod;
        }

        public async Task<RayResponse> Get(string pod, int port, string target, Dictionary<string, string>? headers = null)
        {
            var endpoint = Registry.Endpoint(Cluster.Namespace, pod, port) ?? throw new InvalidOperationException("nothing listens on " + port);
            return await endpoint.HandleAsync(new RayRequest("GET", target, headers), CancellationToken.None);
        }

        public async Task<RayResponse> Send(string pod, string method, string target, string? body = null, Dictionary<string, string>? headers = null) =>
            await Registry.Endpoint(Cluster.Namespace, pod, 8265)!.HandleAsync(
                new RayRequest(method, target, headers, body is null ? null : Encoding.UTF8.GetBytes(body)), CancellationToken.None);
    }

    private const string Head = "ray-cluster-head-abcde";

    private static JsonNode Json(RayResponse r) => JsonNode.Parse(r.Body)!;

    [Fact]
    public async Task LogApiListsAndReadsEachNodesSessionFiles()
    {
        var w = new World();
        var head = w.StartHead();
        var worker = w.StartWorker("ray-cluster-npu-worker-x1");
        var workerIp = JsonNodes.StringAt(worker, "status", "podIP")!;
        var nodeId = Json(await w.Get(Head, 8265, "/api/v0/nodes?filter_keys=node_ip&filter_predicates=%3D&filter_values=" + workerIp))["data"]!["result"]!["result"]![0]!["node_id"]!.GetValue<string>();

        var list = Json(await w.Get(Head, 8265, "/api/v0/logs?node_id=" + nodeId));
        Assert.True(list["result"]!.GetValue<bool>());
        var result = list["data"]!["result"]!.AsObject();
        Assert.Equal(["raylet.err", "raylet.out"], result["raylet"]!.AsArray().Select(f => f!.GetValue<string>()));
        Assert.Contains("events/", result["internal"]!.AsArray().Select(f => f!.GetValue<string>()));
        Assert.False(result.ContainsKey("gcs_server"));
        var headFiles = Json(await w.Get(Head, 8265, "/api/v0/logs?node_ip=" + JsonNodes.StringAt(head, "status", "podIP") + "&glob=gcs*"))["data"]!["result"]!.AsObject();
        Assert.Equal(["gcs_server"], headFiles.Select(p => p.Key));

        var raylet = await w.Get(Head, 8265, $"/api/v0/logs/file?node_id={nodeId}&filename=raylet.out&lines=2&format=text");
        Assert.Equal(200, raylet.Status);
        var lines = raylet.BodyText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Matches(@"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} I \d+ \d+\] \(raylet\) ", lines[0]);
        Assert.StartsWith("1[", (await w.Get(Head, 8265, $"/api/v0/logs/file?node_id={nodeId}&filename=raylet.out")).BodyText);

        // Errors come with 200 and the error in the body, in either format.
        var missing = await w.Get(Head, 8265, $"/api/v0/logs/file?node_id={nodeId}&filename=gcs_server.out&format=text");
        Assert.Equal(200, missing.Status);
        Assert.StartsWith("[get_logs] Fetch log error: A file is not found at: /tmp/ray/session_", missing.BodyText);
        Assert.StartsWith("0Closing HTTP stream due to internal server error.\n", (await w.Get(Head, 8265, $"/api/v0/logs/file?node_id={nodeId}&filename=nope.log")).BodyText);
        var noNode = Json(await w.Get(Head, 8265, "/api/v0/logs"));
        Assert.False(noNode["result"]!.GetValue<bool>());
        Assert.Equal("Both node id and node ip are not provided. Please provide at least one of them.", noNode["msg"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("a\nb\nc\n", 2, "b\nc\n")]
    [InlineData("a\nb\nc", 2, "b\nc")]
    [InlineData("a\nb\n", 5, "a\nb\n")]
    [InlineData("a\nb\n", -1, "a\nb\n")]
    public void LogTailCutsWholeLines(string text, int lines, string expected) => Assert.Equal(expected, RaySessionLogs.Tail(text, lines));

    [Fact]
    public async Task HealthEndpointsAnswerLikeRay()
    {
        var w = new World();
        w.StartHead();
        w.StartWorker("w1");
        var gcs = await w.Get(Head, 8265, "/api/gcs_healthz");
        Assert.Equal(200, gcs.Status);
        Assert.Equal("success", gcs.BodyText);
        Assert.Equal("application/text; charset=utf-8", gcs.ContentType);
        var raylet = await w.Get("w1", 52365, "/api/local_raylet_healthz");
        Assert.Equal("success", raylet.BodyText);
        // /api/healthz arrived with Ray 2.53.
        Assert.Equal(404, (await w.Get("w1", 52365, "/api/healthz")).Status);
        Assert.Equal("404: Not Found", (await w.Get("w1", 52365, "/nope")).BodyText);
        Assert.Null(w.Registry.Endpoint("kube-system", "w1", 8265));
        Assert.NotNull(w.Registry.Endpoint("kube-system", "w1", 8080));
    }

    [Fact]
    public async Task RayletFaultsAndHeadDown()
    {
        var w = new World();
        w.StartHead();
        var worker = w.StartWorker("w1");
        JsonNodes.EnsureObject((JsonObject)worker["metadata"]!, "annotations")["sandbox.rayps.io/raylet-healthy"] = "false";
        w.Registry.PodUpdated(worker);
        var r = await w.Get("w1", 52365, "/api/local_raylet_healthz");
        Assert.Equal(503, r.Status);
        Assert.Equal("Local Raylet failed", r.Reason);
        Assert.Equal("503: Local Raylet failed", r.BodyText);

        // GCS unreachable: the raylet check deliberately reports success.
        var headUid = w.Registry.Find("kube-system", "ray-cluster")!.Head!.PodUid;
        w.Registry.ProcessStopped(headUid, expected: true, null);
        Assert.False(w.Registry.Find("kube-system", "ray-cluster")!.GcsUp);
        Assert.Equal(200, (await w.Get("w1", 52365, "/api/local_raylet_healthz")).Status);
        Assert.Null(w.Registry.Endpoint("kube-system", Head, 8265));
        Assert.False(w.Registry.IsGcsReady("kube-system", "ray-cluster-head-svc.kube-system.svc.cluster.local:6379"));
    }

    [Fact]
    public async Task UnifiedHealthzOnNewerRay()
    {
        var raw = TestClusters.Npu();
        foreach (var c in new[] { raw["spec"]!["headGroupSpec"]!["template"]!["spec"]!["containers"]![0]!, TestClusters.Group(raw)["template"]!["spec"]!["containers"]![0]! })
        {
            c["image"] = "rayproject/ray:2.53.0";
        }
        var w = new World(raw);
        w.StartHead();
        var worker = w.StartWorker("w1");
        Assert.Equal("raylet: success\ngcs: success", (await w.Get(Head, 52365, "/api/healthz")).BodyText);
        var labels = Json(await w.Get(Head, 8265, "/nodes?view=summary"))["data"]!["summary"]![0]!["raylet"]!["labels"]!;
        Assert.Equal("headgroup", labels["ray.io/node-group"]!.GetValue<string>());
        Assert.Equal("raylet: success\ngcs: success (no local gcs)", (await w.Get("w1", 52365, "/api/healthz")).BodyText);
        JsonNodes.EnsureObject((JsonObject)worker["metadata"]!, "annotations")["sandbox.rayps.io/raylet-healthy"] = "false";
        w.Registry.PodUpdated(worker);
        var r = await w.Get("w1", 52365, "/api/healthz");
        Assert.Equal(503, r.Status);
        Assert.Equal("raylet: Local Raylet failed\ngcs: success (no local gcs)", r.BodyText);
    }

    [Fact]
    public async Task NodeSummaryIsCamelCasedWithRayletRecords()
    {
        var w = new World();
        w.StartHead();
        w.StartWorker("w1");
        var r = await w.Get(Head, 8265, "/nodes?view=summary");
        Assert.Equal("application/json; charset=utf-8", r.ContentType);
        Assert.Contains("\"result\": true, \"msg\": \"Node summary fetched.\"", r.BodyText);
        var data = Json(r)["data"]!;
        var summary = (JsonArray)data["summary"]!;
        Assert.Equal(2, summary.Count);
        var head = summary.Single(e => e!["raylet"]!["isHeadNode"]!.GetValue<bool>())!;
        var raylet = head["raylet"]!;
        Assert.Equal(56, raylet["nodeId"]!.GetValue<string>().Length);
        Assert.Equal("ALIVE", raylet["state"]!.GetValue<string>());
        Assert.Equal("0", raylet["endTimeMs"]!.GetValue<string>());
        Assert.Equal(JsonValueKind.String, raylet["startTimeMs"]!.GetValueKind());
        Assert.Equal(JsonValueKind.Number, raylet["nodeManagerPort"]!.GetValueKind());
        var resources = (JsonObject)raylet["resourcesTotal"]!;
        Assert.Equal(1.0, resources["node:InternalHead"]!.GetValue<double>());
        Assert.True(resources.ContainsKey("objectStoreMemory"));
        Assert.False(resources.ContainsKey("CPU")); // num-cpus: "0" drops the key
        Assert.Equal(8589934592.0, resources["memory"]!.GetValue<double>());
        Assert.Contains("\"memory\": 8589934592.0", r.BodyText);
        // Default labels beyond ray.io/node-id arrived in Ray 2.49; this cluster runs 2.48.
        Assert.Equal(["ray.io/node-id"], raylet["labels"]!.AsObject().Select(kv => kv.Key));
        Assert.Equal(Head, head["hostname"]!.GetValue<string>());
        var worker = summary.Single(e => !e!["raylet"]!["isHeadNode"]!.GetValue<bool>())!["raylet"]!;
        Assert.Equal(1.0, worker["resourcesTotal"]!["NPU"]!.GetValue<double>());
        Assert.Equal(2.0, worker["resourcesTotal"]!["GPU"]!.GetValue<double>());
        Assert.Equal(12.0, worker["resourcesTotal"]!["CPU"]!.GetValue<double>());
        var logical = (JsonObject)data["nodeLogicalResources"]!;
        Assert.Contains("0.0/12.0 CPU", logical[worker["nodeId"]!.GetValue<string>()]!.GetValue<string>());

        var missing = await w.Get(Head, 8265, "/nodes");
        Assert.Equal(500, missing.Status);
        Assert.Equal("{\"result\": false, \"msg\": \"Unknown view None\", \"data\": {}}", missing.BodyText);
        var hosts = Json(await w.Get(Head, 8265, "/nodes?view=hostnamelist"))["data"]!["hostNameList"]!.AsArray();
        Assert.Equal(2, hosts.Count);
    }

    [Fact]
    public async Task DeadNodesStayListed()
    {
        var w = new World();
        w.StartHead();
        var worker = w.StartWorker("w1");
        var uid = JsonNodes.StringAt(worker, "metadata", "uid")!;
        w.Time.Advance(TimeSpan.FromSeconds(5));
        w.Registry.ProcessStopped(uid, expected: false, "OOMKilled");
        var rows = Json(await w.Get(Head, 8265, "/api/v0/nodes?detail=true"))["data"]!["result"]!;
        Assert.Equal(2, rows["total"]!.GetValue<int>());
        var dead = rows["result"]!.AsArray().Single(n => n!["state"]!.GetValue<string>() == "DEAD")!;
        Assert.StartsWith("Unexpected termination: The node with node id:", dead["state_message"]!.GetValue<string>());
        Assert.Equal(T0.AddSeconds(5).ToUnixTimeMilliseconds(), dead["end_time_ms"]!.GetValue<long>());
        Assert.True(dead["resources_total"]!.AsObject().ContainsKey("object_store_memory"));

        var summary = Json(await w.Get(Head, 8265, "/nodes?view=summary"))["data"]!["summary"]!.AsArray();
        var deadEntry = summary.Single(e => e!["raylet"]!["state"]!.GetValue<string>() == "DEAD")!.AsObject();
        Assert.Equal(["raylet"], deadEntry.Select(kv => kv.Key));
        Assert.Equal("UNEXPECTED_TERMINATION", deadEntry["raylet"]!["deathInfo"]!["reason"]!.GetValue<string>());

        // A restarted pod registers a new node id.
        w.Registry.ProcessStarted(new RayProcessStart("kube-system", "w1", uid, "10.244.0.99", "ray",
            RayStartCommand.Parse(RayStartCommand.ContainerCommandLine(TestClusters.Container(worker)))!, TestClusters.Container(worker), worker));
        Assert.Equal(3, w.Registry.Find("kube-system", "ray-cluster")!.Nodes.Count);
    }

    [Fact]
    public async Task StateApiFiltersLimitsAndRejectsBadInput()
    {
        var w = new World();
        w.StartHead();
        w.StartWorker("w1");
        w.StartWorker("w2");
        var body = Json(await w.Get(Head, 8265, "/api/v0/nodes?limit=1"));
        Assert.Equal("", body["msg"]!.GetValue<string>());
        var list = body["data"]!["result"]!;
        Assert.Equal(3, list["total"]!.GetValue<int>());
        Assert.Single(list["result"]!.AsArray());
        Assert.False(list["result"]![0]!.AsObject().ContainsKey("start_time_ms"));
        Assert.Equal(JsonValueKind.Null, list["warnings"]?.GetValueKind() ?? JsonValueKind.Null);

        var heads = Json(await w.Get(Head, 8265, "/api/v0/nodes?filter_keys=is_head_node&filter_predicates=%3D&filter_values=True"))["data"]!["result"]!;
        Assert.Equal(1, heads["num_filtered"]!.GetValue<int>());
        Assert.True(heads["result"]![0]!["is_head_node"]!.GetValue<bool>());
        Assert.True(heads["result"]![0]!["resources_total"]!.AsObject().ContainsKey("node:__internal_head__"));

        var tooMany = await w.Get(Head, 8265, "/api/v0/nodes?limit=20000");
        Assert.Equal(500, tooMany.Status);
        Assert.Contains("exceeds the supported limit 10000", Json(tooMany)["msg"]!.GetValue<string>());
        Assert.False(Json(tooMany)["result"]!.GetValue<bool>());
        Assert.Equal(500, (await w.Get(Head, 8265, "/api/v0/nodes?filter_keys=bogus&filter_predicates=%3D&filter_values=1")).Status);
    }

    [Fact]
    public async Task VersionAndClusterStatus()
    {
        var w = new World();
        w.StartHead();
        w.StartWorker("w1");
        var version = Json(await w.Get(Head, 8265, "/api/version"));
        Assert.Equal("4", version["version"]!.GetValue<string>());
        Assert.Equal("2.48.0", version["ray_version"]!.GetValue<string>());
        Assert.Equal(40, version["ray_commit"]!.GetValue<string>().Length);
        Assert.StartsWith("session_2025-06-01_12-00-00_", version["session_name"]!.GetValue<string>());

        var status = Json(await w.Get(Head, 8265, "/api/cluster_status"));
        Assert.Equal("Got cluster status.", status["msg"]!.GetValue<string>());
        var usage = status["data"]!["clusterStatus"]!["loadMetricsReport"]!["usage"]!;
        Assert.Equal(12.0, usage["CPU"]![1]!.GetValue<double>());
        Assert.True(usage.AsObject().ContainsKey("objectStoreMemory"));
        Assert.Null(status["data"]!["autoscalingStatus"]);

        var text = Json(await w.Get(Head, 8265, "/api/cluster_status?format=1"))["data"]!["clusterStatus"]!.GetValue<string>();
        Assert.Contains("Active:\n 1 headgroup\n 1 workergroup\n", text);
        Assert.Contains(" 0.0/12.0 CPU\n", text);
        Assert.Contains(" 0.0/1.0 NPU\n", text);
        Assert.Contains(" 0B/48.00GiB memory\n", text);
    }

    [Fact]
    public async Task JobsRunThroughTheirLifecycle()
    {
        var w = new World();
        w.StartHead();
        Assert.Equal("[]", (await w.Send(Head, "GET", "/api/jobs/")).BodyText);
        var submit = await w.Send(Head, "POST", "/api/jobs/", "{\"entrypoint\": \"python -c \\\"print('hello')\\\"\", \"submission_id\": \"job-1\", \"runtime_env\": null}");
        Assert.Equal(200, submit.Status);
        Assert.Equal("{\"job_id\": \"job-1\", \"submission_id\": \"job-1\"}", submit.BodyText);

        var job = Json(await w.Send(Head, "GET", "/api/jobs/job-1"));
        Assert.Equal("PENDING", job["status"]!.GetValue<string>());
        Assert.Null(job["job_id"]);
        Assert.Equal("Job has not started yet.", job["message"]!.GetValue<string>());
        Assert.Equal(15, job.AsObject().Count);
        Assert.Equal("{\"logs\": \"\"}", (await w.Send(Head, "GET", "/api/jobs/job-1/logs")).BodyText);

        w.Time.Advance(TimeSpan.FromMilliseconds(150));
        job = Json(await w.Send(Head, "GET", "/api/jobs/job-1"));
        Assert.Equal("RUNNING", job["status"]!.GetValue<string>());
        Assert.Equal("01000000", job["job_id"]!.GetValue<string>());
        Assert.Equal(JsonValueKind.String, job["driver_info"]!["pid"]!.GetValueKind());
        Assert.StartsWith("http://10.244.0.", job["driver_agent_http_address"]!.GetValue<string>());
        Assert.Equal(job, Json(await w.Send(Head, "GET", "/api/jobs/01000000")), JsonNode.DeepEquals);

        var delete = await w.Send(Head, "DELETE", "/api/jobs/job-1");
        Assert.Equal(500, delete.Status);
        Assert.Contains("Attempted to delete job 'job-1', but it is in a non-terminal state RUNNING.", delete.BodyText);

        w.Time.Advance(TimeSpan.FromMilliseconds(400));
        job = Json(await w.Send(Head, "GET", "/api/jobs/job-1"));
        Assert.Equal("SUCCEEDED", job["status"]!.GetValue<string>());
        Assert.Equal("Job finished successfully.", job["message"]!.GetValue<string>());
        Assert.Equal(0, job["driver_exit_code"]!.GetValue<int>());
        Assert.Contains("hello\n", Json(await w.Send(Head, "GET", "/api/jobs/job-1/logs"))["logs"]!.GetValue<string>());
        Assert.Equal("{\"stopped\": false}", (await w.Send(Head, "POST", "/api/jobs/job-1/stop")).BodyText);
        Assert.Equal("{\"deleted\": true}", (await w.Send(Head, "DELETE", "/api/jobs/job-1")).BodyText);
        var gone = await w.Send(Head, "GET", "/api/jobs/job-1");
        Assert.Equal(404, gone.Status);
        Assert.Equal("Job job-1 does not exist", gone.BodyText);
    }

    [Fact]
    public async Task JobSubmissionErrorsAreTracebacks()
    {
        var w = new World();
        w.StartHead();
        var dup = "{\"entrypoint\": \"echo hi\", \"submission_id\": \"same\"}";
        Assert.Equal(200, (await w.Send(Head, "POST", "/api/jobs/", dup)).Status);
        var again = await w.Send(Head, "POST", "/api/jobs/", dup);
        Assert.Equal(500, again.Status);
        Assert.Contains("Please use a different submission_id", again.BodyText);
        Assert.StartsWith("Traceback (most recent call last):", again.BodyText);

        var unknown = await w.Send(Head, "POST", "/api/jobs/", "{\"entrypoint\": \"x\", \"bogus\": 1}");
        Assert.Equal(400, unknown.Status);
        Assert.EndsWith("TypeError: JobSubmitRequest.__init__() got an unexpected keyword argument 'bogus'", unknown.BodyText);
        var badType = await w.Send(Head, "POST", "/api/jobs/", "{\"entrypoint\": 5}");
        Assert.EndsWith("TypeError: entrypoint must be a string, got <class 'int'>", badType.BodyText);
        var badMemory = await w.Send(Head, "POST", "/api/jobs/", "{\"entrypoint\": \"x\", \"entrypoint_memory\": 1.5}");
        Assert.EndsWith("TypeError: entrypoint_memory must be an integer, got <class 'float'>", badMemory.BodyText);
        var generated = Json(await w.Send(Head, "POST", "/api/jobs/", "{\"entrypoint\": \"echo x\"}"))["submission_id"]!.GetValue<string>();
        Assert.Matches("^raysubmit_[a-km-zA-HJ-NP-Z1-9]{16}$", generated);

        var browser = await w.Send(Head, "POST", "/api/jobs/", dup, new Dictionary<string, string> { ["User-Agent"] = "Mozilla/5.0" });
        Assert.Equal(405, browser.Status);
        Assert.Equal("Method Not Allowed for browser traffic.", browser.BodyText);
        Assert.Equal(404, (await w.Send(Head, "GET", "/api/jobs")).Status);
    }

    [Fact]
    public async Task JobsWaitForResourcesAndFailOnExitCodes()
    {
        var w = new World();
        w.StartHead();
        await w.Send(Head, "POST", "/api/jobs/", "{\"entrypoint\": \"python train.py\", \"submission_id\": \"npu\", \"entrypoint_resources\": {\"NPU\": 1}}");
        await w.Send(Head, "POST", "/api/jobs/", "{\"entrypoint\": \"python -c 'import sys; sys.exit(3)'\", \"submission_id\": \"bad\"}");
        w.Time.Advance(TimeSpan.FromMilliseconds(200));
        Assert.Equal("PENDING", Json(await w.Send(Head, "GET", "/api/jobs/npu"))["status"]!.GetValue<string>());
        w.StartWorker("w1");
        var npu = Json(await w.Send(Head, "GET", "/api/jobs/npu"));
        Assert.Equal("RUNNING", npu["status"]!.GetValue<string>());
        Assert.Equal("10.244.0.11", npu["driver_info"]!["node_ip_address"]!.GetValue<string>());
        var text = Json(await w.Get(Head, 8265, "/api/cluster_status?format=1"))["data"]!["clusterStatus"]!.GetValue<string>();
        Assert.Contains(" 1.0/1.0 NPU\n", text);

        w.Time.Advance(TimeSpan.FromSeconds(1));
        var bad = Json(await w.Send(Head, "GET", "/api/jobs/bad"));
        Assert.Equal("FAILED", bad["status"]!.GetValue<string>());
        Assert.Equal(3, bad["driver_exit_code"]!.GetValue<int>());
        Assert.StartsWith("Job entrypoint command failed with exit code 3", bad["message"]!.GetValue<string>());
        Assert.Equal("JOB_ENTRYPOINT_COMMAND_ERROR", bad["error_type"]!.GetValue<string>());

        await w.Send(Head, "POST", "/api/jobs/", "{\"entrypoint\": \"sleep 1000\", \"submission_id\": \"long\"}");
        w.Time.Advance(TimeSpan.FromMilliseconds(200));
        Assert.Equal("{\"stopped\": true}", (await w.Send(Head, "POST", "/api/jobs/long/stop")).BodyText);
        Assert.Equal("STOPPED", Json(await w.Send(Head, "GET", "/api/jobs/long"))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task TokenAuthOnNewerRay()
    {
        var raw = TestClusters.Npu();
        var head = raw["spec"]!["headGroupSpec"]!["template"]!["spec"]!["containers"]![0]!;
        head["image"] = "rayproject/ray:2.52.0";
        head["env"] = new JsonArray(new JsonObject { ["name"] = "RAY_AUTH_MODE", ["value"] = "token" }, new JsonObject { ["name"] = "RAY_AUTH_TOKEN", ["value"] = "s3cret" });
        var w = new World(raw);
        w.StartHead();
        Assert.Equal(200, (await w.Get(Head, 8265, "/api/gcs_healthz")).Status);
        var missing = await w.Get(Head, 8265, "/api/version");
        Assert.Equal(401, missing.Status);
        Assert.Equal("Unauthorized: Missing authentication token", missing.BodyText);
        Assert.Equal(403, (await w.Get(Head, 8265, "/api/version", new() { ["Authorization"] = "Bearer kube-token", ["X-Ray-Authorization"] = "Bearer s3cret" })).Status);
        Assert.Equal(200, (await w.Get(Head, 8265, "/api/version", new() { ["X-Ray-Authorization"] = "Bearer s3cret" })).Status);
        Assert.Equal("{\"authentication_mode\": \"token\"}", (await w.Get(Head, 8265, "/api/authentication_mode")).BodyText);
    }

    [Fact]
    public async Task AgentLatencyAndBlob()
    {
        var w = new World();
        w.StartHead();
        var worker = w.StartWorker("w1");
        JsonNodes.EnsureObject((JsonObject)worker["metadata"]!, "annotations")["sandbox.rayps.io/probe-latency-ms"] = "120";
        w.Registry.PodUpdated(worker);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        await w.Get("w1", 52365, "/api/local_raylet_healthz");
        Assert.True(sw.ElapsedMilliseconds >= 100);

        var blob = await w.Get(Head, 8265, "/api/sandbox/blob?bytes=200000");
        Assert.Equal(200000, blob.ContentLength);
        using var ms = new MemoryStream();
        await blob.StreamBody!(ms, CancellationToken.None);
        Assert.Equal(200000, ms.Length);
        Assert.Equal(400, (await w.Get(Head, 8265, "/api/sandbox/blob?bytes=-1")).Status);
        var index = await w.Get(Head, 8265, "/");
        Assert.Equal("text/html", index.ContentType);
        Assert.Contains("<title>Ray Dashboard</title>", index.BodyText);
    }

    [Fact]
    public void AddressesResolveToClusters()
    {
        var w = new World();
        Assert.Equal(("kube-system", "ray-cluster"), w.Registry.ResolveAddress("default", "ray-cluster-head-svc.kube-system.svc.cluster.local:6379"));
        Assert.Equal(("default", "ray-cluster"), w.Registry.ResolveAddress("default", "ray-cluster-head-svc:6379"));
        w.Registry.ServiceResolver = (ns, svc) => svc == "custom" ? "other" : null;
        Assert.Equal(("ns2", "other"), w.Registry.ResolveAddress("default", "custom.ns2:6379"));
    }

    private static byte[] Zip(params (string Name, string Text)[] files)
    {
        using var buffer = new MemoryStream();
        using (var zip = new System.IO.Compression.ZipArchive(buffer, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, text) in files)
            {
                using var writer = new StreamWriter(zip.CreateEntry(name).Open());
                writer.Write(text);
            }
        }
        return buffer.ToArray();
    }

    private static async Task<RayResponse> Put(World w, string target, byte[] body) =>
        await w.Registry.Endpoint(w.Cluster.Namespace, Head, 8265)!.HandleAsync(new RayRequest("PUT", target, null, body), CancellationToken.None);

    [Fact]
    public async Task PackagesAreStoredOnceAndJobsRunTheScriptTheyHold()
    {
        var w = new World();
        w.StartHead();
        const string Package = "/api/packages/gcs/_ray_pkg_00112233aabbccdd.zip";
        var missing = await w.Send(Head, "GET", Package);
        Assert.Equal(404, missing.Status);
        Assert.Equal("Package gcs://_ray_pkg_00112233aabbccdd.zip does not exist", missing.BodyText);

        var zip = Zip(("train.py", "import time\nprint('epoch 1')\ntime.sleep(10)\nprint('epoch 2')\n"));
        Assert.Equal(200, (await Put(w, Package, zip)).Status);
        Assert.Equal(200, (await w.Send(Head, "GET", Package)).Status);
        Assert.Equal(405, (await w.Send(Head, "POST", Package)).Status);

        var submit = await w.Send(Head, "POST", "/api/jobs/",
            "{\"entrypoint\": \"python train.py\", \"submission_id\": \"wd\", \"runtime_env\": {\"working_dir\": \"gcs://_ray_pkg_00112233aabbccdd.zip\"}}");
        Assert.Equal(200, submit.Status);
        w.Time.Advance(TimeSpan.FromMilliseconds(150));
        Assert.Equal("RUNNING", Json(await w.Send(Head, "GET", "/api/jobs/wd"))["status"]!.GetValue<string>());
        var early = Json(await w.Send(Head, "GET", "/api/jobs/wd/logs"))["logs"]!.GetValue<string>();
        Assert.Contains("epoch 1\n", early);
        Assert.DoesNotContain("epoch 2", early);

        // time.sleep(10) is 10 simulated seconds (100 ms): the second line comes, then the job ends.
        w.Time.Advance(TimeSpan.FromMilliseconds(120));
        var done = Json(await w.Send(Head, "GET", "/api/jobs/wd"));
        Assert.Equal("SUCCEEDED", done["status"]!.GetValue<string>());
        Assert.EndsWith("epoch 1\nepoch 2\n", Json(await w.Send(Head, "GET", "/api/jobs/wd/logs"))["logs"]!.GetValue<string>());
    }

    [Fact]
    public async Task AWorkingDirNeverUploadedFailsTheJobAtStart()
    {
        var w = new World();
        w.StartHead();
        await w.Send(Head, "POST", "/api/jobs/", "{\"entrypoint\": \"python x.py\", \"submission_id\": \"nopkg\", \"runtime_env\": {\"working_dir\": \"gcs://_ray_pkg_ffffffffffffffff.zip\"}}");
        w.Time.Advance(TimeSpan.FromMilliseconds(150));
        var job = Json(await w.Send(Head, "GET", "/api/jobs/nopkg"));
        Assert.Equal("FAILED", job["status"]!.GetValue<string>());
        Assert.Equal("RUNTIME_ENV_SETUP_FAILURE", job["error_type"]!.GetValue<string>());
        Assert.Contains("gcs://_ray_pkg_ffffffffffffffff.zip", job["message"]!.GetValue<string>());
        Assert.Null(job["driver_agent_http_address"]);
    }

    [Fact]
    public async Task APackageOverTheLimitIsRefusedWithRaysValueError()
    {
        var w = new World();
        w.Options.PackageMaxBytes = 100;
        w.StartHead();
        var put = await Put(w, "/api/packages/gcs/_ray_pkg_0000000000000000.zip", new byte[100]);
        Assert.Equal(500, put.Status);
        Assert.Contains("ValueError: Package size (0.00MiB) exceeds the maximum size of 0.00MiB.", put.BodyText);
        Assert.Equal(404, (await w.Send(Head, "GET", "/api/packages/gcs/_ray_pkg_0000000000000000.zip")).Status);
    }

    [Fact]
    public async Task EnvVarsThatAreNotTextAreRaysBadRequest()
    {
        var w = new World();
        w.StartHead();
        var bad = await w.Send(Head, "POST", "/api/jobs/", "{\"entrypoint\": \"echo x\", \"runtime_env\": {\"env_vars\": {\"A\": 1}}}");
        Assert.Equal(400, bad.Status);
        Assert.EndsWith("TypeError: runtime_env['env_vars'] must be of type Dict[str, str], but the value corresponding to key A is of type <class 'int'>", bad.BodyText);
    }

    [Fact]
    public async Task LogLinesAfterASleepComeWhenTheirTimeComes()
    {
        var w = new World();
        w.StartHead();
        await w.Send(Head, "POST", "/api/jobs/", "{\"entrypoint\": \"echo a; sleep 10; echo b; exit 2\", \"submission_id\": \"grow\"}");
        w.Time.Advance(TimeSpan.FromMilliseconds(150));
        Assert.Equal("a\n", Json(await w.Send(Head, "GET", "/api/jobs/grow/logs"))["logs"]!.GetValue<string>());
        w.Time.Advance(TimeSpan.FromMilliseconds(100));
        var job = Json(await w.Send(Head, "GET", "/api/jobs/grow"));
        Assert.Equal("FAILED", job["status"]!.GetValue<string>());
        Assert.Equal(2, job["driver_exit_code"]!.GetValue<int>());
        Assert.Equal("a\nb\n", Json(await w.Send(Head, "GET", "/api/jobs/grow/logs"))["logs"]!.GetValue<string>());
    }
}
