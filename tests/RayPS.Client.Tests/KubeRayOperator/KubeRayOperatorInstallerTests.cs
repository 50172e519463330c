using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using RayPS.Errors;
using RayPS.Kube;
using RayPS.Operator;

namespace RayPS.Client.Tests.KubeRayOperator;

/// <summary>The installer's request sequence against an in-memory API: checks before writes, CRDs first, the Deployment last.</summary>
public sealed class KubeRayOperatorInstallerTests
{
    /// <summary>Stores applied objects by path; answers SSAR from <see cref="Denied"/>; thread-safe (the installer sends in parallel).</summary>
    private sealed class FakeCluster : DelegatingHandler
    {
        private readonly object _gate = new();
        private long _rv = 100;

        public Dictionary<string, JsonObject> Objects { get; } = new(StringComparer.Ordinal);
        public List<string> Log { get; } = new();
        public HashSet<string> Denied { get; } = new(StringComparer.Ordinal);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var path = request.RequestUri!.AbsolutePath;
            var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
            lock (_gate)
            {
                Log.Add($"{request.Method} {path}");
                if (path.EndsWith("/selfsubjectaccessreviews", StringComparison.Ordinal))
                {
                    var review = JsonNode.Parse(body!)!.AsObject();
                    var a = review["spec"]!["resourceAttributes"]!;
                    review["status"] = new JsonObject { ["allowed"] = !Denied.Contains($"{a["verb"]} {a["resource"]}") };
                    return Json(201, review);
                }
                if (path.StartsWith("/api/v1/namespaces/", StringComparison.Ordinal) && path.Count(c => c == '/') == 4)
                {
                    return Json(200, new JsonObject { ["kind"] = "Namespace" });
                }
                if (request.Method == HttpMethod.Get && request.RequestUri.Query.Contains("labelSelector", StringComparison.Ordinal))
                {
                    // A cluster-wide LIST: every stored object of that resource (all carry the install's labels).
                    var items = Objects.Where(kv => CollectionOf(kv.Key) == path).Select(kv => (JsonNode?)kv.Value.DeepClone()).ToArray();
                    return Json(200, new JsonObject { ["kind"] = "List", ["items"] = new JsonArray(items) });
                }
                if (request.Method == HttpMethod.Delete)
                {
                    return Objects.Remove(path) ? Json(200, new JsonObject { ["kind"] = "Status" }) : Json(404, new JsonObject { ["code"] = 404 });
                }
                if (request.Method == HttpMethod.Get)
                {
                    return Objects.TryGetValue(path, out var stored) ? Json(200, (JsonObject)stored.DeepClone())
                        : Json(404, new JsonObject { ["kind"] = "Status", ["code"] = 404, ["reason"] = "NotFound", ["message"] = "not found" });
                }
                if (request.Method == HttpMethod.Patch)
                {
                    Assert.Equal("application/apply-patch+yaml", request.Content!.Headers.ContentType!.MediaType);
                    Assert.Contains("fieldManager=rayps", request.RequestUri.Query, StringComparison.Ordinal);
                    var applied = JsonNode.Parse(body!)!.AsObject();
                    var created = !Objects.TryGetValue(path, out var existing);
                    var same = !created && JsonNode.DeepEquals(Without(existing!), applied);
                    if (!same)
                    {
                        applied["metadata"]!["resourceVersion"] = (++_rv).ToString(System.Globalization.CultureInfo.InvariantCulture);
                        Objects[path] = applied;
                    }
                    return Json(created ? 201 : 200, (JsonObject)Objects[path].DeepClone());
                }
                return Json(405, new JsonObject());
            }
        }

        /// <summary>/apis/apps/v1/namespaces/ns/deployments/name gives /apis/apps/v1/deployments.</summary>
        private static string CollectionOf(string objectPath)
        {
            var parts = objectPath.Split('/').ToList();
            parts.RemoveAt(parts.Count - 1);
            var ns = parts.IndexOf("namespaces");
            if (ns >= 0)
            {
                parts.RemoveRange(ns, 2);
            }
            return string.Join('/', parts);
        }

        private static JsonObject Without(JsonObject stored)
        {
            var copy = (JsonObject)stored.DeepClone();
            copy["metadata"]!.AsObject().Remove("resourceVersion");
            return copy;
        }

