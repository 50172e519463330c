namespace RayPS.Sandbox.Tests.Unit;

public sealed class SelectorTests
{
    private static readonly Dictionary<string, string> Labels = new()
    {
        ["ray.io/cluster"] = "ray-cluster",
        ["ray.io/node-type"] = "worker",
        ["tier"] = "3",
    };

    [Theory]
    [InlineData("ray.io/cluster=ray-cluster", true)]
    [InlineData("ray.io/cluster==ray-cluster", true)]
    [InlineData("ray.io/cluster!=ray-cluster", false)]
    [InlineData("ray.io/cluster!=other", true)]
    [InlineData("missing!=x", true)]
    [InlineData("ray.io/node-type in (head,worker)", true)]
    [InlineData("ray.io/node-type in (head)", false)]
    [InlineData("ray.io/node-type notin (head)", true)]
    [InlineData("missing notin (head)", true)]
    [InlineData("ray.io/cluster", true)]
    [InlineData("missing", false)]
    [InlineData("!missing", true)]
    [InlineData("!ray.io/cluster", false)]
    [InlineData("tier>2", true)]
    [InlineData("tier<3", false)]
    [InlineData("ray.io/cluster=ray-cluster,ray.io/node-type=head", false)]
    [InlineData(" ray.io/cluster = ray-cluster , tier ", true)]
    [InlineData("", true)]
    public void LabelSelectorsMatch(string selector, bool matches) =>
        Assert.Equal(matches, LabelSelector.Parse(selector).Matches(Labels));

    [Theory]
    [InlineData("ray.io/cluster in ray-cluster", "unable to parse requirement: found 'ray-cluster' expected: '('")]
    [InlineData("a=b,", "found '', expected: identifier after ','")]
    [InlineData("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt")]
    [InlineData("(a)", "found '(', expected: !, identifier, or 'end of string'")]
    [InlineData("a in (b", "unable to parse requirement: found '', expected: ',' or ')'")]
    [InlineData("tier>x", "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer")]
    public void LabelSelectorSyntaxErrorsReadLikeTheApiserver(string selector, string message) =>
        Assert.Equal(message, Assert.Throws<FormatException>(() => LabelSelector.Parse(selector)).Message);

    [Fact]
    public void SelectorObjectsRenderAsScaleSelectors()
    {
        var selector = LabelSelector.FromObject((System.Text.Json.Nodes.JsonObject)Json.JsonText.Parse(
            """{"matchLabels":{"b":"2","a":"1"},"matchExpressions":[{"key":"c","operator":"In","values":["x","y"]},{"key":"d","operator":"DoesNotExist"}]}""")!);
        Assert.Equal("a=1,b=2,c in (x,y),!d", selector.ToString());
        Assert.True(selector.Matches(new Dictionary<string, string> { ["a"] = "1", ["b"] = "2", ["c"] = "y" }));
    }

    [Theory]
    [InlineData("metadata.name=ray-cluster", true)]
    [InlineData("metadata.name==ray-cluster", true)]
    [InlineData("metadata.name!=ray-cluster", false)]
    [InlineData("metadata.name=ray-cluster,metadata.namespace=default", true)]
    [InlineData("metadata.namespace=other", false)]
    public void FieldSelectorsMatch(string selector, bool matches) =>
        Assert.Equal(matches, FieldSelector.Parse(selector).Matches(new Dictionary<string, string>
        {
            ["metadata.name"] = "ray-cluster",
            ["metadata.namespace"] = "default",
        }));

    [Fact]
    public void FieldSelectorWithoutOperatorIsRejected() =>
        Assert.Equal("invalid selector: 'metadata.name'; can't understand 'metadata.name'",
            Assert.Throws<FormatException>(() => FieldSelector.Parse("metadata.name")).Message);

    [Fact]
    public async Task StoreListsHonourSelectorsAndRejectUnsupportedFields()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        var store = sandbox.Store;
        store.Create(Gvr.ConfigMaps, Objects.ConfigMap("a", labels: new() { ["app"] = "x" }));
        store.Create(Gvr.ConfigMaps, Objects.ConfigMap("b", labels: new() { ["app"] = "y" }));
        var byLabel = store.ListItems(Gvr.ConfigMaps, "default", new ListOptions { LabelSelector = "app in (x)" });
        Assert.Equal(["a"], byLabel.Select(ObjectMeta.Name));
        var byName = store.ListItems(Gvr.ConfigMaps, null, new ListOptions { FieldSelector = "metadata.name=b" });
        Assert.Equal(["b"], byName.Select(ObjectMeta.Name));
        var error = Assert.Throws<ApiException>(() => store.List(Gvr.ConfigMaps, "default", new ListOptions { FieldSelector = "spec.foo=bar" }));
        Assert.Equal(400, error.Code);
        Assert.Equal("field label not supported: spec.foo", error.Message);
        var phase = store.ListItems(Gvr.Pods, "default", new ListOptions { FieldSelector = "status.phase=Pending" });
        Assert.Empty(phase);
    }
}
