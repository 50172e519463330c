using RayPS.Sandbox.Patch;
using RayPS.Sandbox.Schema;

namespace RayPS.Sandbox.Tests.Unit;

public sealed class PatchTests
{
    private static JsonNode? J(string json) => JsonText.Parse(json);

    private static void Same(string expected, JsonNode? actual) =>
        Assert.True(JsonNodes.DeepEquals(J(expected), actual), $"expected {expected} got {JsonText.Serialize(actual)}");

    [Theory]
    // RFC 7386 appendix A.
    [InlineData("""{"a":"b"}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"b":"c"}""", """{"a":"b","b":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"a":null}""", """{}""")]
    [InlineData("""{"a":"b","b":"c"}""", """{"a":null}""", """{"b":"c"}""")]
    [InlineData("""{"a":["b"]}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"c"}""", """{"a":["b"]}""", """{"a":["b"]}""")]
    [InlineData("""{"a":{"b":"c"}}""", """{"a":{"b":"d","c":null}}""", """{"a":{"b":"d"}}""")]
    [InlineData("""{"a":[{"b":"c"}]}""", """{"a":[1]}""", """{"a":[1]}""")]
    [InlineData("""["a","b"]""", """["c","d"]""", """["c","d"]""")]
    [InlineData("""{"a":"b"}""", """["c"]""", """["c"]""")]
    [InlineData("""{"e":null}""", """{"a":1}""", """{"e":null,"a":1}""")]
    [InlineData("""[1,2]""", """{"a":"b","c":null}""", """{"a":"b"}""")]
    [InlineData("""{}""", """{"a":{"bb":{"ccc":null}}}""", """{"a":{"bb":{}}}""")]
    public void MergePatchFollowsRfc7386(string target, string patch, string result) =>
        Same(result, JsonMergePatch.Apply(J(target), J(patch)));

    [Fact]
    public void JsonPatchOperations()
    {
        var doc = J("""{"spec":{"list":[1,2],"name":"a"}}""");
        var patched = JsonPatch.Apply(doc, J("""
            [{"op":"add","path":"/spec/list/-","value":3},
             {"op":"add","path":"/spec/list/0","value":0},
             {"op":"replace","path":"/spec/name","value":"b"},
             {"op":"copy","from":"/spec/name","path":"/spec/copy"},
             {"op":"move","from":"/spec/copy","path":"/spec/moved"},
             {"op":"remove","path":"/spec/list/1"},
             {"op":"test","path":"/spec/moved","value":"b"},
             {"op":"add","path":"/spec/a~1b","value":true}]
            """));
        Same("""{"spec":{"list":[0,2,3],"name":"b","moved":"b","a/b":true}}""", patched);
        Same("""{"spec":{"list":[1,2],"name":"a"}}""", doc);
    }

    [Theory]
    [InlineData("""[{"op":"test","path":"/a","value":2}]""")]
    [InlineData("""[{"op":"replace","path":"/b/0","value":2}]""")]
    [InlineData("""[{"op":"remove","path":"/missing"}]""")]
    [InlineData("""[{"op":"bogus","path":"/a"}]""")]
    public void FailingJsonPatchesDoNotApply(string patch) =>
        Assert.Throws<PatchApplyException>(() => JsonPatch.Apply(J("""{"a":1}"""), J(patch)));

