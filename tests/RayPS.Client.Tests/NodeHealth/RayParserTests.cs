using RayPS.Model;
using RayPS.Client.Tests.Support;
using RayPS.Ray;

namespace RayPS.Client.Tests.NodeHealth;

/// <summary>Parsers of Ray's answers, against the shapes in shared/ray-api/README.md.</summary>
public sealed class RayParserTests
{
    /// <summary>/api/v0/nodes?detail=true as README section 2.5 shows it.</summary>
    internal const string StateApiSample = """
        {"result": true, "msg": "", "data": {"result": {
          "total": 2, "num_after_truncation": 2, "num_filtered": 2,
          "result": [
            {"node_id": "3f2a9c0e5b7d41e8a6c2f90d1b3e5a7c9d0f2b4e6a8c1d3e5f7a9b0c", "node_ip": "10.244.0.9",
             "is_head_node": true, "state": "ALIVE", "state_message": null, "node_name": "10.244.0.9",
             "resources_total": {"CPU": 8.0, "memory": 17179869184.0, "object_store_memory": 4294967296.0,
                                 "node:10.244.0.9": 1.0, "node:__internal_head__": 1.0},
             "labels": {"ray.io/node-id": "3f2a9c0e5b7d41e8a6c2f90d1b3e5a7c9d0f2b4e6a8c1d3e5f7a9b0c"},
             "start_time_ms": 1748779100123, "end_time_ms": 0},
            {"node_id": "9b1c7e2d4f6a8b0c2e4d6f8a0b2c4e6d8f0a2b4c6e8d0f2a4b6c8e0d", "node_ip": "10.244.0.12",
             "is_head_node": false, "state": "DEAD",
             "state_message": "Unexpected termination: <reason message from GCS>", "node_name": "10.244.0.12",
             "resources_total": {"CPU": 4.0, "GPU": 1.0, "accelerator_type:T4": 1.0, "memory": 8589934592.0,
                                 "object_store_memory": 2147483648.0, "node:10.244.0.12": 1.0},
             "labels": {"ray.io/node-id": "9b1c7e2d4f6a8b0c2e4d6f8a0b2c4e6d8f0a2b4c6e8d0f2a4b6c8e0d"},
             "start_time_ms": 1748779150456, "end_time_ms": 1748779990789}],
          "partial_failure_warning": "", "warnings": null}}}
        """;

    /// <summary>/nodes?view=summary as README section 2.3 shows it, plus an entry with nothing but the raylet (stats purged).</summary>
    internal const string NodeSummarySample = """
        {"result": true, "msg": "Node summary fetched.", "data": {
          "summary": [{
            "now": 1748779200.51, "hostname": "ray-cluster-head-x7k2p", "ip": "10.244.0.9",
            "cpu": 3.2, "cpus": [8, 4], "mem": [17179869184, 12884901888, 25.0, 4294967296],
            "raylet": {
              "nodeId": "3f2a9c0e5b7d41e8a6c2f90d1b3e5a7c9d0f2b4e6a8c1d3e5f7a9b0c",
              "nodeManagerAddress": "10.244.0.9", "nodeManagerHostname": "ray-cluster-head-x7k2p",
              "nodeManagerPort": 43519, "state": "ALIVE", "isHeadNode": true, "nodeName": "10.244.0.9",
              "startTimeMs": "1748779100123", "endTimeMs": "0",
              "resourcesTotal": {"CPU": 8.0, "memory": 17179869184.0, "objectStoreMemory": 4294967296.0,
                                 "node:10.244.0.9": 1.0, "node:InternalHead": 1.0, "acceleratorType:A100": 1.0},
              "labels": {"ray.io/node-id": "3f2a9c0e5b7d41e8a6c2f90d1b3e5a7c9d0f2b4e6a8c1d3e5f7a9b0c", "ray.io/node-group": "headgroup"},
              "stateSnapshot": {"state": "IDLE", "idleDurationMs": "90000", "nodeActivity": []},
              "objectStoreUsedMemory": 0, "objectStoreAvailableMemory": 4294967296, "stateMessage": null}},
            {"raylet": {"nodeId": "9b1c7e2d4f6a8b0c2e4d6f8a0b2c4e6d8f0a2b4c6e8d0f2a4b6c8e0d", "nodeManagerAddress": "10.244.0.12",
              "state": "DEAD", "isHeadNode": false, "startTimeMs": "1748779150456", "endTimeMs": "1748779990789",
              "stateMessage": "Terminated due to idle (no Ray activity)", "resourcesTotal": {"CPU": 4.0}}},
            {"raylet": {"objectStoreUsedMemory": 0, "objectStoreAvailableMemory": 0, "stateMessage": null}}],
          "nodeLogicalResources": {}}}
        """;

