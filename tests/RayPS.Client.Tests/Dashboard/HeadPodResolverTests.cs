using RayPS.Client.Tests.Dashboard.Support;
using RayPS.Dashboard;
using RayPS.Errors;

namespace RayPS.Client.Tests.Dashboard;

public sealed class HeadPodResolverTests : IDisposable
{
    private readonly FakeKubeApi _api = new();

    private Task<DashboardTarget> ResolveAsync(string cluster = "ray") =>
        new HeadPodResolver(_api.Connect(), FakeKubeApi.Ns, cluster).ResolveAsync(CancellationToken.None);

    [Fact]
    public async Task Uses_the_pod_named_in_the_cluster_status_with_two_requests()
    {
        _api.AddCluster("ray", "head-a");
        _api.AddHeadPod("ray", "head-a");

        var target = await ResolveAsync();

        Assert.Equal("head-a", target.PodName);
        Assert.Equal(FakeKubeApi.Ns, target.Namespace);
        Assert.Equal(8265, target.DashboardPort);
        Assert.Equal(10001, target.ClientPort);
        Assert.NotNull(target.PodUid);
        Assert.Equal(2, _api.Requests.Count);
    }

    [Fact]
    public async Task Falls_back_to_the_head_service_selector_when_the_named_pod_is_terminating()
    {
        _api.AddCluster("ray", "head-a");
        _api.AddHeadPod("ray", "head-a");
        _api.MarkTerminating("head-a");
        _api.AddHeadPod("ray", "head-b");

        var target = await ResolveAsync();

        Assert.Equal("head-b", target.PodName);
        Assert.Contains(_api.Requests, r => r.RequestUri!.AbsolutePath.EndsWith("/services/ray-head-svc"));
        Assert.Contains(_api.Requests, r => Uri.UnescapeDataString(r.RequestUri!.Query) == "?labelSelector=ray.io/cluster=ray,ray.io/node-type=head");
    }

    [Fact]
    public async Task Falls_back_to_kuberay_head_labels_without_status_or_service()
    {
        _api.AddCluster("ray", headPodName: null, withService: false);
        _api.AddHeadPod("ray", "head-a");

        Assert.Equal("head-a", (await ResolveAsync()).PodName);
    }

    [Fact]
    public async Task Reads_the_dashboard_port_from_the_container_port_named_dashboard()
    {
        _api.AddCluster("ray", "head-a");
        _api.AddHeadPod("ray", "head-a", dashboardPort: 9265);

        Assert.Equal(9265, (await ResolveAsync()).DashboardPort);
    }

    [Fact]
    public async Task A_running_but_not_ready_head_is_not_ready_yet()
    {
        _api.AddCluster("ray", "head-a");
        _api.AddHeadPod("ray", "head-a", ready: false);

        var ex = await Assert.ThrowsAsync<RayPSException>(() => ResolveAsync());

        Assert.Equal(ErrorIds.DashboardTargetNotReady, ex.ErrorId);
        Assert.Equal(RayErrorCategory.ResourceUnavailable, ex.Category);
        Assert.Contains("'head-a' is Running", ex.Message);
        Assert.Contains("not ready", ex.Message);
        Assert.Contains("Wait-RayCluster ray", ex.Message);
    }

    [Fact]
    public async Task A_cluster_without_head_pods_says_so()
    {
        _api.AddCluster("ray", headPodName: null);

        var ex = await Assert.ThrowsAsync<RayPSException>(() => ResolveAsync());

        Assert.Equal(ErrorIds.DashboardTargetNotReady, ex.ErrorId);
        Assert.Contains("it has no head pod yet", ex.Message);
    }

    [Fact]
    public async Task A_missing_cluster_is_RayClusterNotFound_naming_namespace_and_context()
    {
        var ex = await Assert.ThrowsAsync<RayPSException>(() => ResolveAsync("nope"));

        Assert.Equal(ErrorIds.RayClusterNotFound, ex.ErrorId);
        Assert.Contains("'default'", ex.Message);
        Assert.Contains("fake-context", ex.Message);
    }

    public void Dispose()
    {
        foreach (var name in new[] { "head-a", "head-b" })
        {
            _api.DeletePod(name);
        }
    }
}
