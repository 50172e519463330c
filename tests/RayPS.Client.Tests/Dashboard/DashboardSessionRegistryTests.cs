using System.Net;
using System.Net.Sockets;
using RayPS.Client.Tests.Dashboard.Support;
using RayPS.Dashboard;
using RayPS.Errors;

namespace RayPS.Client.Tests.Dashboard;

public sealed class DashboardSessionRegistryTests : IDisposable
{
    private readonly FakeKubeApi _api = new();
    private readonly DashboardSessionRegistry _registry = new();

    public DashboardSessionRegistryTests()
    {
        _api.AddCluster("ray", "head-a");
        _api.AddHeadPod("ray", "head-a");
    }

    private Task<PortForwardSession> StartAsync() => _registry.StartAsync(_api.Connect(),
        new DashboardSessionOptions { ClusterName = "ray", Namespace = FakeKubeApi.Ns, LocalPort = 0 }, null, CancellationToken.None);

    [Fact]
    public async Task Numbers_sessions_and_lists_them_by_id()
    {
        var first = await StartAsync();
        var second = await StartAsync();

        Assert.Equal(first.Id + 1, second.Id);
        Assert.Equal(new[] { first.Id, second.Id }, _registry.List().Select(s => s.Id));
        Assert.Same(second, _registry.Get(second.Id));
        Assert.Same(second.View, _registry.Get(second.Id).View);
    }

    [Fact]
    public async Task Stop_unlists_the_session_and_frees_its_port()
    {
        var session = await StartAsync();
        var port = session.DashboardEndPoint.Port;

        await _registry.StopAsync(session);

        Assert.Empty(_registry.List());
        Assert.Equal(RayDashboardSessionState.Stopped, session.View.State);
        using var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
    }

    [Fact]
    public void An_unknown_id_is_DashboardSessionNotFound()
    {
        var ex = Assert.Throws<RayPSException>(() => _registry.Get(4711));

        Assert.Equal(ErrorIds.DashboardSessionNotFound, ex.ErrorId);
        Assert.Equal(RayErrorCategory.ObjectNotFound, ex.Category);
        Assert.Contains("Id 4711", ex.Message);
        Assert.Contains("Get-RayDashboard", ex.Message);
    }

    [Fact]
    public async Task A_failed_start_is_not_listed()
    {
        _api.ForbidPortForward = true;

        await Assert.ThrowsAsync<RayPSException>(StartAsync);

        Assert.Empty(_registry.List());
    }

    public void Dispose()
    {
        _registry.StopAll().Wait(TimeSpan.FromSeconds(10));
        _api.DeletePod("head-a");
    }
}
