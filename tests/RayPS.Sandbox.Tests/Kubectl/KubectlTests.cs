using System.Text.RegularExpressions;
using static RayPS.Sandbox.Tests.Kubectl.Kubectl;

namespace RayPS.Sandbox.Tests.Kubectl;

/// <summary>A sandbox with the KubeRay CRD and the Deployment controller, shared by the kubectl tests.</summary>
public sealed class KubectlSandbox : IAsyncLifetime
{
    public KubeSandbox Sandbox { get; private set; } = null!;
    public Kubectl Kubectl { get; private set; } = null!;
    public string WorkDir { get; } = Directory.CreateTempSubdirectory("rayps-kubectl-").FullName;

    public async Task InitializeAsync()
    {
        Sandbox = await KubeSandbox.StartAsync(new SandboxOptions { Controllers = SandboxControllers.Deployment });
        Kubectl = new Kubectl(Sandbox.KubeConfigPath, Path.Combine(WorkDir, "cache"));
    }

    public async Task DisposeAsync()
    {
        await Sandbox.StopAsync();
        Directory.Delete(WorkDir, recursive: true);
    }
}

/// <summary>kubectl 1.32 against the sandbox: discovery, apply (client- and server-side), scale, annotate, delete, watch, RBAC.</summary>
public sealed class KubectlTests(KubectlSandbox fixture) : IClassFixture<KubectlSandbox>
{
    private KubeSandbox Sandbox => fixture.Sandbox;
    private Kubectl Kubectl => fixture.Kubectl;

    [KubectlFact]
    public async Task GetNamespaces()
    {
        var result = await Kubectl.RunAsync("get", "ns");
        Succeeded(result);
        foreach (var ns in new[] { "default", "kube-system", "kube-public", "kube-node-lease" })
        {
            Assert.Matches(new Regex("^" + ns + @"\s+Active", RegexOptions.Multiline), result.Output);
        }
    }

    [KubectlFact]
    public async Task ApiResources()
    {
        var result = await Kubectl.RunAsync("api-resources");
        Succeeded(result);
        Assert.Matches(@"rayclusters\s+ray\.io/v1\s+true\s+RayCluster", result.Output);
        Assert.Matches(@"deployments\s+deploy\s+apps/v1\s+true\s+Deployment", result.Output);
        Assert.Matches(@"pods\s+po\s+v1\s+true\s+Pod", result.Output);
    }

    [KubectlFact]
    public async Task ClientSideApplyOfTheKubeRaySample()
    {
        var sample = SharedData.Path("kuberay", "v1.4.2", "ray-cluster.sample.yaml");
        var created = await Kubectl.RunAsync("apply", "-f", sample);
        Succeeded(created);
        Assert.Contains("raycluster.ray.io/raycluster-kuberay created", created.Output);

        var again = await Kubectl.RunAsync("apply", "-f", sample);
        Succeeded(again);

        var list = await Kubectl.RunAsync("get", "rayclusters");
        Succeeded(list);
        Assert.Matches(@"(?m)^NAME\s+DESIRED WORKERS\s+AVAILABLE WORKERS", list.Output);
        Assert.Matches(@"(?m)^raycluster-kuberay\s", list.Output);

        var stored = Sandbox.Store.Get(Gvr.RayClusters, "default", "raycluster-kuberay");
        Assert.Equal(1, JsonNodes.GetInteger(stored["spec"]!["workerGroupSpecs"]![0]!["numOfHosts"]));
        Assert.NotNull(JsonNodes.StringAt(stored, "metadata", "annotations", "kubectl.kubernetes.io/last-applied-configuration"));
    }

    [KubectlFact]
    public async Task ServerSideApply()
    {
        var manifest = File.ReadAllText(SharedData.Path("kuberay", "v1.4.2", "ray-cluster.sample.yaml")).Replace("name: raycluster-kuberay", "name: raycluster-ssa");
        var path = Path.Combine(fixture.WorkDir, "ssa.yaml");
        File.WriteAllText(path, manifest);

        var applied = await Kubectl.RunAsync("apply", "--server-side", "-f", path);
        Succeeded(applied);
        Assert.Contains("raycluster.ray.io/raycluster-ssa serverside-applied", applied.Output);

        var reapplied = await Kubectl.RunAsync("apply", "--server-side", "-f", path);
        Succeeded(reapplied);

        var stored = Sandbox.Store.Get(Gvr.RayClusters, "default", "raycluster-ssa");
        var managers = (JsonArray)stored["metadata"]!["managedFields"]!;
        Assert.Contains(managers, m => JsonNodes.GetString(m!["manager"]) == "kubectl" && JsonNodes.GetString(m["operation"]) == "Apply");
        Assert.Equal(1, ObjectMeta.Generation(stored));

        var list = await Kubectl.RunAsync("get", "rayclusters", "raycluster-ssa", "-o", "name");
        Succeeded(list);
        Assert.Equal("raycluster.ray.io/raycluster-ssa", list.Output.Trim());
    }

