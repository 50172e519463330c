using System.Text.Json.Nodes;
using RayPS.Client.Tests.Support;
using RayPS.Errors;
using RayPS.Jobs;
using RayPS.Ray;

namespace RayPS.Client.Tests.Jobs;

public sealed class RayHttpClientTests
{
    private const string Proxy = "/api/v1/namespaces/ray/services/c1-head-svc:dashboard/proxy";

    private static string Status(int code, string reason, string message, string? kind = null, string? name = null) =>
        new JsonObject
        {
            ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = "Failure", ["message"] = message,
            ["reason"] = reason, ["code"] = code,
            ["details"] = kind is null ? null : new JsonObject { ["name"] = name, ["kind"] = kind },
        }.ToJsonString();

    private static (FakeApiServer Fake, RayHttpClient Ray) Client(Func<HttpRequestMessage, int, HttpResponseMessage> respond)
    {
        var fake = new FakeApiServer { Respond = respond };
        return (fake, new RayHttpClient(fake.Connect(), "ray", "c1"));
    }

    [Fact]
    public async Task Sends_through_the_head_service_proxy_and_reads_the_job()
    {
        var (fake, ray) = Client((_, _) => FakeApiServer.Json(200, """{"submission_id": "a", "status": "RUNNING", "entrypoint": "x", "start_time": 1}"""));
        var job = await RayJobOperations.GetAsync(ray, "a", CancellationToken.None);
        Assert.Equal("RUNNING", job.Status);
        Assert.Equal("c1", job.ClusterName);
        Assert.Equal("ray", job.Namespace);
        Assert.Equal(Proxy + "/api/jobs/a", Assert.Single(fake.Requests).RequestUri!.AbsolutePath);
    }

    [Fact]
    public async Task A_Ray_404_is_RayJobNotFound()
    {
        var (_, ray) = Client((_, _) => FakeApiServer.Text(404, "Job nope does not exist"));
        var ex = await Assert.ThrowsAsync<RayPSException>(() => RayJobOperations.GetAsync(ray, "nope", CancellationToken.None));
        Assert.Equal(ErrorIds.RayJobNotFound, ex.ErrorId);
        Assert.Equal(RayErrorCategory.ObjectNotFound, ex.Category);
    }

    [Fact]
    public async Task A_duplicate_submission_id_is_RayJobExists()
    {
        var (_, ray) = Client((_, _) => FakeApiServer.Text(500,
            "Traceback (most recent call last):\nRuntimeError: Request failed with status code 400: ValueError: Job with submission_id same already exists. Please use a different submission_id.\n."));
        var ex = await Assert.ThrowsAsync<RayPSException>(() => RayJobOperations.SubmitAsync(ray, new RayJobSubmission { Entrypoint = "echo", SubmissionId = "same" }, CancellationToken.None));
        Assert.Equal(ErrorIds.RayJobExists, ex.ErrorId);
    }

    [Fact]
    public async Task A_head_without_endpoints_is_RayDashboardUnreachable_and_not_retried()
    {
        var (fake, ray) = Client((_, _) => FakeApiServer.Json(503, Status(503, "ServiceUnavailable", "no endpoints available for service \"c1-head-svc\"")));
        var ex = await Assert.ThrowsAsync<RayPSException>(() => RayJobOperations.ListAsync(ray, CancellationToken.None));
        Assert.Equal(ErrorIds.RayDashboardUnreachable, ex.ErrorId);
        Assert.Contains("Wait-RayCluster c1 -Namespace ray", ex.Message, StringComparison.Ordinal);
        Assert.Single(fake.Requests);
    }

    [Fact]
    public async Task A_missing_service_of_a_missing_cluster_is_RayClusterNotFound()
    {
        var (_, ray) = Client((request, _) => request.RequestUri!.AbsolutePath.Contains("/proxy/", StringComparison.Ordinal)
            ? FakeApiServer.Json(404, Status(404, "NotFound", "services \"c1-head-svc\" not found", "services", "c1-head-svc"))
            : FakeApiServer.Json(404, Status(404, "NotFound", "rayclusters.ray.io \"c1\" not found", "rayclusters", "c1")));
        var ex = await Assert.ThrowsAsync<RayPSException>(() => RayJobOperations.ListAsync(ray, CancellationToken.None));
        Assert.Equal(ErrorIds.RayClusterNotFound, ex.ErrorId);
    }