    // The API server compares a test value's scalars by their JSON text as Go writes them (golden 83, 84, 86).
    [Theory]
    [InlineData("""{"s":"'x'"}""", """[{"op":"test","path":"/s","value":"'x'"}]""", true)]
    [InlineData("""{"s":"'x'"}""", """[{"op":"test","path":"/s","value":"\u0027x\u0027"}]""", false)]
    [InlineData("""{"s":"say \"hi\""}""", """[{"op":"test","path":"/s","value":"say \"hi\""}]""", true)]
    [InlineData("""{"s":"say \"hi\""}""", """[{"op":"test","path":"/s","value":"say \u0022hi\u0022"}]""", false)]
    [InlineData("""{"s":"a&b<c>"}""", """[{"op":"test","path":"/s","value":"a\u0026b\u003cc\u003e"}]""", true)]
    [InlineData("""{"s":"a&b<c>"}""", """[{"op":"test","path":"/s","value":"a&b<c>"}]""", false)]
    [InlineData("""{"s":"é\u2028"}""", """[{"op":"test","path":"/s","value":"é\u2028"}]""", true)]
    [InlineData("""{"s":"é"}""", """[{"op":"test","path":"/s","value":"\u00e9"}]""", false)]
    [InlineData("""{"s":"a\nb\u0001"}""", """[{"op":"test","path":"/s","value":"a\nb\u0001"}]""", true)]
    [InlineData("""{"s":"a\nb"}""", """[{"op":"test","path":"/s","value":"a\u000ab"}]""", false)]
    [InlineData("""{"n":2}""", """[{"op":"test","path":"/n","value":2}]""", true)]
    [InlineData("""{"n":2}""", """[{"op":"test","path":"/n","value":2.0}]""", false)]
    [InlineData("""{"n":2.5}""", """[{"op":"test","path":"/n","value":2.50}]""", false)]
    [InlineData("""{"o":{"a":"'","b":[1,"&"]}}""", """[{"op":"test","path":"/o","value":{ "b" : [ 1 , "\u0026" ], "a" : "'" }}]""", true)]
    [InlineData("""{"o":{"a":"'","b":[1,"&"]}}""", """[{"op":"test","path":"/o","value":{"b":[1,"\u0026"],"a":"\u0027"}}]""", false)]
    [InlineData("""{"o":{"a":1}}""", """[{"op":"test","path":"/o","value":{"a":1,"b":2}}]""", false)]
    [InlineData("""{"o":{"a":null}}""", """[{"op":"test","path":"/o","value":{"a":null}}]""", true)]
    [InlineData("""{"o":{}}""", """[{"op":"test","path":"/o/missing","value":null}]""", true)]
    [InlineData("""{"o":{}}""", """[{"op":"test","path":"/o/missing/deeper","value":null}]""", false)]
    [InlineData("""{"b":true}""", """[{"op":"test","path":"/b","value":true}]""", true)]
    public void JsonPatchTestComparesScalarsByGoText(string doc, string patch, bool passes)
    {
        var raw = System.Text.Encoding.UTF8.GetBytes(patch);
        if (passes)
        {
            JsonPatch.Apply(J(doc), J(patch), raw);
        }
        else
        {
            Assert.Throws<PatchApplyException>(() => JsonPatch.Apply(J(doc), J(patch), raw));
        }
    }

    [Fact]
    public void StrategicMergeMergesListsByKeyAndReplacesOthers()
    {
        var deployment = (JsonObject)J("""
            {"spec":{"template":{"spec":{
              "containers":[{"name":"a","image":"x","args":["1","2"],"env":[{"name":"E1","value":"1"}],"ports":[{"containerPort":80,"protocol":"TCP"}]},
                            {"name":"b","image":"y"}],
              "volumes":[{"name":"v1","emptyDir":{}}],
              "tolerations":[{"key":"t1"}]}}}}
            """)!;
        var patch = (JsonObject)J("""
            {"spec":{"template":{"spec":{
              "containers":[{"name":"a","args":["3"],"env":[{"name":"E2","value":"2"}],"ports":[{"containerPort":81}]},
                            {"name":"b","$patch":"delete"},
                            {"name":"c","image":"z"}],
              "volumes":[{"name":"v2","emptyDir":{}}],
              "tolerations":[{"key":"t2"}]}}}}
            """)!;
        var result = StrategicMergePatch.Apply(deployment, patch, BuiltinTypeInfo.Root);
        Same("""
            {"spec":{"template":{"spec":{
              "containers":[{"name":"a","image":"x","args":["3"],"env":[{"name":"E1","value":"1"},{"name":"E2","value":"2"}],
                             "ports":[{"containerPort":80,"protocol":"TCP"},{"containerPort":81}]},
                            {"name":"c","image":"z"}],
              "volumes":[{"name":"v1","emptyDir":{}},{"name":"v2","emptyDir":{}}],
              "tolerations":[{"key":"t2"}]}}}}
            """, result);
    }

    [Fact]
    public void StrategicMergeDirectives()
    {
        var obj = (JsonObject)J("""{"metadata":{"labels":{"a":"1","b":"2"},"finalizers":["x","y"]},"spec":{"selector":{"a":"1"}}}""")!;
        var result = StrategicMergePatch.Apply(obj, (JsonObject)J("""
            {"metadata":{"labels":{"$patch":"replace","c":"3"},"$deleteFromPrimitiveList/finalizers":["x"]},"spec":{"selector":{"$retainKeys":[],"b":"2"}}}
            """)!, BuiltinTypeInfo.Root);
        Same("""{"metadata":{"labels":{"c":"3"},"finalizers":["y"]},"spec":{"selector":{"b":"2"}}}""", result);
    }

