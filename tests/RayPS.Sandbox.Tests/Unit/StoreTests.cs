namespace RayPS.Sandbox.Tests.Unit;

public sealed class StoreTests() : SandboxTest(crd: true)
{
    private ObjectStore Store => Sandbox.Store;

    [Fact]
    public void ResourceVersionsComeFromOneIncreasingCounter()
    {
        var a = Store.Create(Gvr.ConfigMaps, Objects.ConfigMap("rv-a"));
        var b = Store.Create(Gvr.ConfigMaps, Objects.ConfigMap("rv-b"));
        Assert.True(long.Parse(ObjectMeta.ResourceVersion(b)) > long.Parse(ObjectMeta.ResourceVersion(a)));
        Assert.Equal(ObjectMeta.ResourceVersion(b), Store.ResourceVersion.ToString());
        Assert.NotEqual(ObjectMeta.Uid(a), ObjectMeta.Uid(b));
    }

    [Fact]
    public void GenerationTracksSpecChangesOnly()
    {
        var created = Store.Create(Gvr.RayClusters, Manifests.RayCluster("gen"));
        Assert.Equal(1, ObjectMeta.Generation(created));
        var labelled = Store.Patch(Gvr.RayClusters, "default", "gen", PatchType.MergePatch, """{"metadata":{"labels":{"x":"y"}}}""");
        Assert.Equal(1, ObjectMeta.Generation(labelled));
        var status = Store.Patch(Gvr.RayClusters, "default", "gen", PatchType.MergePatch, """{"status":{"state":"ready"},"spec":{"suspend":true}}""", subresource: "status");
        Assert.Equal(1, ObjectMeta.Generation(status));
        Assert.Null(status["spec"]!["suspend"]);
        Assert.Equal("ready", JsonNodes.StringAt(status, "status", "state"));
        var spec = Store.Patch(Gvr.RayClusters, "default", "gen", PatchType.MergePatch, """{"spec":{"suspend":true},"status":{"state":"ignored"}}""");
        Assert.Equal(2, ObjectMeta.Generation(spec));
        Assert.Equal("ready", JsonNodes.StringAt(spec, "status", "state"));
        var noop = Store.Patch(Gvr.RayClusters, "default", "gen", PatchType.MergePatch, """{"spec":{"suspend":true}}""");
        Assert.Equal(ObjectMeta.ResourceVersion(spec), ObjectMeta.ResourceVersion(noop));
    }

    [Fact]
    public void UpdatesNeedTheCurrentResourceVersion()
    {
        var created = Store.Create(Gvr.RayClusters, Manifests.RayCluster("cas"));
        var stale = (JsonObject)created.DeepClone();
        Store.Patch(Gvr.RayClusters, "default", "cas", PatchType.MergePatch, """{"metadata":{"annotations":{"a":"b"}}}""");
        var conflict = Assert.Throws<ApiException>(() => Store.Update(Gvr.RayClusters, stale));
        Assert.Equal(409, conflict.Code);
        Assert.Equal("Operation cannot be fulfilled on rayclusters.ray.io \"cas\": the object has been modified; please apply your changes to the latest version and try again", conflict.Message);

        ObjectMeta.Meta(stale).Remove("resourceVersion");
        var unconditional = Assert.Throws<ApiException>(() => Store.Update(Gvr.RayClusters, stale));
        Assert.Equal(422, unconditional.Code);

        // Built-in kinds accept unconditional updates.
        var cm = Store.Create(Gvr.ConfigMaps, Objects.ConfigMap("cas-cm"));
        ObjectMeta.Meta(cm).Remove("resourceVersion");
        cm["data"]!["k"] = "changed";
        Assert.Equal("changed", JsonNodes.StringAt(Store.Update(Gvr.ConfigMaps, cm), "data", "k"));
    }

    [Fact]
    public void CreateErrorsMatchTheApiserver()
    {
        Store.Create(Gvr.ConfigMaps, Objects.ConfigMap("dup"));
        var duplicate = Assert.Throws<ApiException>(() => Store.Create(Gvr.ConfigMaps, Objects.ConfigMap("dup")));
        Assert.Equal((409, "configmaps \"dup\" already exists"), (duplicate.Code, duplicate.Message));

        var missingNs = Assert.Throws<ApiException>(() => Store.Create(Gvr.ConfigMaps, Objects.ConfigMap("x", "no-such-ns")));
        Assert.Equal((404, "namespaces \"no-such-ns\" not found"), (missingNs.Code, missingNs.Message));

        var badName = Assert.Throws<ApiException>(() => Store.Create(Gvr.ConfigMaps, Objects.ConfigMap("Bad_Name")));
        Assert.Equal(422, badName.Code);
        Assert.StartsWith("ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain", badName.Message);

        var missing = Assert.Throws<ApiException>(() => Store.Get(Gvr.RayClusters, "default", "nope"));
        Assert.Equal("rayclusters.ray.io \"nope\" not found", missing.Message);
    }

