using System.Text.Json;
using RayPS.Sandbox.Cluster;
using RayPS.Sandbox.Resources;

namespace RayPS.Sandbox.Tests.Cluster;

/// <summary>
/// A sandbox started without KubeRay (Start-RaySandbox -WithoutKubeRay): the simulated operator reconciles only while an operator
/// Deployment the user installed has a ready pod, only in the namespaces it watches, and every installed CRD is served.
/// </summary>
public class InstalledOperatorTests
{
    private const string Clusters = "/apis/ray.io/v1/namespaces/default/rayclusters";
    private const string OperatorPath = "/apis/apps/v1/namespaces/kube-system/deployments/kuberay-operator";

    private static JsonObject OperatorDeployment(params string[] args)
    {
        var deployment = JsonNode.Parse("""
            {"apiVersion":"apps/v1","kind":"Deployment",
             "metadata":{"name":"kuberay-operator","namespace":"kube-system","labels":{"app.kubernetes.io/name":"kuberay-operator","app.kubernetes.io/managed-by":"RayPS"}},
             "spec":{"replicas":1,"selector":{"matchLabels":{"app.kubernetes.io/name":"kuberay-operator"}},
              "template":{"metadata":{"labels":{"app.kubernetes.io/name":"kuberay-operator"}},
               "spec":{"containers":[{"name":"kuberay-operator","image":"quay.io/kuberay/operator:v1.4.2","command":["/manager"],
                 "readinessProbe":{"httpGet":{"path":"/metrics","port":8080},"periodSeconds":5}}]}}}}
            """)!.AsObject();
        deployment["spec"]!["template"]!["spec"]!["containers"]![0]!["args"] = JsonNode.Parse(JsonSerializer.Serialize(args));
        return deployment;
    }

    private static int ReadyReplicas(SimHarness h) =>
        (int)(JsonNodes.GetInteger(JsonNodes.At(h.Store.Get(Gvr.Deployments, "kube-system", "kuberay-operator"), "status", "readyReplicas")) ?? 0);

    [Fact]
    public async Task OperatorReconcilesOnlyWhileTheInstalledDeploymentHasAReadyPod()
    {
        await using var h = await SimHarness.StartAsync(kubeRayInstalledByUser: true, installCrd: false);
        Assert.Null(h.Store.TryGet(Gvr.Deployments, "kube-system", "kuberay-operator")); // nothing comes with the sandbox
        h.Store.Create(Gvr.CustomResourceDefinitions, KubeRayCrd.Create(), new WriteOptions { FieldManager = "test" });
        await h.CreateAsync(Clusters, KubeRayE2ETests.SampleCluster("early", replicas: 1));
        Assert.True(await h.Sandbox.WaitForIdleAsync());
        Assert.Empty(h.Pods("default", "ray.io/cluster", "early")); // CRD served, no operator yet

        await h.CreateAsync("/apis/apps/v1/namespaces/kube-system/deployments", OperatorDeployment("--enable-leader-election=true"));
        await h.WaitForReadyAsync("default", "early");
        Assert.Equal(2, h.Pods("default", "ray.io/cluster", "early").Count);

        // Scaled to 0: once its pod is gone the operator stops; a spec change waits for it.
        await h.PatchAsync(OperatorPath, """{"spec":{"replicas":0}}""");
        await SimHarness.WaitUntilAsync(() => ReadyReplicas(h) == 0, what: "operator scaled to 0");
        await h.PatchAsync(Clusters + "/early", """[{"op":"replace","path":"/spec/workerGroupSpecs/0/replicas","value":2}]""", "application/json-patch+json");
        Assert.True(await h.Sandbox.WaitForIdleAsync());
        Assert.Equal(2, h.Pods("default", "ray.io/cluster", "early").Count);

        await h.PatchAsync(OperatorPath, """{"spec":{"replicas":1}}""");
        await h.WaitAsync(() => h.Pods("default", "ray.io/cluster", "early").Count == 3, "operator back: third pod");

        // Uninstalled: nothing reconciles again.
        await h.DeleteAsync(OperatorPath);
        await SimHarness.WaitUntilAsync(() => h.Store.TryGet(Gvr.Deployments, "kube-system", "kuberay-operator") is null, what: "operator deleted");
        Assert.True(await h.Sandbox.WaitForIdleAsync());
        await h.CreateAsync(Clusters, KubeRayE2ETests.SampleCluster("late", replicas: 1));
        Assert.True(await h.Sandbox.WaitForIdleAsync());
        Assert.Empty(h.Pods("default", "ray.io/cluster", "late"));
    }