    [Fact]
    public async Task StrategicMergeIsUnsupportedForCustomResources()
    {
        await using var sandbox = await Sandboxes.StartAsync(crd: true);
        sandbox.Store.Create(Gvr.RayClusters, Manifests.RayCluster());
        var error = Assert.Throws<ApiException>(() => sandbox.Store.Patch(Gvr.RayClusters, "default", "ray-cluster", PatchType.StrategicMergePatch, "{}"));
        Assert.Equal(415, error.Code);
        Assert.Equal("the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml", error.Message);
    }

    [Fact]
    public async Task ServerSideApplyOwnsFieldsDetectsConflictsAndForces()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        var store = sandbox.Store;
        const string first = """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg","labels":{"team":"a"}},"data":{"x":"1","y":"2"}}""";
        var created = store.Patch(Gvr.ConfigMaps, "default", "cfg", PatchType.Apply, first, new PatchOptions { FieldManager = "alice" });
        Same("""{"x":"1","y":"2"}""", created["data"]);

        // Same values from another manager: shared ownership, no conflict.
        store.Patch(Gvr.ConfigMaps, "default", "cfg", PatchType.Apply,
            """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg"},"data":{"x":"1"}}""", new PatchOptions { FieldManager = "bob" });

        // A different value conflicts.
        var conflict = Assert.Throws<ApiException>(() => store.Patch(Gvr.ConfigMaps, "default", "cfg", PatchType.Apply,
            """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg"},"data":{"y":"9"}}""", new PatchOptions { FieldManager = "bob" }));
        Assert.Equal(409, conflict.Code);
        Assert.Equal("Conflict", conflict.Reason);
        Assert.Equal("Apply failed with 1 conflict: conflict with \"alice\": .data.y", conflict.Message);
        Assert.Equal("FieldManagerConflict", conflict.Details!.Causes![0].Reason);

        // force takes the field over.
        var forced = store.Patch(Gvr.ConfigMaps, "default", "cfg", PatchType.Apply,
            """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg"},"data":{"x":"1","y":"9"}}""", new PatchOptions { FieldManager = "bob", Force = true });
        Assert.Equal("9", JsonNodes.StringAt(forced, "data", "y"));
        var entries = ManagedFields.Read(forced);
        Assert.DoesNotContain(entries.Single(e => e.Manager == "alice").Paths, p => p.Contains("f:y", StringComparison.Ordinal));

        // alice stops applying x: bob still owns it, so it stays; alice's label goes away.
        var reapplied = store.Patch(Gvr.ConfigMaps, "default", "cfg", PatchType.Apply,
            """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg"},"data":{}}""", new PatchOptions { FieldManager = "alice" });
        Same("""{"x":"1","y":"9"}""", reapplied["data"]);
        Assert.Null(ObjectMeta.Labels(reapplied)?["team"]);
    }

    [Fact]
    public async Task ApplyRequiresAFieldManager()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        var error = Assert.Throws<ApiException>(() => sandbox.Store.Patch(Gvr.ConfigMaps, "default", "cfg", PatchType.Apply,
            """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg"}}"""));
        Assert.Equal(422, error.Code);
        Assert.Equal("PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch", error.Message);
    }

    [Fact]
    public async Task UpdatesRecordManagersPerWrite()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        var store = sandbox.Store;
        store.Create(Gvr.ConfigMaps, Objects.ConfigMap("cfg"), new WriteOptions { FieldManager = "creator" });
        var patched = store.Patch(Gvr.ConfigMaps, "default", "cfg", PatchType.MergePatch, """{"data":{"extra":"1"}}""", new PatchOptions { FieldManager = "editor" });
        var entries = ManagedFields.Read(patched);
        Assert.Contains(entries.Single(e => e.Manager == "creator").Paths, p => p.EndsWith("f:k", StringComparison.Ordinal));
        Assert.Contains(entries.Single(e => e.Manager == "editor").Paths, p => p.EndsWith("f:extra", StringComparison.Ordinal));
        Assert.All(entries, e => Assert.Equal("Update", e.Operation));
    }
}
