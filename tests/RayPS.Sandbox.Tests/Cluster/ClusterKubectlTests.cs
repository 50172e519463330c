using System.Text.RegularExpressions;
using RayPS.Sandbox.Cluster;
using RayPS.Sandbox.Tests.Kubectl;
using KubectlRunner = RayPS.Sandbox.Tests.Kubectl.Kubectl;
using static RayPS.Sandbox.Tests.Kubectl.Kubectl;

namespace RayPS.Sandbox.Tests.Cluster;

/// <summary>A ready 2-worker RayCluster behind a sandbox, shared by the kubectl runbook tests.</summary>
public sealed class ReadyClusterFixture : IAsyncLifetime
{
    internal SimHarness H { get; private set; } = null!;
    public KubectlRunner Kubectl { get; private set; } = null!;
    public string WorkDir { get; } = Directory.CreateTempSubdirectory("rayps-cluster-kubectl-").FullName;

    public async Task InitializeAsync()
    {
        H = await SimHarness.StartAsync();
        Kubectl = new KubectlRunner(H.Sandbox.KubeConfigPath, Path.Combine(WorkDir, "cache"));
        await H.CreateAsync("/apis/ray.io/v1/namespaces/default/rayclusters", KubeRayE2ETests.SampleCluster(replicas: 2));
        await H.WaitForReadyAsync("default", "raycluster-kuberay");
    }

    public async Task DisposeAsync()
    {
        await H.DisposeAsync();
        Directory.Delete(WorkDir, recursive: true);
    }
}

/// <summary>The runbook with kubectl 1.32: list Ray pods, read logs and events, annotate faults, proxy to the dashboard and agents.</summary>
public sealed class ClusterKubectlTests(ReadyClusterFixture fixture) : IClassFixture<ReadyClusterFixture>
{
    private KubectlRunner Kubectl => fixture.Kubectl;

    private async Task<string[]> PodNames(string selector)
    {
        var result = await Kubectl.RunAsync("get", "pods", "-l", selector, "-o", "jsonpath={.items[*].metadata.name}");
        Succeeded(result);
        return result.Output.Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }

    [KubectlFact]
    public async Task GetPodsByClusterLabelShowsRunningRayPods()
    {
        var result = await Kubectl.RunAsync("get", "pods", "-l", "ray.io/cluster=raycluster-kuberay", "-o", "wide");
        Succeeded(result);
        Assert.Matches(new Regex(@"^raycluster-kuberay-head-\w{5}\s+1/1\s+Running\s+0\s+\S+\s+10\.244\.\d+\.\d+\s+sandbox-node-1", RegexOptions.Multiline), result.Output);
        Assert.Equal(2, Regex.Matches(result.Output, @"raycluster-kuberay-workergroup-worker-\w{5}\s+1/1\s+Running").Count);

        var nodes = await Kubectl.RunAsync("get", "nodes");
        Succeeded(nodes);
        Assert.Matches(new Regex(@"^sandbox-node-1\s+Ready", RegexOptions.Multiline), nodes.Output);

        var operatorPods = await Kubectl.RunAsync("get", "pods", "-n", "kube-system", "-l", "app.kubernetes.io/name=kuberay-operator");
        Succeeded(operatorPods);
        Assert.Matches(@"kuberay-operator-\w+-\w{5}\s+1/1\s+Running", operatorPods.Output);

        var cluster = await Kubectl.RunAsync("get", "raycluster", "raycluster-kuberay");
        Succeeded(cluster);
        Assert.Matches(@"raycluster-kuberay\s+2\s+2\s+3\s+\S+\s+0\s+ready", cluster.Output);
    }

    [KubectlFact]
    public async Task AnnotatingAnUnhealthyRayletMakesTheAgentAnswer503()
    {
        var worker = (await PodNames("ray.io/node-type=worker"))[0];
        var path = $"/api/v1/namespaces/default/pods/{worker}:52365/proxy/api/local_raylet_healthz";
        var healthy = await Kubectl.RunAsync("get", "--raw", path);
        Succeeded(healthy);
        Assert.Equal("success", healthy.Output);

        Succeeded(await Kubectl.RunAsync("annotate", "pod", worker, $"{SandboxAnnotations.RayletHealthy}=false", "--overwrite"));
        var failing = await Kubectl.RunAsync("get", "--raw", path);
        Assert.NotEqual(0, failing.ExitCode);
        Assert.Contains("Error from server (ServiceUnavailable)", failing.Error);

        Succeeded(await Kubectl.RunAsync("annotate", "pod", worker, $"{SandboxAnnotations.RayletHealthy}-"));
        var back = await Kubectl.RunAsync("get", "--raw", path);
        Succeeded(back);
        Assert.Equal("success", back.Output);
        // Leave the pod ready for the other tests (readiness failed while the raylet was down).
        await fixture.H.WaitAsync(() => fixture.H.Pods("default", "ray.io/node-type", "worker").All(PodInfo.IsRunningAndReady), "workers ready again");
    }

    [KubectlFact]
    public async Task ServiceProxyAndLogs()
    {
        var status = await Kubectl.RunAsync("get", "--raw", "/api/v1/namespaces/default/services/raycluster-kuberay-head-svc:dashboard/proxy/api/cluster_status?format=1");
        Succeeded(status);
        Assert.Contains("Got formatted cluster status.", status.Output);
        var head = (await PodNames("ray.io/node-type=head"))[0];
        var logs = await Kubectl.RunAsync("logs", head);
        Succeeded(logs);
        Assert.Contains("Ray runtime started.", logs.Output);
        var events = await Kubectl.RunAsync("get", "events", "--field-selector", "involvedObject.name=" + head);
        Succeeded(events);
        Assert.Contains("Started container ray-head", events.Output);
    }
}