    [Fact]
    public void State_api_rows_keep_raw_names_and_numeric_times()
    {
        var result = RayNodesResult.Read(RayHttpAnswer.Answered(200, StateApiSample), summaryView: false);
        Assert.True(result.Known);
        Assert.Equal(2, result.Nodes.Count);
        var head = result.Nodes[0];
        Assert.True(head.IsHead);
        Assert.True(head.IsAlive);
        Assert.Equal("10.244.0.9", head.Ip);
        Assert.Null(head.StateMessage);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1748779100123), head.StartTime);
        Assert.Null(head.EndTime);
        Assert.Equal(4294967296.0, head.Resources["object_store_memory"]);
        Assert.True(head.Resources.ContainsKey("node:__internal_head__"));
        var dead = result.Nodes[1];
        Assert.True(dead.IsDead);
        Assert.Equal("Unexpected termination: <reason message from GCS>", dead.StateMessage);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1748779990789), dead.EndTime);
        Assert.Equal(1.0, dead.Resources["accelerator_type:T4"]);
    }

    [Fact]
    public void Node_summary_undoes_camel_case_and_reads_int64_strings()
    {
        var result = RayNodesResult.Read(RayHttpAnswer.Answered(200, NodeSummarySample), summaryView: true);
        Assert.True(result.Known);
        Assert.Equal(2, result.Nodes.Count);
        var head = result.Nodes[0];
        Assert.Equal("3f2a9c0e5b7d41e8a6c2f90d1b3e5a7c9d0f2b4e6a8c1d3e5f7a9b0c", head.NodeId);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1748779100123), head.StartTime);
        Assert.Null(head.EndTime);
        Assert.Equal(4294967296.0, head.Resources["object_store_memory"]);
        Assert.True(head.Resources.ContainsKey("node:__internal_head__"));
        Assert.Equal(1.0, head.Resources["accelerator_type:A100"]);
        Assert.Equal("headgroup", head.Labels["ray.io/node-group"]);
        var dead = result.Nodes[1];
        Assert.Equal("10.244.0.12", dead.Ip);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1748779990789), dead.EndTime);
        Assert.Equal("Terminated due to idle (no Ray activity)", dead.StateMessage);
    }

    [Theory]
    [InlineData(500, """{"result": false, "msg": "Failed to get nodes: GCS unavailable", "data": {"result": null}}""", "failed (500: Failed to get nodes: GCS unavailable)")]
    [InlineData(200, """{"result": false, "msg": "Given limit 20000 exceeds the supported limit 10000", "data": {}}""", "failed (200: Given limit 20000 exceeds")]
    [InlineData(500, "Traceback (most recent call last):\n  File ...", "answered 500: Traceback (most recent call last):, not a dashboard envelope")]
    [InlineData(403, "Forbidden: Invalid authentication token", "token authentication")]
    public void Node_list_failures_are_unknown_with_the_reason(int status, string body, string expected)
    {
        var result = RayNodesResult.Read(RayHttpAnswer.Answered(status, body), summaryView: false);
        Assert.False(result.Known);
        Assert.Contains(expected, result.Problem);
        Assert.False(result.Forbidden);
    }

    [Fact]
    public void Api_server_403_on_the_node_list_is_forbidden_and_ray_404_is_a_missing_route()
    {
        var forbidden = RayNodesResult.Read(RayHttpAnswer.Answered(403, Reply.KubeStatus(403, "Forbidden", "services \"x\" is forbidden").Body), false);
        Assert.True(forbidden.Forbidden);
        var missing = RayNodesResult.Read(RayHttpAnswer.Answered(404, "404: Not Found"), false);
        Assert.True(missing.RouteMissing);
        var timedOut = RayNodesResult.Read(RayHttpAnswer.Expired(TimeSpan.FromSeconds(4)), false);
        Assert.Equal("the Ray state API (/api/v0/nodes) did not answer within 4 s", timedOut.Problem);
    }

    [Theory]
    [InlineData(200, "success", "Passed", "success")]
    [InlineData(503, "Local Raylet failed", "Failed", "503: Local Raylet failed")]
    [InlineData(503, "Health check failed due to: rpc error", "Failed", "503: Health check failed due to: rpc error")]
    [InlineData(200, "<html>oops</html>", "Failed", "200 without 'success': <html>oops</html>")]
    [InlineData(503, "503: Local Raylet failed", "Failed", "503: Local Raylet failed")]
    [InlineData(404, "404: Not Found", "Failed", "404: Not Found")]
    public void Health_answers_from_ray(int status, string body, string outcome, string detail)
    {
        var result = HealthCheckResult.From(RayHttpAnswer.Answered(status, body));
        Assert.Equal(outcome, result.Outcome.ToString());
        Assert.Equal(detail, result.Detail);
    }

    [Fact]
    public void Health_answers_from_the_api_server()
    {
        var golden = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(SharedData.Path("kube-golden", "64-service-proxy-gcs-healthz.json")))!["response"]!["body"]!.ToJsonString();
        var noEndpoints = HealthCheckResult.From(RayHttpAnswer.Answered(503, golden));
        Assert.Equal(HealthCheckOutcome.Unreachable, noEndpoints.Outcome);
        Assert.Equal("no endpoints available for service \"ray-cluster-head-svc\"", noEndpoints.Detail);

        var forbidden = HealthCheckResult.From(RayHttpAnswer.Answered(403, Reply.KubeStatus(403, "Forbidden", "pods \"p\" is forbidden", "pods").Body));
        Assert.Equal(HealthCheckOutcome.Forbidden, forbidden.Outcome);

        var gone = HealthCheckResult.From(RayHttpAnswer.Answered(404, Reply.KubeStatus(404, "NotFound", "pods \"p\" not found", "pods").Body));
        Assert.Equal(HealthCheckOutcome.TargetGone, gone.Outcome);

        var timedOut = HealthCheckResult.From(RayHttpAnswer.Expired(TimeSpan.FromSeconds(2)));
        Assert.Equal("timed out after 2 s", timedOut.Detail);

        var refused = HealthCheckResult.From(RayHttpAnswer.Failed(new HttpRequestException("Connection refused")));
        Assert.Equal(HealthCheckOutcome.Unreachable, refused.Outcome);
        Assert.Equal("Connection refused", refused.Detail);
    }

    [Theory]
    [InlineData("1717990100123", 1717990100123L)]
    [InlineData("0", 0L)]
    [InlineData("x", null)]
    public void Int64_as_string(string text, long? expected) =>
        Assert.Equal(expected, (System.Text.Json.Nodes.JsonValue.Create(text)).AsInt64());

    [Fact]
    public void Int64_as_number_and_missing()
    {
        Assert.Equal(1717990100123L, (System.Text.Json.Nodes.JsonValue.Create(1717990100123L)).AsInt64());
        Assert.Equal(8L, (System.Text.Json.Nodes.JsonValue.Create(8.0)).AsInt64());
        Assert.Null(((System.Text.Json.Nodes.JsonNode?)null).AsInt64());
        Assert.Null((System.Text.Json.Nodes.JsonValue.Create("0")).AsEpochMs());
    }

    [Theory]
    [InlineData("objectStoreMemory", "object_store_memory")]
    [InlineData("node:InternalHead", "node:__internal_head__")]
    [InlineData("acceleratorType:H100", "accelerator_type:H100")]
    [InlineData("neuronCores", "neuron_cores")]
    [InlineData("CPU", "CPU")]
    [InlineData("node:10.0.0.5", "node:10.0.0.5")]
    [InlineData("myRes", "myRes")]
    public void Camel_cased_resource_names(string camel, string raw) => Assert.Equal(raw, RayResourceNames.FromCamelCase(camel));

    [Fact]
    public void Envelope_needs_a_boolean_result()
    {
        Assert.False(RayEnvelope.TryParse("success", out _));
        Assert.False(RayEnvelope.TryParse("""{"msg": "x"}""", out _));
        Assert.True(RayEnvelope.TryParse("""{"result": true, "msg": "ok", "data": {}}""", out var e));
        Assert.True(e.Result);
        Assert.Equal("ok", e.Message);
    }
}