    [Fact]
    public async Task OperatorWithWatchNamespaceReconcilesOnlyThoseNamespaces()
    {
        await using var h = await SimHarness.StartAsync(kubeRayInstalledByUser: true, installCrd: false);
        h.Store.Create(Gvr.CustomResourceDefinitions, KubeRayCrd.Create(), new WriteOptions { FieldManager = "test" });
        await h.CreateAsync("/api/v1/namespaces", JsonNode.Parse("""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team-a"}}""")!.AsObject());
        await h.CreateAsync("/apis/apps/v1/namespaces/kube-system/deployments", OperatorDeployment("--watch-namespace", "team-a"));
        await SimHarness.WaitUntilAsync(() => ReadyReplicas(h) == 1, what: "operator ready");
        await h.CreateAsync(Clusters, KubeRayE2ETests.SampleCluster("outside", replicas: 1));
        var inside = KubeRayE2ETests.SampleCluster("inside", replicas: 1);
        inside["metadata"]!["namespace"] = "team-a";
        await h.CreateAsync("/apis/ray.io/v1/namespaces/team-a/rayclusters", inside);
        await h.WaitForReadyAsync("team-a", "inside");
        Assert.True(await h.Sandbox.WaitForIdleAsync());
        Assert.Empty(h.Pods("default", "ray.io/cluster", "outside"));
    }

    [Fact]
    public async Task RbacObjectsAreStoredAndEveryInstalledCrdIsServed()
    {
        await using var h = await SimHarness.StartAsync(kubeRayInstalledByUser: true, installCrd: false, kubelet: false);
        var role = await h.CreateAsync("/apis/rbac.authorization.k8s.io/v1/clusterroles", JsonNode.Parse(
            """{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"kuberay-operator"},"rules":[{"apiGroups":["ray.io"],"resources":["rayclusters"],"verbs":["get"]}]}""")!.AsObject());
        Assert.Equal("ClusterRole", role["kind"]!.GetValue<string>());
        await h.CreateAsync("/apis/rbac.authorization.k8s.io/v1/namespaces/kube-system/rolebindings", JsonNode.Parse(
            """{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"b"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"kuberay-operator"},"subjects":[{"kind":"ServiceAccount","name":"kuberay-operator","namespace":"kube-system"}]}""")!.AsObject());
        Assert.Equal(200, (await h.GetAsync("/apis/rbac.authorization.k8s.io/v1/namespaces/kube-system/rolebindings/b")).Status);
        Assert.Equal(200, (await h.GetAsync("/apis/rbac.authorization.k8s.io/v1/clusterroles/kuberay-operator")).Status);

        // The chart's 1.7.0 CRDs, applied as Install-KubeRayOperator applies them; each kind is then served.
        var crds = Path.Combine(RepoRoot(), "src", "RayPS.Client", "Charts", "kuberay-operator", "1.7.0", "crds");
        foreach (var file in Directory.GetFiles(crds, "*.yaml").Order(StringComparer.Ordinal))
        {
            var crd = YamlConverter.Parse(File.ReadAllText(file)) as JsonObject;
            var name = JsonNodes.StringAt(crd!, "metadata", "name");
            await h.PatchAsync($"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}?fieldManager=rayps", crd!.ToJsonString(), "application/apply-patch+yaml");
        }
        foreach (var plural in new[] { "rayclusters", "rayjobs", "rayservices", "raycronjobs" })
        {
            await SimHarness.WaitUntilAsync(async () => (await h.GetAsync($"/apis/ray.io/v1/namespaces/default/{plural}")).Status == 200, what: plural + " served");
        }
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "RayPS.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("repository root not found");
    }
}
