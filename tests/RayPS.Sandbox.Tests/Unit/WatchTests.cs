namespace RayPS.Sandbox.Tests.Unit;

public sealed class WatchTests
{
    private static async Task<List<WatchEvent>> Collect(IAsyncEnumerable<WatchEvent> events, int count)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var result = new List<WatchEvent>();
        await foreach (var e in events.WithCancellation(cts.Token))
        {
            result.Add(e);
            if (result.Count == count)
            {
                break;
            }
        }
        return result;
    }

    [Fact]
    public async Task ResumesFromAResourceVersion()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        var store = sandbox.Store;
        var from = store.ResourceVersion.ToString();
        store.Create(Gvr.ConfigMaps, Objects.ConfigMap("w1"));
        store.Patch(Gvr.ConfigMaps, "default", "w1", PatchType.MergePatch, """{"data":{"k":"2"}}""");
        store.Delete(Gvr.ConfigMaps, "default", "w1");
        var events = await Collect(store.WatchAsync(Gvr.ConfigMaps, "default", new WatchOptions { ResourceVersion = from }), 3);
        Assert.Equal(["ADDED", "MODIFIED", "DELETED"], events.Select(e => e.Type));
        Assert.Equal("2", JsonNodes.StringAt(events[2].Object, "data", "k"));
    }

    [Fact]
    public async Task AnUnscheduledPodIsMarkedDeletedBeforeItGoes()
    {
        // Like kube-apiserver: graceful deletion with a period of 0 writes deletionTimestamp first (MODIFIED), then removes the pod.
        await using var sandbox = await Sandboxes.StartAsync();
        var store = sandbox.Store;
        store.Create(Gvr.Pods, Objects.Pod("unbound"));
        var from = store.ResourceVersion.ToString();
        var answer = store.Delete(Gvr.Pods, "default", "unbound");
        Assert.Null(store.TryGet(Gvr.Pods, "default", "unbound"));
        var events = await Collect(store.WatchAsync(Gvr.Pods, "default", new WatchOptions { ResourceVersion = from }), 2);
        Assert.Equal(["MODIFIED", "DELETED"], events.Select(e => e.Type));
        Assert.All(events, e => Assert.NotNull(ObjectMeta.DeletionTimestamp(e.Object)));
        Assert.All(events, e => Assert.Equal(0, JsonNodes.GetInteger(JsonNodes.At(e.Object, "metadata", "deletionGracePeriodSeconds"))));
        Assert.Equal(2, ObjectMeta.Generation(events[1].Object));
        Assert.Equal(0, JsonNodes.GetInteger(JsonNodes.At(answer, "metadata", "deletionGracePeriodSeconds")));
    }

    [Fact]
    public async Task WithoutAResourceVersionExistingObjectsArriveAsAdded()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        sandbox.Store.Create(Gvr.ConfigMaps, Objects.ConfigMap("existing"));
        var events = sandbox.Store.WatchAsync(Gvr.ConfigMaps, "default", new WatchOptions { SendInitialEvents = true, AllowWatchBookmarks = true, ResourceVersionMatch = "NotOlderThan" });
        var first = await Collect(events, 3);
        Assert.Equal(["ADDED", "ADDED", "BOOKMARK"], first.Select(e => e.Type));
        Assert.Equal("true", JsonNodes.StringAt(first[2].Object, "metadata", "annotations", "k8s.io/initial-events-end"));
    }

    [Fact]
    public async Task ResourceVersionsOlderThanTheHistoryWindowAreGone()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        var store = sandbox.Store;
        store.HistoryLimit = 3;
        var old = store.ResourceVersion.ToString();
        for (var i = 0; i < 5; i++)
        {
            store.Create(Gvr.ConfigMaps, Objects.ConfigMap("h" + i));
        }
        var events = await Collect(store.WatchAsync(Gvr.ConfigMaps, "default", new WatchOptions { ResourceVersion = old }), 1);
        var error = Assert.Single(events);
        Assert.Equal("ERROR", error.Type);
        Assert.Equal(410, JsonNodes.GetInteger(error.Object["code"]));
        Assert.Equal("Expired", JsonNodes.GetString(error.Object["reason"]));
        Assert.StartsWith("too old resource version: " + old, JsonNodes.GetString(error.Object["message"]));
    }

    [Fact]
    public async Task SelectorTransitionsBecomeAddedAndDeleted()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        var store = sandbox.Store;
        var from = store.ResourceVersion.ToString();
        store.Create(Gvr.ConfigMaps, Objects.ConfigMap("sel"));
        store.Patch(Gvr.ConfigMaps, "default", "sel", PatchType.MergePatch, """{"metadata":{"labels":{"watch":"me"}}}""");
        store.Patch(Gvr.ConfigMaps, "default", "sel", PatchType.MergePatch, """{"metadata":{"labels":{"watch":"other"}}}""");
        var events = await Collect(store.WatchAsync(Gvr.ConfigMaps, "default", new WatchOptions { ResourceVersion = from, LabelSelector = "watch=me" }), 2);
        Assert.Equal(["ADDED", "DELETED"], events.Select(e => e.Type));
    }

    [Fact]
    public async Task HttpWatchStreamsChunkedEventsAndEndsAtTheTimeout()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var client = new SandboxClient(sandbox);
        var from = sandbox.Store.ResourceVersion;
        var started = DateTime.UtcNow;
        var watch = client.GetAsync($"/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={from}&timeoutSeconds=1");
        await Task.Delay(200);
        sandbox.Store.Create(Gvr.ConfigMaps, Objects.ConfigMap("streamed"));
        var (status, _, response) = await watch;
        Assert.Equal(200, status);
        Assert.True(response.Headers.TransferEncodingChunked);
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var events = lines.Select(l => (JsonObject)JsonText.Parse(l)!).ToList();
        Assert.Contains(events, e => JsonNodes.GetString(e["type"]) == "ADDED" && JsonNodes.StringAt(e, "object", "metadata", "name") == "streamed");
        Assert.InRange((DateTime.UtcNow - started).TotalSeconds, 0.9, 5);
    }
}
