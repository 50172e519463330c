using System.Text.Json.Nodes;
using RayPS.Client.Tests.NodeHealth;
using RayPS.Client.Tests.Support;
using RayPS.Errors;
using RayPS.Logs;
using static RayPS.Client.Tests.NodeHealth.RayFixtures;

namespace RayPS.Client.Tests.Logs;

/// <summary>
/// The log operations against answers shaped like a real kube-apiserver's (pods/log errors are the kubelet's text in a
/// BadRequest Status) and a real Ray dashboard's (log reads fail with 200 and the error in the body).
/// </summary>
public sealed class RayLogOperationsTests
{
    private const string PodsPath = "/api/v1/namespaces/default/pods";

    private sealed class Sink : ILogSink
    {
        public List<RayLogLine> Lines { get; } = new();
        public List<RayPSException> Errors { get; } = new();
        public List<string> Warnings { get; } = new();

        public void Line(RayLogLine line)
        {
            lock (Lines)
            {
                Lines.Add(line);
            }
        }

        public void Error(RayPSException error)
        {
            lock (Errors)
            {
                Errors.Add(error);
            }
        }

        public void Warning(string text) => Warnings.Add(text);
    }

    private static string PodList(params JsonObject[] pods) => new JsonObject { ["kind"] = "PodList", ["apiVersion"] = "v1", ["items"] = new JsonArray(pods) }.ToJsonString();

    private static string BadRequest(string message) =>
        new JsonObject { ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = "Failure", ["message"] = message, ["reason"] = "BadRequest", ["code"] = 400 }.ToJsonString();

    private static string Envelope(JsonNode? data, bool result = true, string msg = "") =>
        new JsonObject { ["result"] = result, ["msg"] = msg, ["data"] = data }.ToJsonString();

    private static FakeApiServer Server(Func<string, HttpResponseMessage> answer) => new() { Respond = (request, _) => answer(request.RequestUri!.PathAndQuery) };

    [Fact]
    public async Task Container_lines_carry_the_kubelet_timestamp_pod_and_container()
    {
        var fake = Server(path => path.StartsWith(PodsPath + "?", StringComparison.Ordinal)
            ? FakeApiServer.Json(200, PodList(Head()))
            : FakeApiServer.Text(200, "2026-03-01T11:00:00.123456789Z first line\n2026-03-01T11:00:01Z second line\n"));
        var sink = new Sink();
        await RayLogOperations.GetAsync(fake.Connect(), new NodeLogRequest { Namespace = "default", ClusterName = "ray-cluster", Tail = 2 }, sink, CancellationToken.None);
        Assert.Empty(sink.Errors);
        Assert.Equal(["first line", "second line"], sink.Lines.Select(l => l.Text));
        Assert.All(sink.Lines, l => Assert.Equal(("ray-cluster-head-x7k2p", "ray-head", "head", "Container"), (l.PodName, l.Container, l.NodeType, l.Source)));
        Assert.Equal(DateTimeOffset.Parse("2026-03-01T11:00:00.1234567Z", System.Globalization.CultureInfo.InvariantCulture), sink.Lines[0].Timestamp);
        Assert.Equal("/api/v1/namespaces/default/pods/ray-cluster-head-x7k2p/log?container=ray-head&timestamps=true&tailLines=2", fake.Requests[1].RequestUri!.PathAndQuery);
    }

    [Theory]
    [InlineData("container \"ray-head\" in pod \"ray-cluster-head-x7k2p\" is waiting to start: ContainerCreating", ErrorIds.ContainerNotStarted)]
    [InlineData("container \"ray-head\" in pod \"ray-cluster-head-x7k2p\" is waiting to start: trying and failing to pull image", ErrorIds.ContainerNotStarted)]
    [InlineData("previous terminated container \"ray-head\" in pod \"ray-cluster-head-x7k2p\" not found", ErrorIds.PreviousLogNotFound)]
    [InlineData("container nope is not valid for pod ray-cluster-head-x7k2p", ErrorIds.ContainerNotFound)]
    public async Task The_kubelets_refusals_become_ErrorIds_that_keep_its_words(string message, string errorId)
    {
        var fake = Server(path => path.StartsWith(PodsPath + "?", StringComparison.Ordinal)
            ? FakeApiServer.Json(200, PodList(Head()))
            : FakeApiServer.Json(400, BadRequest(message)));
        var sink = new Sink();
        await RayLogOperations.GetAsync(fake.Connect(), new NodeLogRequest { Namespace = "default", ClusterName = "ray-cluster" }, sink, CancellationToken.None);
        var error = Assert.Single(sink.Errors);
        Assert.Equal(errorId, error.ErrorId);
        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
        Assert.Equal(2, fake.Requests.Count);
    }

