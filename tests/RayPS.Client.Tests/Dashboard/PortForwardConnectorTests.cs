using System.Net.WebSockets;
using RayPS.Client.Tests.Dashboard.Support;
using RayPS.Dashboard;
using RayPS.Errors;

namespace RayPS.Client.Tests.Dashboard;

public sealed class PortForwardConnectorTests : IDisposable
{
    private static readonly DashboardTarget Target = new(FakeKubeApi.Ns, "head-a", null, 8265, 10001);
    private readonly FakeKubeApi _api = new();
    private readonly PortForwardConnector _connector;

    public PortForwardConnectorTests()
    {
        _api.AddCluster("ray", "head-a");
        _connector = new PortForwardConnector(_api.Connect(), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Upgrades_the_pod_portforward_path_with_v4_channel_and_the_bearer_token()
    {
        _api.AddHeadPod("ray", "head-a");

        using var channel = await _connector.OpenAsync(Target, 8265, CancellationToken.None);
        await channel.WaitEstablishedAsync(CancellationToken.None);

        var request = Assert.Single(_api.Requests);
        Assert.Equal("wss", request.RequestUri!.Scheme);
        Assert.Equal("/api/v1/namespaces/default/pods/head-a/portforward", request.RequestUri.AbsolutePath);
        Assert.Equal("?ports=8265", request.RequestUri.Query);
        Assert.Equal("v4.channel.k8s.io", request.Headers.GetValues("Sec-WebSocket-Protocol").Single());
        Assert.Equal("Bearer test-token-not-secret", request.Headers.GetValues("Authorization").Single());
        Assert.StartsWith("RayPS/", request.Headers.UserAgent.ToString());
    }

    [Fact]
    public async Task Forbidden_is_KubeApiForbidden_with_the_server_message_and_the_check_to_run()
    {
        _api.AddHeadPod("ray", "head-a");
        _api.ForbidPortForward = true;

        var ex = await Assert.ThrowsAsync<RayPSException>(() => _connector.OpenAsync(Target, 8265, CancellationToken.None));

        Assert.Equal(ErrorIds.KubeApiForbidden, ex.ErrorId);
        Assert.Equal(403, ex.StatusCode);
        Assert.Contains("kubectl auth can-i create pods/portforward -n default", ex.Message);
        Assert.Contains("User \"viewer\" cannot create resource", ex.Message);
        Assert.DoesNotContain("test-token-not-secret", ex.ToString());
    }

    [Fact]
    public async Task A_deleted_pod_is_DashboardTargetNotReady_with_status_404()
    {
        var ex = await Assert.ThrowsAsync<RayPSException>(() => _connector.OpenAsync(Target, 8265, CancellationToken.None));

        Assert.Equal(ErrorIds.DashboardTargetNotReady, ex.ErrorId);
        Assert.Equal(404, ex.StatusCode);
        Assert.Contains("is gone", ex.Message);
    }

    [Fact]
    public async Task A_pod_without_a_host_is_DashboardTargetNotReady_with_the_server_reason()
    {
        _api.AddHeadPod("ray", "head-a", phase: "Pending", ready: false);

        var ex = await Assert.ThrowsAsync<RayPSException>(() => _connector.OpenAsync(Target, 8265, CancellationToken.None));

        Assert.Equal(ErrorIds.DashboardTargetNotReady, ex.ErrorId);
        Assert.Contains("pod head-a does not have a host assigned", ex.Message);
    }

    [Fact]
    public async Task Cancellation_is_honoured()
    {
        _api.AddHeadPod("ray", "head-a");
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _connector.OpenAsync(Target, 8265, cts.Token));
    }

    [Fact]
    public async Task An_unreachable_API_server_is_KubeApiUnreachable()
    {
        var config = new k8s.KubernetesClientConfiguration { Host = "https://127.0.0.1:1", AccessToken = "t" };
        var connection = RayPS.Kube.KubeConnection.Create(config, "down", new RayPS.Kube.RetryHandler { MaxAttempts = 1 });
        var connector = new PortForwardConnector(connection, TimeSpan.FromSeconds(10));

        var ex = await Assert.ThrowsAsync<RayPSException>(() => connector.OpenAsync(Target, 8265, CancellationToken.None));

        Assert.Equal(ErrorIds.KubeApiUnreachable, ex.ErrorId);
        Assert.Contains("127.0.0.1:1", ex.Message);
    }

    public void Dispose() => _api.DeletePod("head-a");
}
