using RayPS.Sandbox.Cluster;
using RayPS.Sandbox.Faults;
using Xunit;

namespace RayPS.Sandbox.Tests.Unit;

/// <summary>Fault verbs that name a subresource fire on it, impossible pairs are refused, and unfit pods are named.</summary>
public sealed class FaultVerbTests
{
    [Theory]
    [InlineData("proxy", "pods", "get", "pods/proxy", true)]
    [InlineData("proxy", "services", "get", "services/proxy", true)]
    [InlineData("proxy", null, "get", "services/proxy", true)]
    [InlineData("proxy", "pods", "get", "services/proxy", false)]
    [InlineData("proxy", "pods", "get", "pods", false)]
    [InlineData("portforward", null, "get", "pods/portforward", true)]
    [InlineData("portforward", "pods", "create", "pods/portforward", true)]
    [InlineData("portforward", null, "get", "pods/proxy", false)]
    [InlineData("get", "rayclusters", "get", "rayclusters", true)]
    [InlineData("get", "rayclusters", "list", "rayclusters", false)]
    public void Fault_verbs_match_the_requests_they_name(string verb, string? resource, string requestVerb, string requestResource, bool fires)
    {
        var faults = new SandboxFaults();
        faults.AddError(503, verb: verb, resource: resource);
        var decision = faults.Evaluate(requestVerb, requestResource, "/api/v1/namespaces/default/x");
        Assert.Equal(fires, decision.Terminal is not null);
    }

    [Theory]
    [InlineData("proxy", "rayclusters")]
    [InlineData("proxy", "deployments/proxy")]
    [InlineData("portforward", "services")]
    [InlineData("watch", "deployments/scale")]
    [InlineData("list", "pods/log")]
    [InlineData("delete", "rayclusters/status")]
    [InlineData("get", "pods/nonsense")]
    [InlineData("get", "pods/proxy/extra")]
    [InlineData("patch", "pods/portforward")]
    public void Pairs_that_can_never_match_are_refused(string verb, string resource)
    {
        var faults = new SandboxFaults();
        Assert.Throws<ArgumentException>(() => faults.AddError(503, verb: verb, resource: resource));
        Assert.Empty(faults.Rules);
    }

    [Fact]
    public void A_pod_asking_more_than_a_node_has_is_unfit_and_says_which_resource()
    {
        JsonObject Pod(string resource, string amount) => new()
        {
            ["spec"] = new JsonObject
            {
                ["containers"] = new JsonArray(new JsonObject
                {
                    ["name"] = "c",
                    ["resources"] = new JsonObject { ["limits"] = new JsonObject { [resource] = amount } },
                }),
            },
        };
        Assert.Equal(["nvidia.com/gpu"], NodePool.Unfit(Pod("nvidia.com/gpu", "16")));
        Assert.Equal(["cpu"], NodePool.Unfit(Pod("cpu", "65")));
        Assert.Null(NodePool.Unfit(Pod("nvidia.com/gpu", "8")));
        Assert.Null(NodePool.Unfit(Pod("huawei.com/Ascend910B-memory", "16384")));
    }
}
