using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using RayPS.Client.Tests.Support;
using RayPS.Errors;
using RayPS.Manifests;
using RayPS.Operations;

namespace RayPS.Client.Tests.Operations;

public sealed class RayClusterLifecycleTests
{
    private static JsonObject Manifest() =>
        RayClusterManifestBuilder.Build(new RayClusterOptions { Name = "c", HeadCpu = "1", WorkerGroups = { new WorkerGroupOptions { Image = "rayproject/ray:2.46.0", Replicas = 2 } } });

    private static string Cluster(string rv, string? state = null, int readyWorkers = 0, bool headReady = false) =>
        new JsonObject
        {
            ["apiVersion"] = "ray.io/v1",
            ["kind"] = "RayCluster",
            ["metadata"] = new JsonObject { ["name"] = "c", ["namespace"] = "ns", ["resourceVersion"] = rv },
            ["spec"] = Manifest()["spec"]!.DeepClone(),
            ["status"] = new JsonObject
            {
                ["state"] = state,
                ["desiredWorkerReplicas"] = 2,
                ["readyWorkerReplicas"] = readyWorkers,
                ["conditions"] = new JsonArray(new JsonObject { ["type"] = "HeadPodReady", ["status"] = headReady ? "True" : "False" }),
            },
        }.ToJsonString();

    private static string Event(string type, string obj) => $"{{\"type\":\"{type}\",\"object\":{obj}}}\n";

    private static HttpResponseMessage Stream(string lines) => new(HttpStatusCode.OK)
    {
        Content = new StringContent(lines, Encoding.UTF8, "application/json"),
    };

    private static HttpResponseMessage Hanging() => new(HttpStatusCode.OK) { Content = new StreamContent(new HangingStream()) };