    [Fact]
    public async Task Follows_the_head_service_name_the_cluster_reports()
    {
        var (fake, ray) = Client((request, _) => request.RequestUri!.AbsolutePath switch
        {
            var p when p.StartsWith(Proxy, StringComparison.Ordinal) =>
                FakeApiServer.Json(404, Status(404, "NotFound", "services \"c1-head-svc\" not found", "services", "c1-head-svc")),
            var p when p.Contains("/services/short-svc:dashboard/proxy/", StringComparison.Ordinal) => FakeApiServer.Json(200, "[]"),
            _ => FakeApiServer.Json(200, """{"apiVersion": "ray.io/v1", "kind": "RayCluster", "metadata": {"name": "c1", "namespace": "ray"}, "spec": {}, "status": {"head": {"serviceName": "short-svc"}}}"""),
        });
        Assert.Empty(await RayJobOperations.ListAsync(ray, CancellationToken.None));
        Assert.Equal("short-svc", ray.ServiceName);
        Assert.Equal(3, fake.Requests.Count);
        Assert.Empty(await RayJobOperations.ListAsync(ray, CancellationToken.None));
        Assert.Equal(4, fake.Requests.Count);
    }

    [Fact]
    public async Task Uploads_bytes_with_a_PUT_that_does_not_look_like_a_browser()
    {
        var (fake, ray) = Client((_, _) => FakeApiServer.Text(200, ""));
        var answer = await ray.PutBytesAsync("/api/packages/gcs/_ray_pkg_0011223344556677.zip", [1, 2, 3], CancellationToken.None);
        Assert.True(answer.IsSuccess);
        var request = Assert.Single(fake.Requests);
        Assert.Equal(HttpMethod.Put, request.Method);
        Assert.DoesNotContain(request.Headers, h => h.Key.StartsWith("Sec-Fetch-", StringComparison.OrdinalIgnoreCase) || h.Key == "Origin");
        Assert.DoesNotContain("Mozilla", request.Headers.UserAgent.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_GET_is_retried_when_the_API_server_hiccups_but_never_for_Rays_own_answer()
    {
        var (fake, ray) = Client((_, n) => n == 1
            ? FakeApiServer.Json(503, Status(503, "ServiceUnavailable", "the server is currently unable to handle the request"))
            : FakeApiServer.Text(503, "503: Local Raylet failed"));
        var answer = await ray.TryGetPodAsync("c1-worker-x", 52365, "/api/local_raylet_healthz", TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.Equal(2, fake.Requests.Count);
        Assert.Equal(503, answer.Status);
        Assert.False(answer.FromApiServer);
        Assert.Equal("503: Local Raylet failed", answer.StatusText());
        Assert.Equal("/api/v1/namespaces/ray/pods/c1-worker-x:52365/proxy/api/local_raylet_healthz", fake.Requests[0].RequestUri!.AbsolutePath);
    }

    [Fact]
    public async Task A_POST_is_sent_once_even_when_the_API_server_hiccups()
    {
        var (fake, ray) = Client((_, _) => FakeApiServer.Json(503, Status(503, "ServiceUnavailable", "the server is currently unable to handle the request")));
        var answer = await ray.PostJsonAsync("/api/jobs/", new JsonObject { ["entrypoint"] = "echo" }, CancellationToken.None);
        Assert.Single(fake.Requests);
        Assert.True(answer.FromApiServer);
        Assert.False(answer.IsSuccess);
    }

    [Fact]
    public async Task TryGet_answers_a_timeout_and_GetAsync_throws_KubeApiTimeout_for_it()
    {
        var (fake, ray) = Client((_, _) => FakeApiServer.Text(200, "success"));
        fake.Delay = (_, _) => TimeSpan.FromSeconds(30);
        var answer = await ray.TryGetAsync("/api/gcs_healthz", TimeSpan.FromMilliseconds(50), CancellationToken.None);
        Assert.True(answer.TimedOut);
        Assert.Null(answer.Status);
        var ex = await Assert.ThrowsAsync<RayPSException>(() => ray.GetAsync("/api/jobs/", CancellationToken.None, TimeSpan.FromMilliseconds(50)));
        Assert.Equal(ErrorIds.KubeApiTimeout, ex.ErrorId);
        Assert.Contains(Proxy + "/api/jobs/", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TryGet_never_looks_for_another_head_service()
    {
        var (fake, ray) = Client((_, _) => FakeApiServer.Json(404, Status(404, "NotFound", "services \"c1-head-svc\" not found", "services", "c1-head-svc")));
        var answer = await ray.TryGetAsync("/api/v0/nodes", TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.True(answer.FromApiServer);
        Assert.Equal(404, answer.Status);
        Assert.Single(fake.Requests);
    }
}