    [Fact]
    public async Task A_pod_without_a_node_answers_204_and_is_ContainerNotStarted()
    {
        var fake = Server(path => path.StartsWith(PodsPath + "?", StringComparison.Ordinal)
            ? FakeApiServer.Json(200, PodList(Head()))
            : new HttpResponseMessage(System.Net.HttpStatusCode.NoContent));
        var sink = new Sink();
        await RayLogOperations.GetAsync(fake.Connect(), new NodeLogRequest { Namespace = "default", ClusterName = "ray-cluster" }, sink, CancellationToken.None);
        Assert.Equal(ErrorIds.ContainerNotStarted, Assert.Single(sink.Errors).ErrorId);
        Assert.Empty(sink.Lines);
    }

    [Fact]
    public async Task Ray_files_are_read_by_node_id_and_a_failure_part_way_keeps_the_lines_before_it()
    {
        var nodes = Envelope(new JsonObject { ["result"] = new JsonObject
        {
            ["total"] = 1, ["num_after_truncation"] = 1, ["num_filtered"] = 1, ["partial_failure_warning"] = "", ["warnings"] = null,
            ["result"] = new JsonArray(RayNode(NodeId(0), "10.244.0.9", head: true)),
        } });
        var fake = Server(path =>
        {
            if (path.StartsWith(PodsPath + "?", StringComparison.Ordinal))
            {
                return FakeApiServer.Json(200, PodList(Head()));
            }
            if (path.Contains("/proxy/api/v0/nodes?", StringComparison.Ordinal))
            {
                return FakeApiServer.Json(200, nodes);
            }
            return FakeApiServer.Text(200, "[2026-03-01 11:00:00,123 I 45 45] (raylet) main.cc:1: one\n[get_logs] Fetch log error: the agent went away");
        });
        var sink = new Sink();
        await RayLogOperations.GetAsync(fake.Connect(), new NodeLogRequest { Namespace = "default", ClusterName = "ray-cluster", RayLogs = ["raylet.out"] }, sink, CancellationToken.None);
        var line = Assert.Single(sink.Lines);
        Assert.Equal(("raylet.out", "RayLog"), (line.File, line.Source));
        Assert.Equal(DateTimeOffset.Parse("2026-03-01T11:00:00.123Z", System.Globalization.CultureInfo.InvariantCulture), line.Timestamp);
        var error = Assert.Single(sink.Errors);
        Assert.Equal(ErrorIds.RayLogReadFailed, error.ErrorId);
        Assert.Contains("the agent went away", error.Message, StringComparison.Ordinal);
        Assert.EndsWith($"/services/ray-cluster-head-svc:dashboard/proxy/api/v0/logs/file?node_id={NodeId(0)}&filename=raylet.out&lines=-1&format=text&timeout=30",
            fake.Requests[2].RequestUri!.PathAndQuery, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_head_service_without_endpoints_is_RayLogApiUnreachable()
    {
        var noEndpoints = new JsonObject
        {
            ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = "Failure",
            ["message"] = "no endpoints available for service \"ray-cluster-head-svc\"", ["reason"] = "ServiceUnavailable", ["code"] = 503,
        }.ToJsonString();
        var fake = Server(path => path.StartsWith(PodsPath + "?", StringComparison.Ordinal) ? FakeApiServer.Json(200, PodList(Head())) : FakeApiServer.Json(503, noEndpoints));
        var sink = new Sink();
        await RayLogOperations.GetAsync(fake.Connect(), new NodeLogRequest { Namespace = "default", ClusterName = "ray-cluster", RayLogs = ["*"] }, sink, CancellationToken.None);
        var error = Assert.Single(sink.Errors);
        Assert.Equal(ErrorIds.RayLogApiUnreachable, error.ErrorId);
        Assert.Contains("no endpoints available", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_pods_and_no_RayCluster_is_RayClusterNotFound()
    {
        var notFound = new JsonObject
        {
            ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = "Failure",
            ["message"] = "rayclusters.ray.io \"nope\" not found", ["reason"] = "NotFound", ["details"] = new JsonObject { ["name"] = "nope", ["group"] = "ray.io", ["kind"] = "rayclusters" }, ["code"] = 404,
        }.ToJsonString();
        var fake = Server(path => path.StartsWith(PodsPath + "?", StringComparison.Ordinal) ? FakeApiServer.Json(200, PodList()) : FakeApiServer.Json(404, notFound));
        var error = await Assert.ThrowsAsync<RayPSException>(() =>
            RayLogOperations.GetAsync(fake.Connect(), new NodeLogRequest { Namespace = "default", ClusterName = "nope" }, new Sink(), CancellationToken.None));
        Assert.Equal(ErrorIds.RayClusterNotFound, error.ErrorId);
    }
}
