namespace RayPS.Sandbox.Tests.Unit;

public sealed class DiscoveryAndAuthTests() : SandboxTest(crd: true)
{
    [Fact]
    public async Task AggregatedDiscoveryIsServedWhenAskedFor()
    {
        var request = Client.Request(HttpMethod.Get, "/apis");
        request.Headers.Accept.Clear();
        request.Headers.TryAddWithoutValidation("Accept", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json");
        using var response = await Client.Http.SendAsync(request);
        Assert.Equal("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", string.Join(",", SandboxClient.HeaderValues(response, "Content-Type")));
        var body = JsonText.Parse(await response.Content.ReadAsStringAsync());
        var ray = ((JsonArray)body!["items"]!).Single(i => JsonNodes.StringAt(i, "metadata", "name") == "ray.io")!;
        Assert.Equal(["v1", "v1alpha1"], ((JsonArray)ray["versions"]!).Select(v => JsonNodes.GetString(v!["version"])));
        var rayclusters = ray["versions"]![0]!["resources"]![0]!;
        Assert.Equal("RayCluster", JsonNodes.StringAt(rayclusters, "responseKind", "kind"));
        Assert.Equal("status", JsonNodes.StringAt(rayclusters["subresources"]![0], "subresource"));
    }

    [Fact]
    public async Task LegacyDiscoveryListsBuiltInAndCustomResources()
    {
        var (_, core, _) = await Client.GetAsync("/api/v1");
        var pods = ((JsonArray)core!["resources"]!).Single(r => JsonNodes.GetString(r!["name"]) == "pods")!;
        Assert.Equal("xPOwRZ+Yhw8=", JsonNodes.GetString(pods["storageVersionHash"]));
        Assert.Equal(["po"], ((JsonArray)pods["shortNames"]!).Select(n => JsonNodes.GetString(n)));
        var (_, ray, _) = await Client.GetAsync("/apis/ray.io/v1");
        Assert.Equal("UP2gQIHfhcY=", JsonNodes.GetString(ray!["resources"]![0]!["storageVersionHash"]));
        var (status, _, _) = await Client.GetAsync("/apis/ray.io/v2");
        Assert.Equal(404, status);
        var (_, openapi, _) = await Client.GetAsync("/openapi/v3");
        Assert.NotNull(JsonNodes.At(openapi, "paths", "apis/ray.io/v1", "serverRelativeURL"));
    }

    [Fact]
    public async Task TablesForKubectlGet()
    {
        Sandbox.Store.Create(Gvr.RayClusters, Manifests.RayCluster("tabled"));
        var request = Client.Request(HttpMethod.Get, "/apis/ray.io/v1/namespaces/default/rayclusters");
        request.Headers.Accept.Clear();
        request.Headers.TryAddWithoutValidation("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json");
        using var response = await Client.Http.SendAsync(request);
        var table = JsonText.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("Table", JsonNodes.GetString(table["kind"]));
        Assert.Equal(["Name", "desired workers", "available workers", "cpus", "memory", "gpus", "tpus", "status", "age", "head pod IP", "head service IP"],
            ((JsonArray)table["columnDefinitions"]!).Select(c => JsonNodes.GetString(c!["name"])));
        Assert.Equal("tabled", JsonNodes.GetString(table["rows"]![0]!["cells"]![0]));
        Assert.Equal("PartialObjectMetadata", JsonNodes.StringAt(table["rows"]![0], "object", "kind"));
    }

    [Fact]
    public async Task TokensDecideWhoYouAre()
    {
        Assert.Equal(401, (await Client.SendAsync(HttpMethod.Get, "/api/v1/pods", token: "bogus")).Status);

        var anonymous = await Client.SendAsync(HttpMethod.Get, "/api", token: null);
        Assert.Equal(403, anonymous.Status);
        Assert.Equal("forbidden: User \"system:anonymous\" cannot get path \"/api\"", JsonNodes.GetString(anonymous.Body!["message"]));
        Assert.Equal(200, (await Client.SendAsync(HttpMethod.Get, "/version", token: null)).Status);

        Assert.Equal(200, (await Client.SendAsync(HttpMethod.Get, "/apis", token: Sandbox.ViewerToken)).Status);
        var namespaces = await Client.SendAsync(HttpMethod.Get, "/api/v1/namespaces/kube-system", token: Sandbox.ViewerToken);
        Assert.Equal(403, namespaces.Status);
        Assert.Equal("namespaces \"kube-system\" is forbidden: User \"viewer\" cannot get resource \"namespaces\" in API group \"\" in the namespace \"kube-system\"",
            JsonNodes.GetString(namespaces.Body!["message"]));
        var review = await Client.SendAsync(HttpMethod.Post, "/apis/authentication.k8s.io/v1/selfsubjectreviews",
            """{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}""", token: Sandbox.ViewerToken);
        Assert.Equal("viewer", JsonNodes.StringAt(review.Body, "status", "userInfo", "username"));
    }

    [Fact]
    public async Task KubeconfigDescribesBothUsers()
    {
        var text = await File.ReadAllTextAsync(Sandbox.KubeConfigPath);
        var config = (JsonObject)YamlConverter.Parse(text)!;
        Assert.Equal("rayps-sandbox", JsonNodes.GetString(config["current-context"]));
        Assert.Equal(Sandbox.Uri.GetLeftPart(UriPartial.Authority), JsonNodes.StringAt(config["clusters"]![0], "cluster", "server"));
        var users = ((JsonArray)config["users"]!).ToDictionary(u => JsonNodes.GetString(u!["name"])!, u => JsonNodes.StringAt(u, "user", "token"));
        Assert.Equal(Sandbox.AdminToken, users["rayps-sandbox-admin"]);
        Assert.Equal(Sandbox.ViewerToken, users["rayps-sandbox-viewer"]);
        Assert.Contains(((JsonArray)config["contexts"]!), c => JsonNodes.GetString(c!["name"]) == "rayps-sandbox-viewer");
    }
}
