using System.Text.Json.Nodes;
using RayPS.Model;
using RayPS.Operations;
using RayPS.Ray;
using static RayPS.Client.Tests.NodeHealth.RayFixtures;

namespace RayPS.Client.Tests.NodeHealth;

/// <summary>The status and reason rules, case by case, without any I/O.</summary>
public sealed class NodeHealthRulesTests
{
    private static readonly HealthCheckResult Ok = HealthCheckResult.From(RayHttpAnswer.Answered(200, "success"));

    private static RayNodeRecord Alive(string ip = "10.244.1.2") => new() { NodeId = NodeId(1), Ip = ip, State = "ALIVE", StartTime = Now.AddMinutes(-100) };

    private static NodeVerdict Evaluate(JsonObject pod, HealthCheckResult? raylet = null, HealthCheckResult? gcs = null, RayNodeRecord? node = null, bool known = true) =>
        NodeHealthRules.Evaluate(new NodeEvidence
        {
            Pod = RayPodFacts.FromJson(Parsed(pod)),
            Raylet = raylet,
            Gcs = gcs ?? Ok,
            RayStateKnown = known,
            RayNode = node,
            Now = Now,
        });

    /// <summary>As the API server's answer is: parsed from text (numbers built in code are not JSON numbers to the readers).</summary>
    private static JsonNode Parsed(JsonNode node) => JsonNode.Parse(node.ToJsonString())!;

    [Fact]
    public void Running_ready_alive_with_passing_probes_is_healthy() =>
        Assert.Equal(new NodeVerdict(RayHealthStatus.Healthy, ""), Evaluate(Worker("w", "10.244.1.2"), Ok, node: Alive()));

    [Fact]
    public void Crash_loop_says_restarts_and_last_exit()
    {
        var verdict = Evaluate(Worker("w", "10.244.1.2").Restarted(5, "Error", Now.AddMinutes(-1), exitCode: 1).CrashLoopBackOff(), Ok, node: Alive());
        Assert.Equal(RayHealthStatus.Unhealthy, verdict.Status);
        Assert.Equal("container ray-worker in CrashLoopBackOff (5 restarts, last exit: container ray-worker exited with code 1 at 2026-03-01 11:59:00Z (60s ago))", verdict.Reason);
    }

    [Fact]
    public void Evicted_pod_is_unhealthy_with_the_kubelet_message()
    {
        var verdict = Evaluate(Worker("w", "10.244.1.2").Failed("Evicted", "The node was low on resource: memory. "));
        Assert.Equal(RayHealthStatus.Unhealthy, verdict.Status);
        Assert.Equal("Pod Failed: Evicted (The node was low on resource: memory.)", verdict.Reason);
    }

    [Fact]
    public void Terminating_pod_is_unhealthy()
    {
        var verdict = Evaluate(Worker("w", "10.244.1.2").Terminating(Now.AddSeconds(-20)), node: Alive());
        Assert.Equal(RayHealthStatus.Unhealthy, verdict.Status);
        Assert.Equal("Pod terminating since 2026-03-01 11:59:40Z (20s ago)", verdict.Reason);
    }

    [Fact]
    public void Not_ready_but_working_is_degraded()
    {
        var verdict = Evaluate(Worker("w", "10.244.1.2").NotReady(), Ok, node: Alive());
        Assert.Equal(RayHealthStatus.Degraded, verdict.Status);
        Assert.Equal("Pod Running but not Ready (containers not ready: ray-worker)", verdict.Reason);
    }

    [Fact]
    public void Worst_cause_comes_first()
    {
        var verdict = Evaluate(Worker("w", "10.244.1.2").NotReady().Restarted(1, "OOMKilled", Now.AddMinutes(-3)),
            HealthCheckResult.From(RayHttpAnswer.Answered(503, "Local Raylet failed")), node: Alive());
        Assert.Equal(RayHealthStatus.Unhealthy, verdict.Status);
        Assert.Equal("raylet health check failed (503: Local Raylet failed); Pod Running but not Ready (containers not ready: ray-worker); OOMKilled: restarted 1 time, last at 2026-03-01 11:57:00Z (3m ago)", verdict.Reason);
    }

