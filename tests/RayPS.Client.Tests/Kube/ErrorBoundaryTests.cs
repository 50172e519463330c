using System.Text.Json.Nodes;
using RayPS.Client.Tests.Support;
using RayPS.Errors;
using RayPS.Kube;
using RayPS.Operations;

namespace RayPS.Client.Tests.Kube;

/// <summary>
/// The one error boundary: <see cref="KubeApi.Raw"/> throws the server's refusal as <see cref="KubeApiException"/> with what
/// code branches on; <see cref="KubeApiException.ToRayPSException"/> is the same error the mapping face throws.
/// </summary>
public sealed class ErrorBoundaryTests
{
    private const string ItemPath = "/apis/ray.io/v1/namespaces/default/rayclusters/demo";

    private static string Status(int code, string reason, string message, string details = "{}") =>
        $$"""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"{{message}}","reason":"{{reason}}","details":{{details}},"code":{{code}}}""";

    /// <summary>Golden 31: the real server's answer to a JSON patch whose test op failed.</summary>
    private static readonly string FailedTest = Status(422, "Invalid", "the server rejected our request due to an error in our request");

    private static readonly string Invalid = Status(422, "Invalid", "RayCluster.ray.io \\\"demo\\\" is invalid",
        """{"name":"demo","group":"ray.io","kind":"RayCluster","causes":[{"reason":"FieldValueInvalid","message":"Invalid value","field":"spec.workerGroupSpecs[0].replicas"}]}""");

    private static readonly string Missing = Status(404, "NotFound", "rayclusters.ray.io \\\"demo\\\" not found", """{"name":"demo","group":"ray.io","kind":"rayclusters"}""");

    private static readonly string Exists = Status(409, "AlreadyExists", "rayclusters.ray.io \\\"demo\\\" already exists", """{"name":"demo","group":"ray.io","kind":"rayclusters"}""");

    private static readonly string Stale = Status(409, "Conflict", "Operation cannot be fulfilled on rayclusters.ray.io \\\"demo\\\": the object has been modified", """{"name":"demo","group":"ray.io","kind":"rayclusters"}""");

    private static async Task<KubeApiException> RawRefusal(int status, string body, HttpMethod? method = null)
    {
        var server = new FakeApiServer { Respond = (_, _) => FakeApiServer.Json(status, body) };
        var api = server.Connect().Api.Raw;
        return await Assert.ThrowsAsync<KubeApiException>(() => method == HttpMethod.Patch
            ? api.PatchAsync(ItemPath, new JsonArray(new JsonObject { ["op"] = "test", ["path"] = "/metadata/generation", ["value"] = 1 }), KubeApi.JsonPatch, CancellationToken.None, "RayCluster 'demo'")
            : api.GetAsync(ItemPath, CancellationToken.None, "RayCluster 'demo'"));
    }

    [Fact]
    public async Task A_failed_test_is_told_from_a_validation_failure()
    {
        var failed = await RawRefusal(422, FailedTest, HttpMethod.Patch);
        Assert.True(failed.IsFailedTest);
        Assert.True(failed.IsInvalid);
        Assert.Equal("PATCH", failed.Method);
        Assert.Equal(ItemPath, failed.Path);

        var invalid = await RawRefusal(422, Invalid, HttpMethod.Patch);
        Assert.False(invalid.IsFailedTest);
        Assert.True(invalid.IsInvalid);
        Assert.Equal(new[] { "spec.workerGroupSpecs[0].replicas: Invalid value" }, invalid.Causes);
    }

    [Fact]
    public async Task Helpers_name_each_refusal()
    {
        var missing = await RawRefusal(404, Missing);
        Assert.True(missing.IsNotFound);
        Assert.True(missing.IsNotFoundOf("rayclusters"));
        Assert.False(missing.IsNotFoundOf("namespaces"));
        Assert.False(missing.IsCrdMissing);
        Assert.True(RayClusterOperations.IsMissing(missing));

        var exists = await RawRefusal(409, Exists);
        Assert.True(exists.IsConflict);
        Assert.True(exists.IsAlreadyExists);

        var stale = await RawRefusal(409, Stale);
        Assert.True(stale.IsConflict);
        Assert.False(stale.IsAlreadyExists);

        Assert.True((await RawRefusal(403, Status(403, "Forbidden", "no"))).IsForbidden);
        Assert.True((await RawRefusal(410, Status(410, "Expired", "too old"))).IsGone);
        Assert.True((await RawRefusal(401, Status(401, "Unauthorized", "no"))).IsUnauthorized);
        Assert.True((await RawRefusal(400, Status(400, "BadRequest", "no"))).IsBadRequest);
    }

