using System.Text;
using static RayPS.Sandbox.Tests.Fidelity.FidelityAssert;

namespace RayPS.Sandbox.Tests.Fidelity;

/// <summary>
/// limit/continue and resourceVersionMatch=Exact as kube-apiserver serves them: unpadded base64url tokens holding the
/// key after the list's prefix, pages read from the snapshot of the first one, remainingItemCount only without
/// selectors, and 410 once the snapshot is older than what the store keeps (etcd compaction).
/// </summary>
public sealed class ListPagingFidelityTests : SandboxTest
{
    private const string Paged = "/api/v1/namespaces/paged/configmaps";

    protected override async Task SeedAsync()
    {
        Sandbox.Store.Create(Gvr.Namespaces, new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = "paged" } });
        // The namespace controller adds kube-root-ca.crt; wait for it so every test sees a settled namespace.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Sandbox.Store.TryGet(Gvr.ConfigMaps, "paged", "kube-root-ca.crt") is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        foreach (var name in new[] { "a", "b", "c", "d", "e" })
        {
            Sandbox.Store.Create(Gvr.ConfigMaps, Objects.ConfigMap(name, "paged", labels: new() { ["tier"] = name == "e" ? "other" : "page" }));
        }
    }

    private static List<string> Names(JsonNode? list) => list!["items"]!.AsArray().Select(i => ObjectMeta.Name((JsonObject)i!)).ToList();

    private static JsonObject DecodeToken(string token)
    {
        Assert.DoesNotContain('=', token);
        var base64 = token.Replace('-', '+').Replace('_', '/');
        base64 += new string('=', (4 - base64.Length % 4) % 4);
        return (JsonObject)JsonText.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(base64)))!;
    }

    [Fact]
    public async Task PagesComeFromTheFirstPagesSnapshot()
    {
        var first = await Client.GetAsync(Paged + "?limit=2");
        Assert.Equal(["a", "b"], Names(first.Body));
        var listRv = JsonNodes.StringAt(first.Body, "metadata", "resourceVersion")!;
        var token = JsonNodes.StringAt(first.Body, "metadata", "continue")!;
        Assert.Equal(4, JsonNodes.GetInteger(first.Body!["metadata"]!["remainingItemCount"]));
        var decoded = DecodeToken(token);
        Assert.Equal("meta.k8s.io/v1", JsonNodes.GetString(decoded["v"]));
        Assert.Equal(long.Parse(listRv), JsonNodes.GetInteger(decoded["rv"]));
        Assert.Equal("b\u0000", JsonNodes.GetString(decoded["start"])); // relative to /registry/configmaps/paged/

        // Changes after the first page do not show up in later pages.
        Sandbox.Store.Delete(Gvr.ConfigMaps, "paged", "c");
        Sandbox.Store.Create(Gvr.ConfigMaps, Objects.ConfigMap("bb", "paged"));
        Sandbox.Store.Patch(Gvr.ConfigMaps, "paged", "d", PatchType.MergePatch, """{"data":{"k":"changed"}}""");

        var second = await Client.GetAsync(Paged + "?limit=2&continue=" + token);
        Assert.Equal(["c", "d"], Names(second.Body));
        Assert.Equal("v", JsonNodes.StringAt(second.Body!["items"]![1], "data", "k"));
        Assert.Equal(listRv, JsonNodes.StringAt(second.Body, "metadata", "resourceVersion"));
        Assert.Equal(2, JsonNodes.GetInteger(second.Body!["metadata"]!["remainingItemCount"]));

        var last = await Client.GetAsync(Paged + "?limit=2&continue=" + JsonNodes.StringAt(second.Body, "metadata", "continue"));
        Assert.Equal(["e", "kube-root-ca.crt"], Names(last.Body));
        Assert.Null(last.Body!["metadata"]!["continue"]);
        Assert.Null(last.Body!["metadata"]!["remainingItemCount"]);
    }

    [Fact]
    public async Task AllNamespaceTokensKeepTheNamespaceInTheKey()
    {
        var first = await Client.GetAsync("/api/v1/configmaps?limit=1&labelSelector=tier%3Dpage");
        Assert.Equal(["a"], Names(first.Body));
        Assert.Equal("paged/a\u0000", JsonNodes.GetString(DecodeToken(JsonNodes.StringAt(first.Body, "metadata", "continue")!)["start"]));
    }

    [Fact]
    public async Task SelectorsLeaveOutTheRemainingItemCount()
    {
        var first = await Client.GetAsync(Paged + "?limit=2&labelSelector=tier%3Dpage");
        Assert.Equal(["a", "b"], Names(first.Body));
        Assert.NotNull(first.Body!["metadata"]!["continue"]);
        Assert.Null(first.Body!["metadata"]!["remainingItemCount"]);
    }

    [Fact]
    public async Task BadTokensAndTokensWithAResourceVersionAreRejected()
    {
        Status(400, BadRequest("invalid continue token: continue key is not valid: illegal base64 data at input byte 4"),
            await Client.GetAsync(Paged + "?limit=2&continue=abcd%3D"));
        var unknownVersion = Convert.ToBase64String(Encoding.UTF8.GetBytes("""{"v":"meta.k8s.io/v2","rv":5,"start":"a"}""")).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        Status(400, BadRequest("invalid continue token: continue key is not valid: server does not recognize this encoded version meta.k8s.io/v2"),
            await Client.GetAsync(Paged + "?continue=" + unknownVersion));
        var token = JsonNodes.StringAt((await Client.GetAsync(Paged + "?limit=2")).Body, "metadata", "continue")!;
        Status(400, BadRequest("specifying resource version is not allowed when using continue"),
            await Client.GetAsync(Paged + "?limit=2&resourceVersion=5&continue=" + token));
    }

    [Fact]
    public async Task ExactResourceVersionListsThePast()
    {
        var before = Sandbox.Store.ResourceVersion;
        Sandbox.Store.Create(Gvr.ConfigMaps, Objects.ConfigMap("later", "paged"));
        var then = await Client.GetAsync($"{Paged}?resourceVersion={before}&resourceVersionMatch=Exact");
        Assert.Equal(200, then.Status);
        Assert.Equal(["a", "b", "c", "d", "e", "kube-root-ca.crt"], Names(then.Body));
        Assert.Equal(before.ToString(), JsonNodes.StringAt(then.Body, "metadata", "resourceVersion"));
        var now = await Client.GetAsync($"{Paged}?resourceVersion={before}&resourceVersionMatch=NotOlderThan");
        Assert.Contains("later", Names(now.Body));
    }

    [Fact]
    public async Task SnapshotsOlderThanTheHistoryAreGone()
    {
        var first = await Client.GetAsync(Paged + "?limit=2");
        var token = JsonNodes.StringAt(first.Body, "metadata", "continue")!;
        var listRv = JsonNodes.StringAt(first.Body, "metadata", "resourceVersion")!;
        Sandbox.Store.HistoryLimit = 2;
        for (var i = 0; i < 3; i++)
        {
            Sandbox.Store.Create(Gvr.ConfigMaps, Objects.ConfigMap("churn-" + i));
        }

        var expired = await Client.GetAsync(Paged + "?limit=2&continue=" + token);
        Assert.Equal(410, expired.Status);
        var inconsistent = JsonNodes.StringAt(expired.Body, "metadata", "continue")!;
        var body = (JsonObject)expired.Body!.DeepClone();
        body["metadata"] = new JsonObject();
        Status(410, """
            {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.","reason":"Expired","code":410}
            """, (410, body, expired.Response));
        Assert.Equal(-1, JsonNodes.GetInteger(DecodeToken(inconsistent)["rv"]));
        Assert.Equal("b\u0000", JsonNodes.GetString(DecodeToken(inconsistent)["start"]));

        var rest = await Client.GetAsync(Paged + "?continue=" + inconsistent);
        Assert.Equal(["c", "d", "e", "kube-root-ca.crt"], Names(rest.Body));

        Status(410, """
            {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"The resourceVersion for the provided list is too old.","reason":"Expired","code":410}
            """, await Client.GetAsync($"{Paged}?resourceVersion={listRv}&resourceVersionMatch=Exact"));
    }
}
