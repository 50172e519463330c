using System.Net;
using System.Text.Json.Nodes;
using RayPS.Client.Tests.Support;
using RayPS.Errors;
using RayPS.Kube;

namespace RayPS.Client.Tests.Kube;

/// <summary>
/// The fault matrix of the client's one retry policy: each verb class against one 500, one 503, one 429 with Retry-After,
/// one dropped connection, a slow answer and a permanent failure, asserting the outcome and how many requests were sent.
/// </summary>
public sealed class RetryPolicyTests
{
    private const string ItemPath = "/apis/ray.io/v1/namespaces/default/rayclusters/demo";
    private const string CollectionPath = "/apis/ray.io/v1/namespaces/default/rayclusters";

    private static JsonObject Cluster() => new()
    {
        ["apiVersion"] = "ray.io/v1",
        ["kind"] = "RayCluster",
        ["metadata"] = new JsonObject { ["name"] = "demo", ["labels"] = new JsonObject { ["team"] = "a" } },
        ["spec"] = new JsonObject { ["rayVersion"] = "2.46.0" },
    };

    private static string Stored(string rayVersion = "2.46.0") =>
        $$$"""{"apiVersion":"ray.io/v1","kind":"RayCluster","metadata":{"name":"demo","namespace":"default","uid":"u1","labels":{"team":"a"}},"spec":{"rayVersion":"{{{rayVersion}}}","enableInTreeAutoscaling":false}}""";

    public enum Verb { Read, GuardedPatch, Apply, Create, Delete, UnguardedPatch }

    public enum Fault { Once500, Once503, Once429, OnceReset, Slow, Permanent503 }

    private static Task<JsonObject> Send(KubeApi api, Verb verb) => verb switch
    {
        Verb.Read => api.GetAsync(ItemPath, CancellationToken.None),
        Verb.GuardedPatch => api.PatchAsync(ItemPath, new JsonArray(
            new JsonObject { ["op"] = "test", ["path"] = "/metadata/generation", ["value"] = 1 },
            new JsonObject { ["op"] = "replace", ["path"] = "/spec/rayVersion", ["value"] = "2.47.0" }), KubeApi.JsonPatch, CancellationToken.None),
        Verb.Apply => api.PatchAsync(ItemPath + "?fieldManager=rayps", Cluster(), "application/apply-patch+yaml", CancellationToken.None),
        Verb.Create => api.PostAsync(CollectionPath, Cluster(), CancellationToken.None),
        Verb.Delete => api.DeleteAsync(ItemPath, CancellationToken.None),
        Verb.UnguardedPatch => api.PatchAsync(ItemPath, new JsonArray(
            new JsonObject { ["op"] = "add", ["path"] = "/spec/workerGroupSpecs/-", ["value"] = new JsonObject() }), KubeApi.JsonPatch, CancellationToken.None),
        _ => throw new ArgumentOutOfRangeException(nameof(verb)),
    };

