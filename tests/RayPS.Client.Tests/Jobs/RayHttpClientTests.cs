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
}