    [Fact]
    public void Unreachable_agent_names_the_port()
    {
        var verdict = Evaluate(Worker("w", "10.244.1.2"), HealthCheckResult.From(RayHttpAnswer.Answered(503,
            Reply.KubeStatus(503, "ServiceUnavailable", "error trying to reach service: dial tcp 10.244.1.2:52365: connect: connection refused").Body)), node: Alive());
        Assert.Equal("raylet health endpoint (port 52365) unreachable: error trying to reach service: dial tcp 10.244.1.2:52365: connect: connection refused", verdict.Reason);
    }

    [Fact]
    public void Pod_phase_unknown_is_unknown()
    {
        var pod = Worker("w", "10.244.1.2").Build();
        pod["status"]!["phase"] = "Unknown";
        var verdict = Evaluate(pod);
        Assert.Equal(RayHealthStatus.Unknown, verdict.Status);
        Assert.Equal("Pod phase Unknown: the kubelet on node kind-worker stopped reporting", verdict.Reason);
    }

    [Fact]
    public void Pending_in_init_containers_names_the_running_one()
    {
        var pod = Worker("w", "").Created(Now.AddSeconds(-30)).Build();
        pod["status"]!["phase"] = "Pending";
        pod["spec"]!["initContainers"] = new JsonArray(new JsonObject { ["name"] = "wait-gcs-ready" });
        pod["status"]!["initContainerStatuses"] = new JsonArray(new JsonObject { ["name"] = "wait-gcs-ready", ["state"] = new JsonObject { ["running"] = new JsonObject() } });
        pod["status"]!["containerStatuses"]![0]!["state"] = new JsonObject { ["waiting"] = new JsonObject { ["reason"] = "PodInitializing" } };
        Assert.Equal("Pod Pending for 30s: Init:0/1 (wait-gcs-ready running)", Evaluate(pod).Reason);
    }

    [Fact]
    public void Pending_while_containers_create()
    {
        var pod = Worker("w", "").Created(Now.AddSeconds(-5)).Build();
        pod["status"]!["phase"] = "Pending";
        pod["status"]!["containerStatuses"]![0]!["state"] = new JsonObject { ["waiting"] = new JsonObject { ["reason"] = "ContainerCreating" } };
        Assert.Equal("Pod Pending for 5s: ContainerCreating", Evaluate(pod).Reason);
    }

    [Fact]
    public void Config_error_quotes_the_kubelet()
    {
        var pod = Worker("w", "").Build();
        pod["status"]!["phase"] = "Pending";
        pod["status"]!["containerStatuses"]![0]!["state"] = new JsonObject { ["waiting"] = new JsonObject { ["reason"] = "CreateContainerConfigError", ["message"] = "secret \"ray-token\" not found" } };
        Assert.EndsWith(": CreateContainerConfigError (secret \"ray-token\" not found)", Evaluate(pod).Reason);
    }

    [Fact]
    public void Gcs_failure_is_the_heads_problem_and_leaves_workers_degraded()
    {
        var gcsDown = HealthCheckResult.From(RayHttpAnswer.Expired(TimeSpan.FromSeconds(2)));
        var head = Evaluate(Head(), Ok, gcsDown, known: false);
        Assert.Equal(new NodeVerdict(RayHealthStatus.Unhealthy, "head down: GCS health check timed out after 2 s, Ray node state unknown"), head);
        var worker = Evaluate(Worker("w", "10.244.1.2"), Ok, gcsDown, known: false);
        Assert.Equal(new NodeVerdict(RayHealthStatus.Degraded, "head down: GCS unhealthy, Ray node state unknown"), worker);
    }

    [Fact]
    public void Unknown_ray_state_alone_does_not_lower_a_node()
    {
        // The raylet probe asks GCS itself; with GCS healthy, a passing probe means the node is alive.
        Assert.Equal(RayHealthStatus.Healthy, Evaluate(Worker("w", "10.244.1.2"), Ok, known: false).Status);
    }

