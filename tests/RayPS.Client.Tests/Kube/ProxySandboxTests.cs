using RayPS.Client.Tests.Support;
using RayPS.Kube;
using RayPS.Operations;
using RayPS.Sandbox;

namespace RayPS.Client.Tests.Kube;

/// <summary>A kubeconfig's proxy-url carries both the API client's requests and the streaming sockets (port-forward), as kubectl's do.</summary>
public sealed class ProxySandboxTests : IAsyncLifetime
{
    private KubeSandbox _sandbox = null!;
    private ConnectProxy _proxy = null!;
    private string _kubeConfig = null!;

    public async Task InitializeAsync()
    {
        _sandbox = await KubeSandbox.StartAsync(new SandboxOptions { Controllers = SandboxControllers.None });
        _proxy = new ConnectProxy();
        var yaml = await File.ReadAllTextAsync(_sandbox.KubeConfigPath);
        var server = $"server: {_sandbox.Uri.GetLeftPart(UriPartial.Authority)}";
        Assert.Contains(server, yaml);
        _kubeConfig = Path.Combine(Path.GetTempPath(), $"rayps-proxied-{Guid.NewGuid():N}.kubeconfig");
        await File.WriteAllTextAsync(_kubeConfig, yaml.Replace(server, server + "\n    proxy-url: " + _proxy.Uri));
    }

    public async Task DisposeAsync()
    {
        File.Delete(_kubeConfig);
        await _proxy.DisposeAsync();
        await _sandbox.DisposeAsync();
    }

    [Fact]
    public async Task Api_requests_and_streams_go_through_the_kubeconfig_proxy_even_to_loopback()
    {
        var connection = KubeConnection.Get(new KubeConnectionOptions(_kubeConfig));
        var expected = _sandbox.Uri.Authority;

        Assert.Empty(await RayClusterOperations.ListAsync(connection, "default", CancellationToken.None));
        Assert.Contains(expected, _proxy.Targets);

        var before = _proxy.Targets.Count;
        using var response = await connection.StreamingInvoker.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(_sandbox.Uri, "/version")), CancellationToken.None);
        Assert.True(response.IsSuccessStatusCode, $"GET /version through the proxy answered {(int)response.StatusCode}");
        Assert.True(_proxy.Targets.Count > before, "the streaming handler did not use the proxy");
        Assert.Equal(expected, _proxy.Targets.Last());
    }
}
