using RayPS.Sandbox.ControllerManager;

namespace RayPS.Sandbox.Tests.Unit;

/// <summary>
/// What keeps the store bounded and fast at scale: a history capped by size that still answers 410 below its window,
/// snapshots rebuilt from that compact history, event expiry, the owner index behind cascading deletion, and lists that
/// stay consistent while writers carry on.
/// </summary>
public sealed class StoreScaleTests
{
    private static async Task<List<WatchEvent>> Watch(ObjectStore store, string resourceVersion, int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var events = new List<WatchEvent>();
        await foreach (var e in store.WatchAsync(Gvr.ConfigMaps, "default", new WatchOptions { ResourceVersion = resourceVersion }, timeout.Token))
        {
            events.Add(e);
            if (events.Count == count)
            {
                break;
            }
        }
        return events;
    }

    private static JsonObject BigConfigMap(string name, int bytes)
    {
        var map = Objects.ConfigMap(name);
        map["data"] = new JsonObject { ["blob"] = new string('x', bytes) };
        return map;
    }

    [Fact]
    public async Task TheHistoryByteLimitDropsOldChangesAndTheyAreGone()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        var store = sandbox.Store;
        store.HistoryByteLimit = 50_000;
        var old = store.ResourceVersion.ToString();
        for (var i = 0; i < 10; i++)
        {
            store.Create(Gvr.ConfigMaps, BigConfigMap("big-" + i, 10_000));
        }

        var expired = Assert.Single(await Watch(store, old, 1));
        Assert.Equal("ERROR", expired.Type);
        Assert.Equal(410, JsonNodes.GetInteger(expired.Object["code"]));
        var listGone = Assert.Throws<ApiException>(() =>
            store.List(Gvr.ConfigMaps, "default", new ListOptions { ResourceVersion = old, ResourceVersionMatch = "Exact" }));
        Assert.Equal(410, listGone.Code);

