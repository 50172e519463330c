namespace RayPS.Sandbox.Tests.Unit;

public sealed class GarbageCollectionTests() : SandboxTest(crd: true, controllers: SandboxControllers.Deployment)
{
    private ObjectStore Store => Sandbox.Store;

    private async Task<(JsonObject Owner, string Dependent)> OwnerWithDependent(string name)
    {
        var owner = Store.Create(Gvr.RayClusters, Manifests.RayCluster(name));
        Store.Create(Gvr.ConfigMaps, Objects.ConfigMap(name + "-dep", ownerReference: Objects.OwnerRef(owner, blockOwnerDeletion: true)));
        await Sandbox.WaitForIdleAsync();
        return (owner, name + "-dep");
    }

    [Fact]
    public async Task BackgroundDeletionCollectsDependents()
    {
        var (_, dependent) = await OwnerWithDependent("bg");
        Store.Delete(Gvr.RayClusters, "default", "bg");
        await Sandbox.WaitForIdleAsync();
        Assert.Null(Store.TryGet(Gvr.ConfigMaps, "default", dependent));
    }

    [Fact]
    public async Task OrphanDeletionKeepsDependentsWithoutTheReference()
    {
        var (_, dependent) = await OwnerWithDependent("orphan");
        Store.Delete(Gvr.RayClusters, "default", "orphan", new DeleteOptions { PropagationPolicy = "Orphan" });
        await Sandbox.WaitForIdleAsync();
        Assert.Null(Store.TryGet(Gvr.RayClusters, "default", "orphan"));
        var kept = Store.Get(Gvr.ConfigMaps, "default", dependent);
        Assert.Empty(ObjectMeta.OwnerReferences(kept));
    }

    [Fact]
    public async Task ForegroundDeletionWaitsForDependents()
    {
        var (_, dependent) = await OwnerWithDependent("fg");
        var pending = Store.Delete(Gvr.RayClusters, "default", "fg", new DeleteOptions { PropagationPolicy = "Foreground" });
        Assert.Contains(ObjectStore.ForegroundFinalizer, ObjectMeta.Finalizers(pending));
        await Sandbox.WaitForIdleAsync();
        Assert.Null(Store.TryGet(Gvr.ConfigMaps, "default", dependent));
        Assert.Null(Store.TryGet(Gvr.RayClusters, "default", "fg"));
    }

    [Fact]
    public async Task DanglingOwnerReferencesAreCollected()
    {
        var orphan = Objects.ConfigMap("dangling", ownerReference: new JsonObject
        {
            ["apiVersion"] = "ray.io/v1", ["kind"] = "RayCluster", ["name"] = "gone", ["uid"] = Guid.NewGuid().ToString(),
        });
        Store.Create(Gvr.ConfigMaps, orphan);
        await Sandbox.WaitForIdleAsync();
        Assert.Null(Store.TryGet(Gvr.ConfigMaps, "default", "dangling"));
    }

    [Fact]
    public async Task DeletingADeploymentRemovesReplicaSetsAndPods()
    {
        Store.Create(Gvr.Deployments, Manifests.WorkerDeployment());
        await Sandbox.WaitForIdleAsync();
        Assert.Equal(2, Store.ListItems(Gvr.Pods, "default", new ListOptions { LabelSelector = "ray.io/group=workergroup" }).Count);
        var status = Store.Delete(Gvr.Deployments, "default", "ray-cluster-npu-workergroup");
        Assert.Equal("Success", JsonNodes.GetString(status["status"]));
        await Sandbox.WaitForIdleAsync();
        Assert.Empty(Store.ListItems(Gvr.ReplicaSets, "default"));
        Assert.Empty(Store.ListItems(Gvr.Pods, "default", new ListOptions { LabelSelector = "ray.io/group=workergroup" }));
    }

    [Fact]
    public async Task DeletingANamespaceRemovesItsContent()
    {
        Store.Create(Gvr.Namespaces, new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = "doomed" } });
        await Sandbox.WaitForIdleAsync();
        Assert.NotNull(Store.TryGet(Gvr.ServiceAccounts, "doomed", "default"));
        Store.Create(Gvr.RayClusters, Manifests.RayCluster("in-doomed", "doomed"));
        var terminating = Store.Delete(Gvr.Namespaces, null, "doomed");
        Assert.Equal("Terminating", JsonNodes.StringAt(terminating, "status", "phase"));
        var refused = Assert.Throws<ApiException>(() => Store.Create(Gvr.ConfigMaps, Objects.ConfigMap("late", "doomed")));
        // 403 while the namespace is terminating; 404 if the namespace controller already finished removing it.
        Assert.Contains(refused.Code, new[] { 403, 404 });
        await Sandbox.WaitForIdleAsync();
        Assert.Null(Store.TryGet(Gvr.Namespaces, null, "doomed"));
        Assert.Null(Store.TryGet(Gvr.RayClusters, "doomed", "in-doomed"));
    }

    [Fact]
    public async Task DeletingTheCrdRemovesItsResourcesAndStopsServingThem()
    {
        await using var sandbox = await Sandboxes.StartAsync(crd: true);
        using var client = new SandboxClient(sandbox);
        sandbox.Store.Create(Gvr.RayClusters, Manifests.RayCluster("doomed-cluster"));
        var deleting = sandbox.Store.Delete(Gvr.CustomResourceDefinitions, null, "rayclusters.ray.io");
        Assert.Contains(ObjectStore.CrdCleanupFinalizer, ObjectMeta.Finalizers(deleting));
        await sandbox.WaitForIdleAsync();
        Assert.Null(sandbox.Store.TryGet(Gvr.CustomResourceDefinitions, null, "rayclusters.ray.io"));
        var (status, body, response) = await client.GetAsync("/apis/ray.io/v1/rayclusters");
        Assert.Equal(404, status);
        Assert.Equal("404 page not found\n", JsonNodes.GetString(body));
        Assert.Equal("text/plain; charset=utf-8", response.Content.Headers.ContentType?.ToString());
    }
}