    [Fact]
    public async Task A_missing_ray_io_api_is_IsCrdMissing()
    {
        var server = new FakeApiServer { Respond = (_, _) => FakeApiServer.Text(404, "404 page not found\n") };
        var ex = await Assert.ThrowsAsync<KubeApiException>(() => server.Connect().Api.Raw.GetAsync(ItemPath, CancellationToken.None));
        Assert.True(ex.IsCrdMissing);
        Assert.True(ex.IsNotFound);
        Assert.False(ex.IsNotFoundOf("rayclusters"));
        Assert.Equal(ErrorIds.KubeRayCrdMissing, ex.ToRayPSException().ErrorId);
    }

    [Fact]
    public async Task Retry_after_attempts_and_context_travel_with_the_refusal()
    {
        var server = new FakeApiServer
        {
            Respond = (_, _) =>
            {
                var response = FakeApiServer.Json(429, Status(429, "TooManyRequests", "slow down"));
                response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromMilliseconds(1));
                return response;
            },
        };
        var connection = server.Connect(new RetryHandler { MaxAttempts = 3, BaseDelay = TimeSpan.FromMilliseconds(1) });
        var ex = await Assert.ThrowsAsync<KubeApiException>(() => connection.Api.Raw.GetAsync(ItemPath, CancellationToken.None, "RayCluster 'demo'"));
        Assert.True(ex.IsThrottled);
        Assert.Equal(3, ex.Attempts);
        Assert.Equal(3, server.Requests.Count);
        Assert.NotNull(ex.RetryAfter);
        Assert.Equal(connection.ContextName, ex.ContextName);
        Assert.Equal("RayCluster 'demo'", ex.What);
        Assert.Equal("RayCluster 'demo'", ex.Target);
    }

    [Theory]
    [InlineData(404)]
    [InlineData(409)]
    [InlineData(403)]
    [InlineData(422)]
    [InlineData(500)]
    public async Task Both_faces_give_the_same_user_facing_error(int status)
    {
        var body = status switch
        {
            404 => Missing,
            409 => Exists,
            422 => Invalid,
            _ => Status(status, "R", "m"),
        };
        var server = new FakeApiServer { Respond = (_, _) => FakeApiServer.Json(status, body) };
        var connection = server.Connect(new RetryHandler { MaxAttempts = 1 });
        var mapped = await Assert.ThrowsAsync<RayPSException>(() => connection.Api.GetAsync(ItemPath, CancellationToken.None, "RayCluster 'demo'"));
        var raw = await Assert.ThrowsAsync<KubeApiException>(() => connection.Api.Raw.GetAsync(ItemPath, CancellationToken.None, "RayCluster 'demo'"));
        var fromRaw = raw.ToRayPSException();
        Assert.Equal(mapped.ErrorId, fromRaw.ErrorId);
        Assert.Equal(mapped.Category, fromRaw.Category);
        Assert.Equal(mapped.Message, fromRaw.Message);
        Assert.Equal(mapped.Target, fromRaw.Target);
        Assert.Equal(mapped.StatusCode, fromRaw.StatusCode);
        Assert.Equal(2, server.Requests.Count);
    }

    [Fact]
    public async Task Raw_face_shares_the_request_timeout()
    {
        var server = new FakeApiServer();
        var api = server.Connect().Api;
        api.RequestTimeout = TimeSpan.FromSeconds(7);
        Assert.Equal(TimeSpan.FromSeconds(7), api.Raw.RequestTimeout);
        Assert.Same(api.Raw, api.Raw.Raw);
        Assert.True(api.Raw.ThrowsRaw);
        Assert.False(api.ThrowsRaw);
        await api.Raw.GetAsync(ItemPath, CancellationToken.None);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task A_missing_cluster_is_worded_once_with_its_namespace()
    {
        var server = new FakeApiServer { Respond = (_, _) => FakeApiServer.Json(404, Missing) };
        var ex = await Assert.ThrowsAsync<RayPSException>(() => RayClusterOperations.GetAsync(server.Connect(), "default", "demo", CancellationToken.None));
        Assert.Equal(ErrorIds.RayClusterNotFound, ex.ErrorId);
        Assert.Contains("namespace 'default'", ex.Message);
        // The rewording wraps the server's answer itself, not an error mapped before.
        Assert.IsType<KubeApiException>(ex.InnerException);
    }
}