    [KubectlFact]
    public async Task WorkerDeploymentFromTheSeed_ApplyScaleAnnotateDelete()
    {
        var path = Path.Combine(fixture.WorkDir, "worker-deployment.yaml");
        File.WriteAllText(path, SeedWorkerDeployment());

        Succeeded(await Kubectl.RunAsync("apply", "-f", path));
        await Sandbox.WaitForIdleAsync();
        Assert.Equal(2, WorkerPods().Count);

        var scaled = await Kubectl.RunAsync("scale", "deployment", "ray-cluster-npu-workergroup", "--replicas=4");
        Succeeded(scaled);
        Assert.Contains("deployment.apps/ray-cluster-npu-workergroup scaled", scaled.Output);
        await Sandbox.WaitForIdleAsync();
        Assert.Equal(4, WorkerPods().Count);
        Assert.Equal(4, JsonNodes.GetInteger(Sandbox.Store.Get(Gvr.Deployments, "default", "ray-cluster-npu-workergroup")["spec"]!["replicas"]));

        var pod = ObjectMeta.Name(WorkerPods()[0]);
        var annotated = await Kubectl.RunAsync("annotate", "pod", pod, "rayps.io/checked=yes");
        Succeeded(annotated);
        Assert.Equal("yes", JsonNodes.StringAt(Sandbox.Store.Get(Gvr.Pods, "default", pod), "metadata", "annotations", "rayps.io/checked"));

        var pods = await Kubectl.RunAsync("get", "pods", "-l", "ray.io/identifier=ray-cluster-npu-worker");
        Succeeded(pods);
        Assert.Equal(4, Regex.Matches(pods.Output, @"(?m)^ray-cluster-npu-workergroup-\S+\s+0/1\s+Pending").Count);

        var deleted = await Kubectl.RunAsync("delete", "deployment", "ray-cluster-npu-workergroup");
        Succeeded(deleted);
        Assert.Contains("deleted", deleted.Output);
        await Sandbox.WaitForIdleAsync();
        Assert.Empty(WorkerPods());
        Assert.Empty(Sandbox.Store.ListItems(Gvr.ReplicaSets, "default"));
    }

    [KubectlFact]
    public async Task WatchReceivesAnEvent()
    {
        Sandbox.Store.Create(Gvr.RayClusters, Manifests.RayCluster("watched"));
        var watch = Kubectl.RunAsync(TimeSpan.FromSeconds(30), "get", "rayclusters", "watched", "-w", "--request-timeout=3s");
        await Task.Delay(1200);
        Sandbox.Store.Patch(Gvr.RayClusters, "default", "watched", PatchType.MergePatch, """{"metadata":{"labels":{"seen":"yes"}}}""");
        var result = await watch;
        Assert.True(Regex.Matches(result.Output, @"(?m)^watched\s").Count >= 2, result.ToString());
    }

    [KubectlFact]
    public async Task ViewerIsForbidden()
    {
        var result = await Kubectl.RunAsync("--context", Sandbox.ViewerContext, "get", "pods");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("Error from server (Forbidden): pods is forbidden: User \"viewer\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"", result.Error);
    }

    [KubectlFact]
    public async Task RbacObjectsCreatedWithKubectlGrantTheViewer()
    {
        Succeeded(await Kubectl.RunAsync("create", "namespace", "rbac-kubectl"));
        Succeeded(await Kubectl.RunAsync("create", "clusterrole", "raycluster-reader", "--verb=get,list,watch", "--resource=rayclusters.ray.io"));
        Succeeded(await Kubectl.RunAsync("-n", "rbac-kubectl", "create", "rolebinding", "viewer-reads", "--clusterrole=raycluster-reader", "--user=viewer"));
        var roles = await Kubectl.RunAsync("get", "clusterroles");
        Succeeded(roles);
        Assert.Matches(new Regex(@"(?m)^cluster-admin\s"), roles.Output);
        Assert.Matches(new Regex(@"(?m)^raycluster-reader\s"), roles.Output);

        var canList = await Kubectl.RunAsync("--context", Sandbox.ViewerContext, "-n", "rbac-kubectl", "auth", "can-i", "list", "rayclusters.ray.io");
        Assert.Equal("yes", canList.Output.Trim());
        var canCreate = await Kubectl.RunAsync("--context", Sandbox.ViewerContext, "-n", "rbac-kubectl", "auth", "can-i", "create", "rayclusters.ray.io");
        Assert.Equal("no", canCreate.Output.Trim());
        Succeeded(await Kubectl.RunAsync("--context", Sandbox.ViewerContext, "-n", "rbac-kubectl", "get", "rayclusters"));
        var list = await Kubectl.RunAsync("--context", Sandbox.ViewerContext, "-n", "rbac-kubectl", "auth", "can-i", "--list");
        Succeeded(list);
        Assert.Matches(new Regex(@"(?m)^rayclusters\.ray\.io\s+\[\]\s+\[\]\s+\[get list watch\]"), list.Output);
    }

    private List<JsonObject> WorkerPods() =>
        Sandbox.Store.ListItems(Gvr.Pods, "default", new ListOptions { LabelSelector = "ray.io/identifier=ray-cluster-npu-worker" }).ToList();

    // §3 of the seed guide: the worker Deployment, moved to namespace default.
    private static string SeedWorkerDeployment()
    {
        var guide = File.ReadAllText(SharedData.Path("seed", "ray-on-kubernetes.md"));
        var block = Regex.Matches(guide, "```\\s*\\n(.*?)```", RegexOptions.Singleline)
            .Select(m => m.Groups[1].Value)
            .First(b => b.Contains("kind: Deployment", StringComparison.Ordinal));
        return block.Replace("namespace: kube-system", "namespace: default", StringComparison.Ordinal);
    }
}
