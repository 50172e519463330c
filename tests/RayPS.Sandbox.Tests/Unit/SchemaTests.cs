using RayPS.Sandbox.Resources;
using RayPS.Sandbox.Schema;

namespace RayPS.Sandbox.Tests.Unit;

public sealed class SchemaTests
{
    private static readonly StructuralSchema Schema = StructuralSchema.Parse((JsonObject)JsonText.Parse("""
        {"type":"object","properties":{
          "apiVersion":{"type":"string"},"kind":{"type":"string"},"metadata":{"type":"object"},
          "spec":{"type":"object","required":["size"],"properties":{
            "size":{"type":"integer","minimum":1},
            "mode":{"type":"string","enum":["fast","slow"],"default":"fast"},
            "quantity":{"x-kubernetes-int-or-string":true,"anyOf":[{"type":"integer"},{"type":"string"}]},
            "items":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["name"],
                     "items":{"type":"object","required":["name"],"properties":{"name":{"type":"string"},"port":{"type":"integer","default":80}}}},
            "free":{"type":"object","x-kubernetes-preserve-unknown-fields":true},
            "labels":{"type":"object","additionalProperties":{"type":"string"}},
            "owner":{"type":"string","x-kubernetes-validations":[{"rule":"self == oldSelf","message":"owner is immutable"},{"rule":"self in ['a', 'b']","message":"owner must be a or b"}]}}}}}
        """)!);

    private static JsonObject Obj(string spec) => (JsonObject)JsonText.Parse("""{"apiVersion":"x.io/v1","kind":"X","metadata":{"name":"n","bogusMeta":1},"spec":""" + spec + "}")!;

    [Fact]
    public void PruningDropsUndeclaredFieldsAndReportsTheirPaths()
    {
        var obj = Obj("""{"size":1,"bogus":1,"items":[{"name":"a","extra":true}],"free":{"anything":{"goes":1}},"labels":{"k":"v"}}""");
        var pruned = SchemaPruner.PruneResource(obj, Schema);
        Assert.Equal(["metadata.bogusMeta", "spec.bogus", "spec.items[0].extra"], pruned);
        Assert.Null(obj["spec"]!["bogus"]);
        Assert.Equal(1, JsonNodes.GetInteger(JsonNodes.At(obj, "spec", "free", "anything", "goes")));
        Assert.Equal("v", JsonNodes.StringAt(obj, "spec", "labels", "k"));
    }

    [Fact]
    public void DefaultsApplyTopDownAndInsideListItems()
    {
        var obj = Obj("""{"size":1,"items":[{"name":"a"},{"name":"b","port":90}],"mode":null}""");
        SchemaDefaulter.Apply(obj, Schema);
        Assert.Equal("fast", JsonNodes.StringAt(obj, "spec", "mode"));
        Assert.Equal(80, JsonNodes.GetInteger(obj["spec"]!["items"]![0]!["port"]));
        Assert.Equal(90, JsonNodes.GetInteger(obj["spec"]!["items"]![1]!["port"]));
    }

    [Fact]
    public void ValidationMessagesMatchTheApiserver()
    {
        var errors = SchemaValidator.Validate(Obj("""{"size":"big","mode":"other","quantity":true,"items":[{"name":"a"},{"name":"a"},{}]}"""), null, Schema);
        var messages = errors.Select(e => e.ToString()).ToList();
        Assert.Contains("spec.size: Invalid value: \"string\": spec.size in body must be of type integer: \"string\"", messages);
        Assert.Contains("spec.mode: Unsupported value: \"other\": supported values: \"fast\", \"slow\"", messages);
        Assert.Contains("spec.quantity: Invalid value: \"boolean\": spec.quantity in body must be of type integer,string: \"boolean\"", messages);
        Assert.Contains("spec.items[2].name: Required value", messages);
        Assert.Contains("spec.items[1]: Duplicate value: map[string]interface {}{\"name\":\"a\"}", messages);
        // Type errors block the CEL rules, which the apiserver reports once.
        Assert.Equal("<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation", messages[^1]);
        Assert.Contains("spec.size: Required value", SchemaValidator.Validate(Obj("{}"), null, Schema).Select(e => e.ToString()));
        Assert.Contains("spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1",
            SchemaValidator.Validate(Obj("""{"size":0}"""), null, Schema).Select(e => e.ToString()));
    }