    [Theory]
    [InlineData("Unexpected termination: SIGKILL", "Unhealthy")]
    [InlineData(null, "Unhealthy")]
    [InlineData("Expected termination: received SIGTERM", "Healthy")]
    [InlineData("Terminated due to idle (no Ray activity)", "Healthy")]
    [InlineData("Terminated due to preemption", "Degraded")]
    public void Departed_nodes_by_how_they_left(string? message, string status)
    {
        var verdict = NodeHealthRules.Evaluate(new NodeEvidence
        {
            RayNode = new RayNodeRecord { NodeId = NodeId(3), Ip = "10.1.1.1", State = "DEAD", StateMessage = message, EndTime = Now.AddMinutes(-1) },
            Gcs = Ok,
            RayStateKnown = true,
            Now = Now,
        });
        Assert.Equal(status, verdict.Status.ToString());
    }

    private static RayNodeHealth Row(string pod, string type, RayHealthStatus status, string reason = "x") =>
        new() { PodName = pod, NodeType = type, Status = status, Reason = status == RayHealthStatus.Healthy ? "" : reason };

    [Fact]
    public void Summary_rules()
    {
        Assert.Equal(RayHealthStatus.Healthy, NodeHealthRules.Summarize(new[] { Row("h", "head", RayHealthStatus.Healthy), Row("w", "worker", RayHealthStatus.Healthy) }).Status);

        var degraded = NodeHealthRules.Summarize(new[] { Row("h", "head", RayHealthStatus.Healthy), Row("w1", "worker", RayHealthStatus.Healthy), Row("w2", "worker", RayHealthStatus.Degraded, "OOMKilled") });
        Assert.Equal(new NodeVerdict(RayHealthStatus.Degraded, "1 of 3 nodes not healthy: w2: OOMKilled"), degraded);

        var noWorker = NodeHealthRules.Summarize(new[] { Row("h", "head", RayHealthStatus.Healthy), Row("w1", "worker", RayHealthStatus.Unhealthy), Row("w2", "worker", RayHealthStatus.Unhealthy) });
        Assert.Equal(RayHealthStatus.Unhealthy, noWorker.Status);
        Assert.StartsWith("no worker is healthy; 2 of 3 nodes not healthy", noWorker.Reason);

        var headDown = NodeHealthRules.Summarize(new[] { Row("h", "head", RayHealthStatus.Unhealthy, "Pod Pending"), Row("w", "worker", RayHealthStatus.Healthy) });
        Assert.Equal(new NodeVerdict(RayHealthStatus.Unhealthy, "head h: Pod Pending"), headDown);

        var unknown = NodeHealthRules.Summarize(new[] { Row("h", "head", RayHealthStatus.Unknown, "no permission"), Row("w", "worker", RayHealthStatus.Unknown) });
        Assert.Equal(new NodeVerdict(RayHealthStatus.Unknown, "nothing could be checked: no permission"), unknown);

        var many = Enumerable.Range(0, 6).Select(i => Row($"w{i}", "worker", RayHealthStatus.Degraded, "r")).Prepend(Row("h", "head", RayHealthStatus.Healthy)).ToList();
        Assert.Equal("6 of 7 nodes not healthy: w0: r; w1: r; w2: r; and 3 more", NodeHealthRules.Summarize(many).Reason);

        Assert.Equal(RayHealthStatus.Unhealthy, NodeHealthRules.Summarize(Array.Empty<RayNodeHealth>()).Status);
    }

    [Theory]
    [InlineData("ray start --head --dashboard-agent-listen-port=52366", 52366)]
    [InlineData("ray start --dashboard-agent-listen-port 52367 --block", 52367)]
    [InlineData("ray start --dashboard-agent-listen-port='52368'", 52368)]
    [InlineData("ray start --block", 52365)]
    public void Agent_port_from_the_command(string args, int port) =>
        Assert.Equal(port, RayPodFacts.AgentPortOf(new JsonObject { ["args"] = new JsonArray(args) }));

    [Fact]
    public void Agent_port_from_kuberay_env_or_named_port()
    {
        Assert.Equal(52400, RayPodFacts.AgentPortOf(new JsonObject
        {
            ["env"] = new JsonArray(new JsonObject { ["name"] = "KUBERAY_GEN_RAY_START_CMD", ["value"] = "ray start --dashboard-agent-listen-port=52400" }),
        }));
        Assert.Equal(52401, RayPodFacts.AgentPortOf(Parsed(new JsonObject
        {
            ["ports"] = new JsonArray(new JsonObject { ["name"] = "dashboard-agent", ["containerPort"] = 52401 }),
        })));
    }
}