    [Fact]
    public void GenerateNameDryRunAndDeleteAnswers()
    {
        var generated = Objects.ConfigMap("");
        ObjectMeta.Meta(generated).Remove("name");
        ObjectMeta.Meta(generated)["generateName"] = "gen-";
        var created = Store.Create(Gvr.ConfigMaps, generated);
        Assert.Matches("^gen-[a-z0-9]{5}$", ObjectMeta.Name(created));

        var dry = Store.Create(Gvr.ConfigMaps, Objects.ConfigMap("dry"), new WriteOptions { DryRun = true });
        Assert.Equal("", ObjectMeta.ResourceVersion(dry));
        Assert.NotEqual("", ObjectMeta.Uid(dry));
        Assert.Null(Store.TryGet(Gvr.ConfigMaps, "default", "dry"));

        var status = Store.Delete(Gvr.ConfigMaps, "default", ObjectMeta.Name(created));
        Assert.Equal("Status", JsonNodes.GetString(status["kind"]));
        Assert.Equal("Success", JsonNodes.GetString(status["status"]));

        Store.Create(Gvr.RayClusters, Manifests.RayCluster("deleted"));
        var deleted = Store.Delete(Gvr.RayClusters, "default", "deleted");
        Assert.Equal("rayclusters", JsonNodes.StringAt(deleted, "details", "kind"));
        Assert.Equal("ray.io", JsonNodes.StringAt(deleted, "details", "group"));

        var pod = Store.Create(Gvr.Pods, Objects.Pod("deleted-pod"));
        Assert.Equal("Pod", JsonNodes.GetString(Store.Delete(Gvr.Pods, "default", "deleted-pod")["kind"]));
    }

    [Fact]
    public void FinalizersHoldDeletionUntilRemoved()
    {
        var cm = Objects.ConfigMap("held");
        ObjectMeta.Meta(cm)["finalizers"] = new JsonArray("example.com/hold");
        Store.Create(Gvr.ConfigMaps, cm);
        var pending = Store.Delete(Gvr.ConfigMaps, "default", "held");
        Assert.NotNull(ObjectMeta.DeletionTimestamp(pending));
        Assert.NotNull(Store.TryGet(Gvr.ConfigMaps, "default", "held"));
        Store.Patch(Gvr.ConfigMaps, "default", "held", PatchType.MergePatch, """{"metadata":{"finalizers":null}}""");
        Assert.Null(Store.TryGet(Gvr.ConfigMaps, "default", "held"));
    }

    [Fact]
    public void ListsPageWithContinueTokens()
    {
        for (var i = 0; i < 5; i++)
        {
            Store.Create(Gvr.ConfigMaps, Objects.ConfigMap("page-" + i, labels: new() { ["page"] = "yes" }));
        }
        var first = Store.List(Gvr.ConfigMaps, "default", new ListOptions { LabelSelector = "page", Limit = 2 });
        Assert.Equal(2, ((JsonArray)first["items"]!).Count);
        // The etcd3 store counts the remaining items only for an unfiltered list.
        Assert.Null(JsonNodes.At(first, "metadata", "remainingItemCount"));
        var unfiltered = Store.List(Gvr.ConfigMaps, "default", new ListOptions { Limit = 2 });
        var total = ((JsonArray)Store.List(Gvr.ConfigMaps, "default")["items"]!).Count;
        Assert.Equal(total - 2, JsonNodes.GetInteger(JsonNodes.At(unfiltered, "metadata", "remainingItemCount")));
        var rest = Store.List(Gvr.ConfigMaps, "default", new ListOptions { LabelSelector = "page", Continue = JsonNodes.StringAt(first, "metadata", "continue") });
        Assert.Equal(["page-2", "page-3", "page-4"], ((JsonArray)rest["items"]!).Select(i => ObjectMeta.Name((JsonObject)i!)));
    }

    [Fact]
    public void ServicesGetClusterIPsAndDefaults()
    {
        var svc = Store.Create(Gvr.Services, (JsonObject)JsonText.Parse("""
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"default"},"spec":{"type":"NodePort","selector":{"app":"web"},"ports":[{"port":80,"targetPort":"http"}]}}
            """)!);
        var spec = (JsonObject)svc["spec"]!;
        Assert.StartsWith("10.96.", JsonNodes.GetString(spec["clusterIP"]));
        Assert.Equal("SingleStack", JsonNodes.GetString(spec["ipFamilyPolicy"]));
        Assert.Equal("TCP", JsonNodes.StringAt(spec["ports"]![0], "protocol"));
        Assert.InRange(JsonNodes.GetInteger(spec["ports"]![0]!["nodePort"]) ?? 0, 30000, 32767);
        Assert.Equal("Cluster", JsonNodes.GetString(spec["externalTrafficPolicy"]));
    }
}