    [Fact]
    public void RecognisedCelRulesAreEnforced()
    {
        Assert.Empty(SchemaValidator.Validate(Obj("""{"size":1,"owner":"a"}"""), null, Schema));
        Assert.Equal(["spec.owner: Invalid value: \"c\": owner must be a or b"],
            SchemaValidator.Validate(Obj("""{"size":1,"owner":"c"}"""), null, Schema).Select(e => e.ToString()));
        Assert.Equal(["spec.owner: Invalid value: \"b\": owner is immutable"],
            SchemaValidator.Validate(Obj("""{"size":1,"owner":"b"}"""), Obj("""{"size":1,"owner":"a"}"""), Schema).Select(e => e.ToString()));
    }

    [Fact]
    public void QuantitiesAreCanonical()
    {
        Assert.Equal("4", Quantity.Canonicalize(JsonValue.Create(4L)));
        Assert.Equal("500m", Quantity.Canonicalize(JsonValue.Create("0.5")));
        Assert.Equal("1", Quantity.Canonicalize(JsonValue.Create("1000m")));
        Assert.Equal("1Gi", Quantity.Canonicalize(JsonValue.Create("1024Mi")));
        Assert.Equal("1536Mi", Quantity.Canonicalize(JsonValue.Create("1536Mi")));
        Assert.Equal("1k", Quantity.Canonicalize(JsonValue.Create("1000")));
        Assert.Equal("16384", Quantity.Canonicalize(JsonValue.Create("16384")));
        Assert.Equal("40Gi", Quantity.Canonicalize(JsonValue.Create("40Gi")));
        Assert.Null(Quantity.Canonicalize(JsonValue.Create("lots")));
    }

    [Fact]
    public async Task FieldValidationModesOnCustomResources()
    {
        await using var sandbox = await Sandboxes.StartAsync(crd: true);
        var withBogus = Manifests.RayCluster("strict");
        withBogus["spec"]!["bogus"] = 1;

        var strict = Assert.Throws<ApiException>(() => sandbox.Store.Create(Gvr.RayClusters, withBogus, new WriteOptions { FieldValidation = FieldValidation.Strict }));
        Assert.Equal(400, strict.Code);
        Assert.Equal("RayCluster in version \"v1\" cannot be handled as a RayCluster: strict decoding error: unknown field \"spec.bogus\"", strict.Message);

        var warn = new WriteOptions();
        var created = sandbox.Store.Create(Gvr.RayClusters, withBogus, warn);
        Assert.Equal(["unknown field \"spec.bogus\""], warn.Warnings);
        Assert.Null(created["spec"]!["bogus"]);
        Assert.Equal(2147483647, JsonNodes.GetInteger(created["spec"]!["workerGroupSpecs"]![0]!["maxReplicas"]));

        var ignore = new WriteOptions { FieldValidation = FieldValidation.Ignore };
        withBogus["metadata"]!["name"] = "ignored";
        sandbox.Store.Create(Gvr.RayClusters, withBogus, ignore);
        Assert.Empty(ignore.Warnings);
    }

    [Fact]
    public async Task BuiltInDefaultsMatchTheRecordedPod()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        var pod = sandbox.Store.Create(Gvr.Pods, Manifests.HeadPod());
        var spec = (JsonObject)pod["spec"]!;
        Assert.Equal("Always", JsonNodes.GetString(spec["restartPolicy"]));
        Assert.Equal("ClusterFirst", JsonNodes.GetString(spec["dnsPolicy"]));
        Assert.Equal("default", JsonNodes.GetString(spec["serviceAccountName"]));
        Assert.Equal(30, JsonNodes.GetInteger(spec["terminationGracePeriodSeconds"]));
        Assert.Equal(0, JsonNodes.GetInteger(spec["priority"]));
        Assert.Equal(2, ((JsonArray)spec["tolerations"]!).Count);
        Assert.Equal("IfNotPresent", JsonNodes.StringAt(spec["containers"]![0], "imagePullPolicy"));
        Assert.Equal("4", JsonNodes.StringAt(spec["containers"]![0], "resources", "limits", "cpu"));
        Assert.Equal("Guaranteed", JsonNodes.StringAt(pod, "status", "qosClass"));
        Assert.StartsWith("kube-api-access-", JsonNodes.StringAt(spec["volumes"]![0], "name"));
        Assert.Equal("Always", PodSpecDefaults.DefaultPullPolicy("busybox"));
        Assert.Equal("Always", PodSpecDefaults.DefaultPullPolicy("registry:5000/busybox:latest"));
        Assert.Equal("IfNotPresent", PodSpecDefaults.DefaultPullPolicy("registry:5000/busybox:1.0"));
    }
}
