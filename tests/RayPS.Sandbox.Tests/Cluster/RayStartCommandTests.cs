using RayPS.Sandbox.Cluster;

namespace RayPS.Sandbox.Tests.Cluster;

public class RayStartCommandTests
{
    private const string SeedArgs =
        "ulimit -n 65536; ray start --address=ray-cluster-head-svc.kube-system.svc.cluster.local:6379 --block --dashboard-agent-listen-port=52365 "
        + "--memory=20000000000 --metrics-export-port=8080 --num-cpus=12 --resources='{\"ascend\":20}'";

    [Fact]
    public void ParsesTheSeedWorkerDeploymentCommand()
    {
        var container = new JsonObject
        {
            ["command"] = new JsonArray("/bin/bash", "-c", "--"),
            ["args"] = new JsonArray(SeedArgs),
        };
        var parsed = RayStartCommand.Parse(RayStartCommand.ContainerCommandLine(container))!;
        Assert.False(parsed.IsHead);
        Assert.Equal("ray-cluster-head-svc.kube-system.svc.cluster.local:6379", parsed.Address);
        Assert.Equal("true", parsed.Get("block"));
        Assert.Equal("12", parsed.Get("num-cpus"));
        Assert.Equal("20000000000", parsed.Get("memory"));
        Assert.Equal(20.0, RayStartCommand.ParseResourcesJson(parsed.Get("resources"))!["ascend"]);
        Assert.Equal(52365, parsed.GetPort("dashboard-agent-listen-port", 0));
    }

    [Fact]
    public void ParsesSpaceSeparatedValuesAndHeadFlags()
    {
        var parsed = RayStartCommand.Parse("exec ray start --head --port 6380 --dashboard-port=9000 --include-dashboard=false --block")!;
        Assert.True(parsed.IsHead);
        Assert.Equal("6380", parsed.Get("port"));
        Assert.Equal(9000, parsed.GetPort("dashboard-port", 8265));
        Assert.False(parsed.IncludeDashboard);
    }

    [Fact]
    public void NotARayStart()
    {
        Assert.Null(RayStartCommand.Parse("nginx -g 'daemon off;'"));
        Assert.Null(RayStartCommand.Parse("echo ray start"));
        Assert.Null(RayStartCommand.Parse("ray status"));
    }

    [Fact]
    public void TokenizerHonoursQuotesAndOperators()
    {
        Assert.Equal(["a", "b c", ";", "d", "&&", "e\"f", "|", "g"], RayStartCommand.Tokenize("a 'b c'; d && \"e\\\"f\" | g"));
        Assert.Equal(["--resources={\"NPU\":1}"], RayStartCommand.Tokenize("--resources='{\"NPU\":1}'"));
    }

    [Theory]
    [InlineData("'{\"NPU\":1}'", "NPU", 1.0)]
    [InlineData("\"{\\\"NPU\\\": 2}\"", "NPU", 2.0)]
    [InlineData("{\"custom_res\":0.5}", "custom_res", 0.5)]
    public void ResourcesJsonAcceptsTheUsualQuotings(string text, string key, double value) =>
        Assert.Equal(value, RayStartCommand.ParseResourcesJson(text)![key]);

    [Fact]
    public void BuildRendersBooleansAsFlagsAndKeepsSpecialOptions()
    {
        var p = new Dictionary<string, string> { ["block"] = "true", ["include-dashboard"] = "false", ["disable-usage-stats"] = "false", ["num-cpus"] = "2" };
        Assert.Equal("ray start --head  --block  --include-dashboard=false  --num-cpus=2 ", RayStartCommand.Build(RayNodeType.Head, p));
    }

    [Fact]
    public void CpuFallsBackToRequestsAndRoundsUp()
    {
        var resources = new JsonObject { ["requests"] = new JsonObject { ["cpu"] = "500m" } };
        var p = RayStartCommand.CompleteParams(RayNodeType.Worker, new Dictionary<string, string>(), resources, "svc.ns.svc.cluster.local", "6379", false);
        Assert.Equal("1", p["num-cpus"]);
        Assert.False(p.ContainsKey("memory"));
        Assert.Equal("svc.ns.svc.cluster.local:6379", p["address"]);
    }
}
