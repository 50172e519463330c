using System.Net;
using RayPS.Client.Tests.Support;
using RayPS.Errors;
using RayPS.Kube;
using RayPS.Operations;

namespace RayPS.Client.Tests.Kube;

public sealed class KubeApiTests
{
    private const string RayClusterList = """
        {"kind":"RayClusterList","apiVersion":"ray.io/v1","metadata":{"resourceVersion":"5"},"items":[
          {"metadata":{"name":"ray-cluster","namespace":"default","creationTimestamp":"2026-11-25T10:00:00Z","generation":2},
           "spec":{"rayVersion":"2.46.0","headGroupSpec":{"template":{"spec":{"containers":[{"name":"ray-head","image":"rayproject/ray:2.46.0","resources":{"limits":{"cpu":"4","memory":"8Gi"}}}]}}},
                   "workerGroupSpecs":[{"groupName":"workergroup","replicas":2,"minReplicas":0,"maxReplicas":5,"numOfHosts":1,"template":{"spec":{"containers":[{"name":"ray-worker","resources":{"limits":{"cpu":"12","huawei.com/Ascend910B":"1"}}}]}}}]},
           "status":{"state":"ready","desiredWorkerReplicas":2,"readyWorkerReplicas":2,"availableWorkerReplicas":2,"minWorkerReplicas":0,"maxWorkerReplicas":5,
                     "desiredCPU":"28","desiredMemory":"88Gi","desiredGPU":"0","head":{"podName":"ray-cluster-head-x","serviceName":"ray-cluster-head-svc"},
                     "conditions":[{"type":"HeadPodReady","status":"True"},{"type":"RayClusterProvisioned","status":"True"}]}}]}
        """;

    [Fact]
    public async Task List_parses_clusters_with_one_request()
    {
        var server = new FakeApiServer { Respond = (_, _) => FakeApiServer.Json(200, RayClusterList) };
        var clusters = await RayClusterOperations.ListAsync(server.Connect(), "default", CancellationToken.None);

        var cluster = Assert.Single(clusters);
        Assert.Equal("ray-cluster", cluster.Name);
        Assert.Equal("ready", cluster.State);
        Assert.Equal(2, cluster.DesiredWorkers);
        Assert.Equal(5, cluster.MaxWorkers);
        Assert.Equal("RayClusterProvisioned", cluster.Condition);
        Assert.Equal("4", cluster.HeadCpu);
        Assert.Equal("1", cluster.WorkerGroups[0].Limits["huawei.com/Ascend910B"]);
        var request = Assert.Single(server.Requests);
        Assert.Equal("/apis/ray.io/v1/namespaces/default/rayclusters", request.RequestUri!.AbsolutePath);
        Assert.Equal("Bearer", request.Headers.Authorization?.Scheme);
    }

    [Fact]
    public async Task Plain_text_404_on_ray_io_is_KubeRayCrdMissing()
    {
        var server = new FakeApiServer { Respond = (_, _) => FakeApiServer.Text(404, "404 page not found\n") };
        var ex = await Assert.ThrowsAsync<RayPSException>(() => RayClusterOperations.ListAsync(server.Connect(), "default", CancellationToken.None));
        Assert.Equal(ErrorIds.KubeRayCrdMissing, ex.ErrorId);
        Assert.Equal(RayErrorCategory.NotInstalled, ex.Category);
        Assert.Contains("Get-KubeRayOperator", ex.Message);
    }

    [Fact]
    public async Task Status_404_for_a_raycluster_is_RayClusterNotFound()
    {
        var body = """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"rayclusters.ray.io \"nope\" not found","reason":"NotFound","details":{"name":"nope","group":"ray.io","kind":"rayclusters"},"code":404}""";
        var server = new FakeApiServer { Respond = (_, _) => FakeApiServer.Json(404, body) };
        var ex = await Assert.ThrowsAsync<RayPSException>(() => RayClusterOperations.GetAsync(server.Connect(), "default", "nope", CancellationToken.None));
        Assert.Equal(ErrorIds.RayClusterNotFound, ex.ErrorId);
        Assert.Contains("'default'", ex.Message);
    }