    private static string Status(int code, string reason, string message, string? kind = null, string? name = null) =>
        new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["status"] = "Failure",
            ["message"] = message,
            ["reason"] = reason,
            ["details"] = new JsonObject { ["name"] = name, ["kind"] = kind },
            ["code"] = code,
        }.ToJsonString();

    [Fact]
    public async Task Create_posts_once_into_the_namespace_and_returns_the_servers_warnings()
    {
        string? body = null;
        var server = new FakeApiServer
        {
            Respond = (request, _) =>
            {
                body = request.Content!.ReadAsStringAsync().Result;
                var response = FakeApiServer.Json(201, Cluster("5"));
                response.Headers.TryAddWithoutValidation("Warning", "299 - \"unknown field \\\"spec.bogus\\\"\"");
                return response;
            },
        };

        var result = await RayClusterLifecycle.CreateAsync(server.Connect(), "ns", Manifest(), dryRun: false, CancellationToken.None);

        var request = Assert.Single(server.Requests);
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal("/apis/ray.io/v1/namespaces/ns/rayclusters", request.RequestUri!.PathAndQuery);
        Assert.Equal("ns", JsonNode.Parse(body!)!["metadata"]!["namespace"]!.GetValue<string>());
        Assert.Equal("c", result.Cluster.Name);
        Assert.Equal("5", result.Cluster.ResourceVersion);
        Assert.Equal("unknown field \"spec.bogus\"", Assert.Single(result.Warnings));
    }

    [Fact]
    public async Task A_dry_run_asks_the_server_to_store_nothing()
    {
        var server = new FakeApiServer { Respond = (_, _) => FakeApiServer.Json(201, Cluster("")) };
        await RayClusterLifecycle.CreateAsync(server.Connect(), "ns", Manifest(), dryRun: true, CancellationToken.None);
        Assert.Equal("/apis/ray.io/v1/namespaces/ns/rayclusters?dryRun=All", server.Requests[0].RequestUri!.PathAndQuery);
    }

    [Fact]
    public async Task An_existing_cluster_is_RayClusterExists_with_what_to_do()
    {
        var server = new FakeApiServer { Respond = (_, _) => FakeApiServer.Json(409, Status(409, "AlreadyExists", "rayclusters.ray.io \"c\" already exists", "rayclusters", "c")) };
        var ex = await Assert.ThrowsAsync<RayPSException>(() => RayClusterLifecycle.CreateAsync(server.Connect(), "ns", Manifest(), false, CancellationToken.None));
        Assert.Equal(ErrorIds.RayClusterExists, ex.ErrorId);
        Assert.Equal(RayErrorCategory.ResourceExists, ex.Category);
        Assert.Contains("namespace 'ns'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Remove-RayCluster", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Set-RayWorkerReplicas", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Forbidden_names_the_verb_and_the_resource()
    {
        var message = "rayclusters.ray.io is forbidden: User \"viewer\" cannot create resource \"rayclusters\" in API group \"ray.io\" in the namespace \"ns\"";
        var server = new FakeApiServer { Respond = (_, _) => FakeApiServer.Json(403, Status(403, "Forbidden", message, "rayclusters")) };
        var ex = await Assert.ThrowsAsync<RayPSException>(() => RayClusterLifecycle.CreateAsync(server.Connect(), "ns", Manifest(), false, CancellationToken.None));
        Assert.Equal(ErrorIds.KubeApiForbidden, ex.ErrorId);
        Assert.Equal(RayErrorCategory.PermissionDenied, ex.Category);
        Assert.Contains("not allowed to create rayclusters", ex.Message, StringComparison.Ordinal);
        Assert.Contains("grants 'create' on 'rayclusters.ray.io'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("User \"viewer\"", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_namespace_or_crd_keeps_its_error()
    {
        var ns = new FakeApiServer { Respond = (_, _) => FakeApiServer.Json(404, Status(404, "NotFound", "namespaces \"ns\" not found", "namespaces", "ns")) };
        Assert.Equal(ErrorIds.NamespaceNotFound, (await Assert.ThrowsAsync<RayPSException>(() => RayClusterLifecycle.CreateAsync(ns.Connect(), "ns", Manifest(), false, CancellationToken.None))).ErrorId);

        var crd = new FakeApiServer { Respond = (_, _) => FakeApiServer.Text(404, "404 page not found\n") };
        var ex = await Assert.ThrowsAsync<RayPSException>(() => RayClusterLifecycle.CreateAsync(crd.Connect(), "ns", Manifest(), false, CancellationToken.None));
        Assert.Equal(ErrorIds.KubeRayCrdMissing, ex.ErrorId);
        Assert.Contains("Get-KubeRayOperator", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wait_watches_from_the_creates_version_until_ready_without_polling()
    {
        var server = new FakeApiServer
        {
            Respond = (_, _) => Stream(Event("MODIFIED", Cluster("6", "", 0, headReady: true)) + Event("MODIFIED", Cluster("7", "ready", 2, headReady: true))),
        };
        var seen = new List<(int, int)>();

        var ready = await RayClusterLifecycle.WaitReadyAsync(server.Connect(), "ns", "c", TimeSpan.FromSeconds(10), "5",
            c => seen.Add((RayClusterLifecycle.PodsReady(c), RayClusterLifecycle.PodsDesired(c))), CancellationToken.None);

        Assert.Equal("ready", ready.State);
        Assert.Equal(new[] { (1, 3), (3, 3) }, seen);
        var request = Assert.Single(server.Requests);
        var query = request.RequestUri!.Query;
        Assert.Equal("/apis/ray.io/v1/namespaces/ns/rayclusters", request.RequestUri.AbsolutePath);
        Assert.Contains("watch=1", query, StringComparison.Ordinal);
        Assert.Contains("fieldSelector=metadata.name%3Dc", query, StringComparison.Ordinal);
        Assert.Contains("resourceVersion=5", query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wait_re_lists_and_watches_from_the_listed_version_when_the_server_ends_the_watch()
    {
        var server = new FakeApiServer
        {
            Respond = (request, n) => !request.RequestUri!.Query.Contains("watch=1", StringComparison.Ordinal)
                ? FakeApiServer.Json(200, Cluster("7"))
                : n == 1 ? Stream(Event("MODIFIED", Cluster("6"))) : Stream(Event("MODIFIED", Cluster("8", "ready", 2, true))),
        };

        await RayClusterLifecycle.WaitReadyAsync(server.Connect(), "ns", "c", TimeSpan.FromSeconds(10), "5", null, CancellationToken.None);

        Assert.Equal(3, server.Requests.Count);
        Assert.Equal("/apis/ray.io/v1/namespaces/ns/rayclusters/c", server.Requests[1].RequestUri!.AbsolutePath);
        Assert.Contains("resourceVersion=7", server.Requests[2].RequestUri!.Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_watch_that_drops_before_its_first_event_re_lists_and_sees_the_ready_cluster()
    {
        var server = new FakeApiServer
        {
            Respond = (request, _) => request.RequestUri!.Query.Contains("watch=1", StringComparison.Ordinal)
                ? Stream(string.Empty)
                : FakeApiServer.Json(200, Cluster("9", "ready", 2, true)),
        };

        var ready = await RayClusterLifecycle.WaitReadyAsync(server.Connect(), "ns", "c", TimeSpan.FromSeconds(10), "5", null, CancellationToken.None);

        Assert.Equal("ready", ready.State);
        Assert.Equal(2, server.Requests.Count);
    }

    [Fact]
    public async Task Wait_reads_the_cluster_again_when_its_version_expired()
    {
        var gone = Event("ERROR", Status(410, "Expired", "too old resource version: 5 (9)"));
        var server = new FakeApiServer
        {
            Respond = (request, _) => request.RequestUri!.Query.Contains("watch=1", StringComparison.Ordinal)
                ? Stream(gone)
                : FakeApiServer.Json(200, Cluster("9", "ready", 2, true)),
        };

        var ready = await RayClusterLifecycle.WaitReadyAsync(server.Connect(), "ns", "c", TimeSpan.FromSeconds(10), "5", null, CancellationToken.None);

        Assert.Equal("ready", ready.State);
        Assert.Equal("/apis/ray.io/v1/namespaces/ns/rayclusters/c", server.Requests[1].RequestUri!.AbsolutePath);
    }

    [Fact]
    public async Task Wait_on_an_existing_cluster_reads_it_first_and_returns_at_once_when_ready()
    {
        var server = new FakeApiServer { Respond = (_, _) => FakeApiServer.Json(200, Cluster("9", "ready", 2, true)) };
        await RayClusterLifecycle.WaitReadyAsync(server.Connect(), "ns", "c", TimeSpan.FromSeconds(10), null, null, CancellationToken.None);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task A_timeout_is_RayClusterNotReady_with_the_reason_read_from_the_pods()
    {
        var pods = """
            {"kind":"PodList","items":[
              {"metadata":{"name":"c-head-abc"},"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}},
              {"metadata":{"name":"c-workergroup-worker-x"},"status":{"phase":"Pending","containerStatuses":[{"name":"ray-worker","state":{"waiting":{"reason":"ImagePullBackOff","message":"Back-off pulling image \"rayproject/ray:9.9.9\""}}}]}}
            ]}
            """;
        var server = new FakeApiServer
        {
            Respond = (request, _) => request.RequestUri!.AbsolutePath.EndsWith("/pods", StringComparison.Ordinal) ? FakeApiServer.Json(200, pods) : Hanging(),
        };

        var ex = await Assert.ThrowsAsync<RayPSException>(() =>
            RayClusterLifecycle.WaitReadyAsync(server.Connect(), "ns", "c", TimeSpan.FromMilliseconds(300), "5", null, CancellationToken.None));

        Assert.Equal(ErrorIds.RayClusterNotReady, ex.ErrorId);
        Assert.Equal(RayErrorCategory.OperationTimeout, ex.Category);
        Assert.Contains("pod c-workergroup-worker-x: container ray-worker: ImagePullBackOff (Back-off pulling image \"rayproject/ray:9.9.9\")", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("c-head-abc", ex.Message, StringComparison.Ordinal);
        Assert.Contains("left in place", ex.Message, StringComparison.Ordinal);
        var podRequest = server.Requests.Last().RequestUri!;
        Assert.Equal("/api/v1/namespaces/ns/pods", podRequest.AbsolutePath);
        Assert.Contains("labelSelector=ray.io%2Fcluster%3Dc", podRequest.Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_timeout_without_pods_points_at_the_operator()
    {
        var server = new FakeApiServer
        {
            Respond = (request, _) => request.RequestUri!.AbsolutePath.EndsWith("/pods", StringComparison.Ordinal) ? FakeApiServer.Json(200, "{\"items\":[]}") : Hanging(),
        };
        var ex = await Assert.ThrowsAsync<RayPSException>(() =>
            RayClusterLifecycle.WaitReadyAsync(server.Connect(), "ns", "c", TimeSpan.FromMilliseconds(200), "5", null, CancellationToken.None));
        Assert.Contains("Get-KubeRayOperator", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancellation_is_not_a_timeout()
    {
        var server = new FakeApiServer { Respond = (_, _) => Hanging() };
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            RayClusterLifecycle.WaitReadyAsync(server.Connect(), "ns", "c", TimeSpan.FromSeconds(30), "5", null, cts.Token));
    }

    [Fact]
    public async Task A_cluster_deleted_while_waiting_ends_the_wait()
    {
        var server = new FakeApiServer { Respond = (_, _) => Stream(Event("DELETED", Cluster("6"))) };
        var ex = await Assert.ThrowsAsync<RayPSException>(() =>
            RayClusterLifecycle.WaitReadyAsync(server.Connect(), "ns", "c", TimeSpan.FromSeconds(10), "5", null, CancellationToken.None));
        Assert.Equal(ErrorIds.RayClusterNotFound, ex.ErrorId);
        Assert.Contains("deleted while waiting", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delete_sends_one_DELETE_and_a_missing_cluster_is_RayClusterNotFound()
    {
        var server = new FakeApiServer { Respond = (_, _) => FakeApiServer.Json(200, Cluster("9")) };
        var deleted = await RayClusterLifecycle.DeleteAsync(server.Connect(), "ns", "c", CancellationToken.None);
        Assert.Equal("c", deleted!.Name);
        Assert.Equal(HttpMethod.Delete, server.Requests[0].Method);
        Assert.Equal("/apis/ray.io/v1/namespaces/ns/rayclusters/c", server.Requests[0].RequestUri!.AbsolutePath);

        var missing = new FakeApiServer { Respond = (_, _) => FakeApiServer.Json(404, Status(404, "NotFound", "rayclusters.ray.io \"c\" not found", "rayclusters", "c")) };
        var ex = await Assert.ThrowsAsync<RayPSException>(() => RayClusterLifecycle.DeleteAsync(missing.Connect(), "ns", "c", CancellationToken.None));
        Assert.Equal(ErrorIds.RayClusterNotFound, ex.ErrorId);
        Assert.Contains("namespace 'ns'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wait_deleted_watches_the_pods_until_none_is_left()
    {
        var pod = """{"metadata":{"name":"c-head-abc","resourceVersion":"11"},"status":{"phase":"Running"}}""";
        var server = new FakeApiServer
        {
            Respond = (request, _) =>
            {
                var uri = request.RequestUri!;
                if (uri.AbsolutePath.EndsWith("/rayclusters/c", StringComparison.Ordinal))
                {
                    return FakeApiServer.Json(404, Status(404, "NotFound", "rayclusters.ray.io \"c\" not found", "rayclusters", "c"));
                }
                return uri.Query.Contains("watch=1", StringComparison.Ordinal)
                    ? Stream(Event("DELETED", pod))
                    : FakeApiServer.Json(200, $"{{\"metadata\":{{\"resourceVersion\":\"10\"}},\"items\":[{pod}]}}");
            },
        };
        var left = new List<int>();

        await RayClusterLifecycle.WaitDeletedAsync(server.Connect(), "ns", "c", TimeSpan.FromSeconds(10), left.Add, CancellationToken.None);

        Assert.Equal(new[] { 1, 0 }, left);
        var watch = server.Requests[2].RequestUri!;
        Assert.Equal("/api/v1/namespaces/ns/pods", watch.AbsolutePath);
        Assert.Contains("labelSelector=ray.io%2Fcluster%3Dc", watch.Query, StringComparison.Ordinal);
        Assert.Contains("resourceVersion=10", watch.Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wait_deleted_times_out_naming_what_remains()
    {
        var pod = """{"metadata":{"name":"c-head-abc","deletionTimestamp":"2026-01-01T00:00:00Z","finalizers":["example.com/hold"]},"status":{"phase":"Running"}}""";
        var server = new FakeApiServer
        {
            Respond = (request, _) =>
            {
                var uri = request.RequestUri!;
                if (uri.AbsolutePath.EndsWith("/rayclusters/c", StringComparison.Ordinal))
                {
                    return FakeApiServer.Json(404, Status(404, "NotFound", "not found", "rayclusters", "c"));
                }
                return uri.Query.Contains("watch=1", StringComparison.Ordinal) ? Hanging() : FakeApiServer.Json(200, $"{{\"metadata\":{{\"resourceVersion\":\"10\"}},\"items\":[{pod}]}}");
            },
        };

        var ex = await Assert.ThrowsAsync<RayPSException>(() =>
            RayClusterLifecycle.WaitDeletedAsync(server.Connect(), "ns", "c", TimeSpan.FromMilliseconds(300), null, CancellationToken.None));

        Assert.Equal(ErrorIds.RayClusterDeletionTimeout, ex.ErrorId);
        Assert.Contains("c-head-abc (terminating, finalizers example.com/hold)", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>A response body that never sends anything, like a quiet watch.</summary>
    private sealed class HangingStream : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => 0; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return 0;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }
}