    /// <summary>
    /// A server whose first write (or read, for reads) meets the fault; later requests succeed. For a create, the
    /// fault happens after the object was stored when <paramref name="landed"/>, as a real server's lost answer would.
    /// </summary>
    private static FakeApiServer Server(Verb verb, Fault fault, bool landed = false)
    {
        var faulted = 0;
        var exists = verb is Verb.Delete or Verb.Read or Verb.GuardedPatch or Verb.Apply or Verb.UnguardedPatch;
        var server = new FakeApiServer();
        bool IsTarget(HttpRequestMessage r) => verb == Verb.Read ? r.Method == HttpMethod.Get : r.Method != HttpMethod.Get;
        server.Delay = (r, _) => fault == Fault.Slow && IsTarget(r) && faulted++ == 0 ? TimeSpan.FromSeconds(30) : TimeSpan.Zero;
        server.Respond = (r, _) =>
        {
            if (IsTarget(r) && fault != Fault.Slow && (fault == Fault.Permanent503 || faulted++ == 0))
            {
                if (landed && verb == Verb.Create) exists = true;
                if (landed && verb == Verb.Delete) exists = false;
                switch (fault)
                {
                    case Fault.OnceReset:
                        throw new HttpRequestException(HttpRequestError.ResponseEnded, "The response ended prematurely.", new IOException("reset"));
                    case Fault.Once429:
                        var throttled = FakeApiServer.Json(429, """{"kind":"Status","code":429,"reason":"TooManyRequests"}""");
                        throttled.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromMilliseconds(5));
                        return throttled;
                    default:
                        var code = fault == Fault.Once500 ? 500 : 503;
                        return FakeApiServer.Json(code, $$"""{"kind":"Status","code":{{code}},"reason":"InternalError","message":"injected"}""");
                }
            }
            if (r.Method == HttpMethod.Get)
            {
                return exists
                    ? FakeApiServer.Json(200, Stored())
                    : FakeApiServer.Json(404, """{"kind":"Status","code":404,"reason":"NotFound","details":{"name":"demo","group":"ray.io","kind":"rayclusters"}}""");
            }
            if (r.Method == HttpMethod.Post)
            {
                if (exists)
                {
                    return FakeApiServer.Json(409, """{"kind":"Status","code":409,"reason":"AlreadyExists","message":"rayclusters.ray.io \"demo\" already exists","details":{"name":"demo","group":"ray.io","kind":"rayclusters"}}""");
                }
                exists = true;
                return FakeApiServer.Json(201, Stored());
            }
            if (r.Method == HttpMethod.Delete)
            {
                if (!exists)
                {
                    return FakeApiServer.Json(404, """{"kind":"Status","code":404,"reason":"NotFound","details":{"name":"demo","group":"ray.io","kind":"rayclusters"}}""");
                }
                exists = false;
                return FakeApiServer.Json(200, Stored());
            }
            return FakeApiServer.Json(200, Stored());
        };
        return server;
    }

    private static KubeApi Api(FakeApiServer server, TimeSpan? timeout = null)
    {
        var api = server.Connect(new RetryHandler { BaseDelay = TimeSpan.FromMilliseconds(1) }).Api;
        api.RequestTimeout = timeout ?? TimeSpan.FromSeconds(30);
        return api;
    }

    [Theory]
    [InlineData(Verb.Read)]
    [InlineData(Verb.GuardedPatch)]
    [InlineData(Verb.Apply)]
    [InlineData(Verb.Create)]
    [InlineData(Verb.Delete)]
    public async Task Transient_faults_are_survived_with_one_more_request(Verb verb)
    {
        foreach (var fault in new[] { Fault.Once500, Fault.Once503, Fault.Once429, Fault.OnceReset })
        {
            var server = Server(verb, fault);
            var result = await Send(Api(server), verb);
            Assert.Equal("RayCluster", result["kind"]?.GetValue<string>());
            Assert.Equal(2, server.Requests.Count);
        }
    }

    [Theory]
    [InlineData(Fault.Once500)]
    [InlineData(Fault.OnceReset)]
    public async Task A_create_whose_answer_was_lost_is_read_back_and_is_ours(Fault fault)
    {
        var server = Server(Verb.Create, fault, landed: true);
        var result = await Send(Api(server), Verb.Create);

        Assert.Equal("u1", result["metadata"]?["uid"]?.GetValue<string>());
        Assert.Equal(["POST", "POST", "GET"], server.Requests.Select(r => r.Method.Method));
    }

    [Fact]
    public async Task A_create_that_finds_someone_elses_object_is_already_exists()
    {
        var server = Server(Verb.Create, Fault.Once500, landed: true);
        var inner = server.Respond;
        server.Respond = (r, n) => r.Method == HttpMethod.Get ? FakeApiServer.Json(200, Stored("2.9.0")) : inner(r, n);

        var ex = await Assert.ThrowsAsync<RayPSException>(() => Send(Api(server), Verb.Create));
        Assert.Equal(ErrorIds.RayClusterExists, ex.ErrorId);
    }

    [Fact]
    public async Task A_delete_whose_answer_was_lost_is_done_when_the_retry_finds_nothing()
    {
        var server = Server(Verb.Delete, Fault.OnceReset, landed: true);
        var result = await Send(Api(server), Verb.Delete);

        Assert.Equal("Success", result["status"]?.GetValue<string>());
        Assert.Equal(2, server.Requests.Count);
    }

    [Fact]
    public async Task An_unguarded_patch_is_retried_on_429_only()
    {
        var throttled = Server(Verb.UnguardedPatch, Fault.Once429);
        await Send(Api(throttled), Verb.UnguardedPatch);
        Assert.Equal(2, throttled.Requests.Count);

        var failed = Server(Verb.UnguardedPatch, Fault.Once503);
        var ex = await Assert.ThrowsAsync<RayPSException>(() => Send(Api(failed), Verb.UnguardedPatch));
        Assert.Equal(ErrorIds.KubeApiServerError, ex.ErrorId);
        Assert.Contains("(1 attempt)", ex.Message);
        Assert.Single(failed.Requests);

        var reset = Server(Verb.UnguardedPatch, Fault.OnceReset);
        var unknown = await Assert.ThrowsAsync<RayPSException>(() => Send(Api(reset), Verb.UnguardedPatch));
        Assert.Equal(ErrorIds.KubeApiOutcomeUnknown, unknown.ErrorId);
        Assert.Single(reset.Requests);
    }

    [Theory]
    [InlineData(Verb.Read, ErrorIds.KubeApiServerError, 5)]
    [InlineData(Verb.GuardedPatch, ErrorIds.KubeApiServerError, 5)]
    [InlineData(Verb.Apply, ErrorIds.KubeApiServerError, 5)]
    [InlineData(Verb.Create, ErrorIds.KubeApiServerError, 6)]
    [InlineData(Verb.Delete, ErrorIds.KubeApiServerError, 6)]
    public async Task A_permanent_failure_is_bounded_and_counts_its_attempts(Verb verb, string errorId, int requests)
    {
        var server = Server(verb, Fault.Permanent503);
        var ex = await Assert.ThrowsAsync<RayPSException>(() => Send(Api(server), verb));

        Assert.Equal(errorId, ex.ErrorId);
        Assert.Contains("(5 attempts)", ex.Message);
        Assert.Equal(requests, server.Requests.Count);
    }

    [Theory]
    [InlineData(Verb.Read, ErrorIds.KubeApiTimeout, 1)]
    [InlineData(Verb.GuardedPatch, ErrorIds.KubeApiOutcomeUnknown, 1)]
    [InlineData(Verb.Create, ErrorIds.KubeApiOutcomeUnknown, 2)]
    [InlineData(Verb.Delete, ErrorIds.KubeApiOutcomeUnknown, 2)]
    public async Task A_slow_answer_times_out_and_a_write_is_called_unknown(Verb verb, string errorId, int requests)
    {
        var server = Server(verb, Fault.Slow);
        var ex = await Assert.ThrowsAsync<RayPSException>(() => Send(Api(server, TimeSpan.FromMilliseconds(300)), verb));

        Assert.Equal(errorId, ex.ErrorId);
        Assert.Equal(requests, server.Requests.Count);
        if (errorId == ErrorIds.KubeApiOutcomeUnknown)
        {
            Assert.Contains("outcome", ex.Message);
            Assert.Contains("1 attempt", ex.Message);
        }
    }

    [Fact]
    public async Task Debug_trace_has_one_line_per_attempt_with_status_and_wait()
    {
        var lines = new List<string>();
        var server = new FakeApiServer { Respond = (_, n) => FakeApiServer.Json(n < 3 ? 503 : 200, Stored()) };
        KubeApi.Trace = lines.Add;
        try
        {
            await Api(server).GetAsync(ItemPath, CancellationToken.None);
        }
        finally
        {
            KubeApi.Trace = null;
        }

        Assert.Equal(3, lines.Count);
        Assert.Matches(@"^GET .*/demo -> 503 in \d+ ms \(attempt 1 of 5\); retrying in \d+ ms$", lines[0]);
        Assert.Matches(@"-> 503 .*\(attempt 2 of 5\); retrying in \d+ ms$", lines[1]);
        Assert.Matches(@"-> 200 .*\(attempt 3 of 5\)$", lines[2]);
    }

    [Fact]
    public async Task A_create_against_a_server_that_refuses_connections_is_unreachable_not_unknown()
    {
        var config = new k8s.KubernetesClientConfiguration { Host = "https://127.0.0.1:1", AccessToken = "t", SkipTlsVerify = true };
        var connection = KubeConnection.Create(config, "dead", new RetryHandler { BaseDelay = TimeSpan.FromMilliseconds(1), MaxAttempts = 2 });
        var ex = await Assert.ThrowsAsync<RayPSException>(() => Send(connection.Api, Verb.Create));
        Assert.Equal(ErrorIds.KubeApiUnreachable, ex.ErrorId);
        Assert.Contains("2 attempts", ex.Message);
    }
}