    [Theory]
    [InlineData(401, ErrorIds.KubeApiUnauthorized, RayErrorCategory.AuthenticationError)]
    [InlineData(403, ErrorIds.KubeApiForbidden, RayErrorCategory.PermissionDenied)]
    [InlineData(422, ErrorIds.KubeApiInvalid, RayErrorCategory.InvalidData)]
    [InlineData(409, ErrorIds.KubeApiConflict, RayErrorCategory.ResourceExists)]
    [InlineData(500, ErrorIds.KubeApiServerError, RayErrorCategory.ResourceUnavailable)]
    [InlineData(429, ErrorIds.KubeApiThrottled, RayErrorCategory.LimitsExceeded)]
    public async Task Statuses_map_to_stable_error_ids(int status, string errorId, RayErrorCategory category)
    {
        var body = $$"""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"m","reason":"R","details":{"causes":[{"field":"metadata.name","message":"Invalid value"}]},"code":{{status}}}""";
        var server = new FakeApiServer { Respond = (_, _) => FakeApiServer.Json(status, body) };
        var ex = await Assert.ThrowsAsync<RayPSException>(() => server.Connect().Api.GetAsync("/api/v1/namespaces/default/pods", CancellationToken.None));
        Assert.Equal(errorId, ex.ErrorId);
        Assert.Equal(category, ex.Category);
        Assert.Equal(status, ex.StatusCode);
        if (status == 422)
        {
            Assert.Contains("metadata.name: Invalid value", ex.Message);
        }
    }

    [Fact]
    public async Task Reads_retry_on_503_and_honour_retry_after()
    {
        var server = new FakeApiServer
        {
            Respond = (_, n) =>
            {
                if (n < 3)
                {
                    var r = FakeApiServer.Json(n == 1 ? 503 : 429, "{}");
                    r.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromMilliseconds(10));
                    return r;
                }
                return FakeApiServer.Json(200, """{"items":[]}""");
            },
        };
        var result = await server.Connect().Api.GetAsync("/api/v1/pods", CancellationToken.None);
        Assert.Equal(3, server.Requests.Count);
        Assert.NotNull(result["items"]);
    }

    [Fact]
    public async Task Unguarded_writes_are_not_retried_on_5xx_but_are_on_429()
    {
        var patch = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject { ["op"] = "add", ["path"] = "/spec/x/-", ["value"] = 1 });
        var server = new FakeApiServer { Respond = (_, _) => FakeApiServer.Json(503, "{}") };
        await Assert.ThrowsAsync<RayPSException>(() => server.Connect().Api.PatchAsync("/api/v1/namespaces/default/pods/p", patch, KubeApi.JsonPatch, CancellationToken.None));
        Assert.Single(server.Requests);

        var throttled = new FakeApiServer { Respond = (_, n) => FakeApiServer.Json(n == 1 ? 429 : 200, "{}") };
        await throttled.Connect().Api.PatchAsync("/api/v1/namespaces/default/pods/p", patch, KubeApi.JsonPatch, CancellationToken.None);
        Assert.Equal(2, throttled.Requests.Count);
    }

    [Fact]
    public async Task Retries_are_bounded()
    {
        var server = new FakeApiServer { Respond = (_, _) => FakeApiServer.Json(503, "{}") };
        var ex = await Assert.ThrowsAsync<RayPSException>(() => server.Connect(new RetryHandler { BaseDelay = TimeSpan.FromMilliseconds(1), MaxAttempts = 4 }).Api.GetAsync("/api/v1/pods", CancellationToken.None));
        Assert.Equal(ErrorIds.KubeApiServerError, ex.ErrorId);
        Assert.Equal(4, server.Requests.Count);
    }

    [Fact]
    public async Task Trace_lines_never_carry_the_token()
    {
        var lines = new List<string>();
        var server = new FakeApiServer { Respond = (_, _) => FakeApiServer.Json(200, "{}") };
        KubeApi.Trace = lines.Add;
        try
        {
            await server.Connect().Api.GetAsync("/api/v1/namespaces", CancellationToken.None);
        }
        finally
        {
            KubeApi.Trace = null;
        }
        var line = Assert.Single(lines);
        Assert.Contains("GET /api/v1/namespaces -> 200", line);
        Assert.DoesNotContain("test-token-not-secret", line);
    }

    [Fact]
    public async Task Unreachable_server_is_KubeApiUnreachable()
    {
        var config = new k8s.KubernetesClientConfiguration { Host = "https://127.0.0.1:1", AccessToken = "t", SkipTlsVerify = true };
        var connection = KubeConnection.Create(config, "dead", new RetryHandler { BaseDelay = TimeSpan.FromMilliseconds(1), MaxAttempts = 2 });
        var ex = await Assert.ThrowsAsync<RayPSException>(() => connection.Api.GetAsync("/version", CancellationToken.None));
        Assert.Equal(ErrorIds.KubeApiUnreachable, ex.ErrorId);
        Assert.Equal(RayErrorCategory.ConnectionError, ex.Category);
    }
}
