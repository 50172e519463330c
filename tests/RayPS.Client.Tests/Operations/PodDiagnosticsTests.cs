using System.Text.Json.Nodes;
using RayPS.Operations;

namespace RayPS.Client.Tests.Operations;

public sealed class PodDiagnosticsTests
{
    private static string? Explain(string json) => PodDiagnostics.Explain(JsonNode.Parse(json)!.AsObject());

    [Fact]
    public void A_ready_pod_needs_no_explanation() =>
        Assert.Null(Explain("""{"metadata":{"name":"p"},"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}"""));

    [Fact]
    public void Unschedulable_pods_quote_the_scheduler() =>
        Assert.Equal("pod p cannot be scheduled: Unschedulable (0/3 nodes are available: 3 Insufficient huawei.com/Ascend910B)",
            Explain("""{"metadata":{"name":"p"},"status":{"phase":"Pending","conditions":[{"type":"PodScheduled","status":"False","reason":"Unschedulable","message":"0/3 nodes are available: 3 Insufficient huawei.com/Ascend910B."}]}}"""));

    [Fact]
    public void Crash_loops_and_failed_init_containers_are_named() =>
        Assert.Equal("pod p: init container wait-gcs-ready exited with code 1 (Error)",
            Explain("""{"metadata":{"name":"p"},"status":{"phase":"Pending","initContainerStatuses":[{"name":"wait-gcs-ready","state":{"terminated":{"exitCode":1,"reason":"Error"}}}]}}"""));

    [Fact]
    public void Creating_containers_are_progress_not_problems() =>
        Assert.Equal("pod p is Pending (ContainerCreating)",
            Explain("""{"metadata":{"name":"p"},"status":{"phase":"Pending","conditions":[{"type":"PodScheduled","status":"True"}],"containerStatuses":[{"name":"c","state":{"waiting":{"reason":"ContainerCreating"}}}]}}"""));

    [Fact]
    public void Running_but_unready_pods_point_at_the_probe() =>
        Assert.StartsWith("pod p is running but not ready",
            Explain("""{"metadata":{"name":"p"},"status":{"phase":"Running","conditions":[{"type":"Ready","status":"False"}]}}"""), StringComparison.Ordinal);
}
