using System.Text.Json.Nodes;
using RayPS.Errors;
using RayPS.Manifests;

namespace RayPS.Client.Tests.WorkerGroups;

public sealed class TolerationTextTests
{
    [Theory]
    [InlineData("huawei.com/Ascend910B=present:NoSchedule", """{"key":"huawei.com/Ascend910B","operator":"Equal","value":"present","effect":"NoSchedule"}""")]
    [InlineData("huawei.com/Ascend910B:NoSchedule", """{"key":"huawei.com/Ascend910B","operator":"Exists","effect":"NoSchedule"}""")]
    [InlineData("dedicated", """{"key":"dedicated","operator":"Exists"}""")]
    [InlineData("dedicated=ray", """{"key":"dedicated","operator":"Equal","value":"ray"}""")]
    [InlineData(":NoExecute", """{"operator":"Exists","effect":"NoExecute"}""")]
    [InlineData("*", """{"operator":"Exists"}""")]
    public void Taint_syntax_becomes_a_toleration(string text, string expected)
    {
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), TolerationText.Parse(text)), TolerationText.Parse(text).ToJsonString());
    }

    [Fact]
    public void A_map_is_checked_and_normalised()
    {
        var t = TolerationText.FromMap(new Dictionary<string, string?> { ["Key"] = "npu", ["operator"] = "exists", ["effect"] = "noexecute", ["tolerationSeconds"] = "30" });
        Assert.Equal("""{"key":"npu","operator":"Exists","effect":"NoExecute","tolerationSeconds":30}""", t.ToJsonString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("k=v:Sometimes")]
    public void Bad_text_is_InvalidToleration(string text)
    {
        Assert.Equal(ErrorIds.InvalidToleration, Assert.Throws<RayPSException>(() => TolerationText.Parse(text)).ErrorId);
    }

    [Fact]
    public void Bad_maps_are_InvalidToleration()
    {
        RayPSException Fails(Dictionary<string, string?> map) => Assert.Throws<RayPSException>(() => TolerationText.FromMap(map));
        Assert.Contains("not a toleration field", Fails(new() { ["kee"] = "x" }).Message);
        Assert.Contains("takes no value", Fails(new() { ["key"] = "x", ["operator"] = "Exists", ["value"] = "y" }).Message);
        Assert.Contains("needs a key", Fails(new() { ["operator"] = "Equal", ["value"] = "y" }).Message);
        Assert.Contains("NoExecute", Fails(new() { ["key"] = "x", ["effect"] = "NoSchedule", ["tolerationSeconds"] = "5" }).Message);
        Assert.Contains("not Equal or Exists", Fails(new() { ["key"] = "x", ["operator"] = "In" }).Message);
    }
}