        private static HttpResponseMessage Json(int status, JsonObject body) => new((HttpStatusCode)status)
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };

        public KubeConnection Connect()
        {
            var config = new KubernetesClientConfiguration { Host = "https://fake.example:6443", AccessToken = "test-token-not-secret", Namespace = "default" };
            return KubeConnection.Create(config, "fake-context", new RetryHandler { BaseDelay = TimeSpan.FromMilliseconds(1) }, this);
        }
    }

    private static KubeRayOperatorManifest Manifest(string version = "1.4.2") =>
        KubeRayOperatorRenderer.Render(new KubeRayOperatorInstallOptions { Version = version, Namespace = "kube-system" });

    [Fact]
    public async Task ChecksEveryRightFirstThenAppliesCrdsFirstAndTheDeploymentLast()
    {
        var fake = new FakeCluster();
        var result = await KubeRayOperatorInstaller.InstallAsync(fake.Connect(), Manifest(), force: false, dryRun: false, null, CancellationToken.None);

        Assert.Equal(14, result.Created);
        var log = fake.Log;
        var lastReview = log.FindLastIndex(l => l.EndsWith("/selfsubjectaccessreviews", StringComparison.Ordinal));
        var firstGet = log.FindIndex(l => l.StartsWith("GET ", StringComparison.Ordinal));
        var patches = log.Select((l, i) => (l, i)).Where(x => x.l.StartsWith("PATCH ", StringComparison.Ordinal)).ToList();
        Assert.Equal(16, log.Count(l => l.EndsWith("/selfsubjectaccessreviews", StringComparison.Ordinal)));
        Assert.True(lastReview < firstGet, "the access reviews come before any read");
        Assert.True(log.FindLastIndex(l => l.StartsWith("GET ", StringComparison.Ordinal)) < patches[0].i, "every read comes before the first write");
        Assert.Equal(14, patches.Count);
        Assert.All(patches.Take(3), p => Assert.Contains("/customresourcedefinitions/", p.l, StringComparison.Ordinal));
        Assert.DoesNotContain(patches.Skip(3), p => p.l.Contains("/customresourcedefinitions/", StringComparison.Ordinal));
        Assert.EndsWith("/apis/apps/v1/namespaces/kube-system/deployments/kuberay-operator", patches[^1].l, StringComparison.Ordinal);

        var again = await KubeRayOperatorInstaller.InstallAsync(fake.Connect(), Manifest(), force: false, dryRun: false, null, CancellationToken.None);
        Assert.False(again.Changed);
        Assert.Equal(14, again.Unchanged);
        Assert.Equal("1.4.2", again.PreviousVersion);

        var upgrade = await KubeRayOperatorInstaller.InstallAsync(fake.Connect(), Manifest("1.7.0"), force: false, dryRun: false, null, CancellationToken.None);
        Assert.Equal("1.4.2", upgrade.PreviousVersion);
        Assert.Equal("1.7.0", upgrade.Version);
        Assert.Equal(KubeRayObjectAction.Created, upgrade.Objects.Single(o => o.Name == "raycronjobs.ray.io").Action);
        Assert.Equal(KubeRayObjectAction.Configured, upgrade.Objects.Single(o => o.Kind == "Deployment").Action);
        Assert.Equal(0, upgrade.Deleted);

        // Back to 1.4.2: the raycronjob roles of 1.7.0 are no longer rendered and are deleted (the CRD stays: crds/ are never pruned).
        var downgrade = await KubeRayOperatorInstaller.InstallAsync(fake.Connect(), Manifest(), force: false, dryRun: false, null, CancellationToken.None);
        Assert.Equal(new[] { "raycronjob-editor-role", "raycronjob-viewer-role" },
            downgrade.Objects.Where(o => o.Action == KubeRayObjectAction.Deleted).Select(o => o.Name).Order(StringComparer.Ordinal));
        Assert.True(fake.Objects.ContainsKey("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/raycronjobs.ray.io"));
    }

    [Fact]
    public async Task AMissingRightStopsBeforeAnyReadOrWriteAndNamesIt()
    {
        var fake = new FakeCluster();
        fake.Denied.Add("create customresourcedefinitions");
        fake.Denied.Add("patch clusterroles");
        var ex = await Assert.ThrowsAsync<RayPSException>(() =>
            KubeRayOperatorInstaller.InstallAsync(fake.Connect(), Manifest(), false, false, null, CancellationToken.None));
        Assert.Equal(ErrorIds.KubeRayInstallForbidden, ex.ErrorId);
        Assert.Equal(RayErrorCategory.PermissionDenied, ex.Category);
        Assert.Contains("create customresourcedefinitions.apiextensions.k8s.io (cluster-scoped)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("patch clusterroles.rbac.authorization.k8s.io (cluster-scoped)", ex.Message, StringComparison.Ordinal);
        Assert.All(fake.Log, l => Assert.EndsWith("/selfsubjectaccessreviews", l, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AHelmInstallIsNamedAndLeftAloneWithoutForce()
    {
        var fake = new FakeCluster();
        var deployment = (JsonObject)Manifest().Objects.Single(o => o["kind"]!.GetValue<string>() == "Deployment").DeepClone();
        deployment["metadata"]!["annotations"] = new JsonObject { ["meta.helm.sh/release-name"] = "kuberay", ["meta.helm.sh/release-namespace"] = "ray-system" };
        deployment["metadata"]!["resourceVersion"] = "7";
        fake.Objects["/apis/apps/v1/namespaces/kube-system/deployments/kuberay-operator"] = deployment;

        var ex = await Assert.ThrowsAsync<RayPSException>(() =>
            KubeRayOperatorInstaller.InstallAsync(fake.Connect(), Manifest(), false, false, null, CancellationToken.None));
        Assert.Equal(ErrorIds.KubeRayOperatorHelmOwned, ex.ErrorId);
        Assert.Contains("release 'kuberay' in namespace 'ray-system'", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(fake.Log, l => l.StartsWith("PATCH ", StringComparison.Ordinal));

        var forced = await KubeRayOperatorInstaller.InstallAsync(fake.Connect(), Manifest(), true, false, null, CancellationToken.None);
        Assert.Equal(KubeRayObjectAction.Configured, forced.Objects.Single(o => o.Kind == "Deployment").Action);
    }
}