        // The newest changes are still there, decoded from the compact history exactly as they were stored.
        var recent = store.ResourceVersion - 2;
        var replayed = await Watch(store, recent.ToString(), 2);
        Assert.Equal(["ADDED", "ADDED"], replayed.Select(e => e.Type));
        Assert.Equal(["big-8", "big-9"], replayed.Select(e => ObjectMeta.Name(e.Object)));
        Assert.True(JsonNodes.DeepEquals(store.Get(Gvr.ConfigMaps, "default", "big-9"), replayed[1].Object));
    }

    [Fact]
    public async Task SnapshotsRebuiltFromTheHistoryShowEarlierVersions()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        var store = sandbox.Store;
        store.Create(Gvr.ConfigMaps, Objects.ConfigMap("snap-a", labels: new() { ["v"] = "1" }));
        store.Create(Gvr.ConfigMaps, Objects.ConfigMap("snap-b"));
        var then = store.ResourceVersion.ToString();
        store.Patch(Gvr.ConfigMaps, "default", "snap-a", PatchType.MergePatch, """{"metadata":{"labels":{"v":"2"}}}""");
        store.Delete(Gvr.ConfigMaps, "default", "snap-b");
        store.Create(Gvr.ConfigMaps, Objects.ConfigMap("snap-c"));

        var labelled = store.ListItems(Gvr.ConfigMaps, "default", new ListOptions { ResourceVersion = then, ResourceVersionMatch = "Exact", LabelSelector = "v" });
        Assert.Equal("1", JsonNodes.StringAt(Assert.Single(labelled), "metadata", "labels", "v"));
        var names = store.ListItems(Gvr.ConfigMaps, "default", new ListOptions { ResourceVersion = then, ResourceVersionMatch = "Exact" })
            .Select(ObjectMeta.Name).Where(n => n.StartsWith("snap-", StringComparison.Ordinal));
        Assert.Equal(["snap-a", "snap-b"], names);
    }

    [Fact]
    public async Task EventsExpireAfterTheirTtl()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        var store = sandbox.Store;
        store.EventTtl = TimeSpan.FromMilliseconds(200);
        var from = store.ResourceVersion.ToString();
        var involved = store.Create(Gvr.ConfigMaps, Objects.ConfigMap("involved"));
        RayPS.Sandbox.Cluster.ClusterEvents.Record(store, involved, "Normal", "Tested", "first", "test");
        Assert.Single(store.ListItems(Gvr.Events, "default"));

        await Task.Delay(400);
        // Expiry happens at the next read of events (or any write).
        Assert.Empty(store.ListItems(Gvr.Events, "default"));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var seen = new List<string>();
        await foreach (var e in store.WatchAsync(Gvr.Events, "default", new WatchOptions { ResourceVersion = from }, timeout.Token))
        {
            seen.Add(e.Type);
            if (seen.Count == 2)
            {
                break;
            }
        }
        Assert.Equal(["ADDED", "DELETED"], seen);

        // A fresh event is not expired by an unrelated write.
        RayPS.Sandbox.Cluster.ClusterEvents.Record(store, involved, "Normal", "Tested", "second", "test");
        store.Create(Gvr.ConfigMaps, Objects.ConfigMap("unrelated"));
        Assert.Single(store.ListItems(Gvr.Events, "default"));
    }

    [Fact]
    public async Task TheOwnerIndexFollowsOwnerReferencesForCascadingDeletion()
    {
        await using var sandbox = await Sandboxes.StartAsync(controllers: SandboxControllers.None);
        var store = sandbox.Store;
        var owner = store.Create(Gvr.ConfigMaps, Objects.ConfigMap("owner"));
        var other = store.Create(Gvr.ConfigMaps, Objects.ConfigMap("other-owner"));
        for (var i = 0; i < 3; i++)
        {
            store.Create(Gvr.Pods, Objects.Pod("child-" + i));
            store.Patch(Gvr.Pods, "default", "child-" + i, PatchType.MergePatch,
                new JsonObject { ["metadata"] = new JsonObject { ["ownerReferences"] = new JsonArray(Objects.OwnerRef(owner)) } }.ToJsonString());
        }
        // child-2 moves to another owner: the index must follow.
        store.Patch(Gvr.Pods, "default", "child-2", PatchType.MergePatch,
            new JsonObject { ["metadata"] = new JsonObject { ["ownerReferences"] = new JsonArray(Objects.OwnerRef(other)) } }.ToJsonString());
        await sandbox.WaitForIdleAsync();

        store.Delete(Gvr.ConfigMaps, "default", "owner");
        await sandbox.WaitForIdleAsync();
        var left = store.ListItems(Gvr.Pods, "default").Where(p => ObjectMeta.DeletionTimestamp(p) is null).Select(ObjectMeta.Name);
        Assert.Equal(["child-2"], left);
        Assert.Equal(ObjectMeta.Uid(other), ObjectMeta.Uid(store.Get(Gvr.ConfigMaps, "default", "other-owner")));
    }

    [Fact]
    public async Task ListsStayConsistentWhileWritersCarryOn()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        var store = sandbox.Store;
        for (var i = 0; i < 50; i++)
        {
            store.Create(Gvr.ConfigMaps, Objects.ConfigMap($"steady-{i:D2}", labels: new() { ["set"] = "steady" }));
        }
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        var writer = Task.Run(() =>
        {
            var n = 0;
            while (!stop.IsCancellationRequested)
            {
                var name = "churn-" + (n % 20);
                if (store.TryGet(Gvr.ConfigMaps, "default", name) is null)
                {
                    store.Create(Gvr.ConfigMaps, Objects.ConfigMap(name, labels: new() { ["set"] = "churn" }));
                }
                else
                {
                    store.Delete(Gvr.ConfigMaps, "default", name);
                }
                store.Patch(Gvr.ConfigMaps, "default", $"steady-{n % 50:D2}", PatchType.MergePatch,
                    "{\"data\":{\"n\":\"" + n + "\"}}");
                n++;
            }
        });
        var lists = 0;
        while (!stop.IsCancellationRequested)
        {
            var list = store.List(Gvr.ConfigMaps, "default", new ListOptions { LabelSelector = "set=steady" });
            var items = ((JsonArray)list["items"]!).OfType<JsonObject>().ToList();
            Assert.Equal(50, items.Count);
            var names = items.Select(ObjectMeta.Name).ToList();
            Assert.Equal(names.Order(StringComparer.Ordinal), names);
            var listRv = long.Parse(JsonNodes.StringAt(list, "metadata", "resourceVersion")!);
            Assert.All(items, item => Assert.True(long.Parse(ObjectMeta.ResourceVersion(item)) <= listRv));
            lists++;
        }
        await writer;
        Assert.True(lists > 0);
    }

    [Fact]
    public async Task ListJsonWrittenFromStoredItemsIsTheListObjectsJson()
    {
        await using var sandbox = await Sandboxes.StartAsync(crd: true);
        var store = sandbox.Store;
        store.Create(Gvr.RayClusters, Manifests.RayCluster("json-a"));
        store.Create(Gvr.RayClusters, Manifests.RayCluster("json-b"));
        var unicode = Objects.ConfigMap("json-unicode");
        unicode["data"] = new JsonObject { ["text"] = "caf\u00e9 \u20ac \ud83d\ude00 <&> " + new string('\u00e9', 20_000) };
        store.Create(Gvr.ConfigMaps, unicode);
        foreach (var (gvr, options) in new[]
        {
            (Gvr.ConfigMaps, new ListOptions()),
            (Gvr.RayClusters, new ListOptions()),
            (Gvr.RayClusters, new ListOptions { Limit = 1 }),
            (Gvr.ConfigMaps, new ListOptions { LabelSelector = "none=here" }),
            (Gvr.Namespaces, new ListOptions()),
        })
        {
            var page = store.ListStored(gvr, null, options);
            Assert.Equal(JsonText.SerializeToUtf8(page.ToJson()), page.ToUtf8());
        }
    }
}
