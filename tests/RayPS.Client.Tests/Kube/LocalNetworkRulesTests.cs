using System.Net;
using System.Net.Sockets;
using RayPS.Dashboard;
using RayPS.Errors;
using RayPS.Kube;

namespace RayPS.Client.Tests.Kube;

/// <summary>Local port checks and connection racing that behave the same on Windows, macOS and Linux.</summary>
public sealed class LocalNetworkRulesTests
{
    [Fact]
    public void A_port_another_socket_holds_on_the_wildcard_is_in_use_for_loopback_too()
    {
        using var other = new TcpListener(IPAddress.Any, 0);
        other.Start();
        var port = ((IPEndPoint)other.LocalEndpoint).Port;

        Assert.Equal(IPAddress.Any, LocalPortListener.WildcardHolder(IPAddress.Loopback, port));
        var ex = Assert.Throws<RayPSException>(() => LocalPortListener.Start(IPAddress.Loopback, port, "-LocalPort"));
        Assert.Equal(ErrorIds.DashboardPortInUse, ex.ErrorId);
        Assert.Contains("-LocalPort 0", ex.Message);
    }

    [Fact]
    public void A_free_port_has_no_wildcard_holder_and_binds()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        Assert.Null(LocalPortListener.WildcardHolder(IPAddress.Loopback, port));
        using var listener = LocalPortListener.Start(IPAddress.Loopback, port, "-LocalPort");
        Assert.Equal(port, listener.EndPoint.Port);
        Assert.Null(LocalPortListener.WildcardHolder(IPAddress.Any, port));
    }

    [Fact]
    public void Access_denied_on_Windows_names_the_excluded_port_ranges_elsewhere_the_privileged_ports()
    {
        var windows = LocalPortListener.ListenError(SocketError.AccessDenied, IPAddress.Loopback, 50000, "-LocalPort", isWindows: true);
        Assert.Equal(ErrorIds.DashboardListenFailed, windows.ErrorId);
        Assert.Equal(RayErrorCategory.PermissionDenied, windows.Category);
        Assert.Contains("excludedportrange", windows.Message);
        Assert.DoesNotContain("below 1024", windows.Message);

        var unix = LocalPortListener.ListenError(SocketError.AccessDenied, IPAddress.Loopback, 80, "-LocalPort", isWindows: false);
        Assert.Contains("ports below 1024 need elevated rights", unix.Message);
    }

    [Fact]
    public async Task Happy_eyeballs_connects_through_the_other_family_when_the_first_refuses()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        // [::1] first, as Windows resolves localhost; nothing listens there on this port.
        using var socket = await HappyEyeballs.ConnectAsync(new[] { IPAddress.IPv6Loopback, IPAddress.Loopback }, port, CancellationToken.None);
        Assert.Equal(IPAddress.Loopback, ((IPEndPoint)socket.RemoteEndPoint!).Address);
        using var accepted = await listener.AcceptSocketAsync();
    }

    [Fact]
    public async Task Happy_eyeballs_prefers_the_first_family_when_it_answers()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var socket = await HappyEyeballs.ConnectAsync(new[] { IPAddress.Loopback, IPAddress.IPv6Loopback }, port, CancellationToken.None);
        Assert.Equal(IPAddress.Loopback, ((IPEndPoint)socket.RemoteEndPoint!).Address);
    }

    [Fact]
    public async Task Happy_eyeballs_reports_the_refusal_when_no_family_answers()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        var ex = await Assert.ThrowsAsync<SocketException>(() => HappyEyeballs.ConnectAsync(new[] { IPAddress.IPv6Loopback, IPAddress.Loopback }, port, CancellationToken.None));
        Assert.NotEqual(SocketError.Success, ex.SocketErrorCode);
    }
}
