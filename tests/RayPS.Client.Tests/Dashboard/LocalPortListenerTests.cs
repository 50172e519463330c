using System.Net;
using System.Net.Sockets;
using RayPS.Dashboard;
using RayPS.Errors;

namespace RayPS.Client.Tests.Dashboard;

public sealed class LocalPortListenerTests
{
    [Fact]
    public void Port_zero_picks_a_free_port()
    {
        using var listener = LocalPortListener.Start(IPAddress.Loopback, 0, "-LocalPort");
        Assert.True(listener.EndPoint.Port > 0);
        Assert.Equal(IPAddress.Loopback, listener.EndPoint.Address);
    }

    [Fact]
    public void A_port_held_by_another_listener_is_DashboardPortInUse()
    {
        using var first = LocalPortListener.Start(IPAddress.Loopback, 0, "-LocalPort");

        var ex = Assert.Throws<RayPSException>(() => LocalPortListener.Start(IPAddress.Loopback, first.EndPoint.Port, "-ClientLocalPort"));

        Assert.Equal(ErrorIds.DashboardPortInUse, ex.ErrorId);
        Assert.Equal(RayErrorCategory.ResourceUnavailable, ex.Category);
        Assert.Contains($"Local port {first.EndPoint.Port} on 127.0.0.1 is already in use", ex.Message);
        Assert.Contains("Pass -ClientLocalPort 0", ex.Message);
    }

    [Fact]
    public void A_default_port_that_is_taken_moves_to_the_next_free_one_up()
    {
        using var first = LocalPortListener.Start(IPAddress.Loopback, 0, "-LocalPort");

        using var next = LocalPortListener.StartOnNextFree(IPAddress.Loopback, first.EndPoint.Port, "-LocalPort", tries: 50);

        Assert.True(next.EndPoint.Port > first.EndPoint.Port);
        Assert.True(next.EndPoint.Port <= first.EndPoint.Port + 50);
    }

    [Fact]
    public void A_default_port_that_is_free_stays()
    {
        int port;
        using (var probe = LocalPortListener.Start(IPAddress.Loopback, 0, "-LocalPort"))
        {
            port = probe.EndPoint.Port;
        }

        using var listener = LocalPortListener.StartOnNextFree(IPAddress.Loopback, port, "-LocalPort");

        Assert.Equal(port, listener.EndPoint.Port);
    }

    [Fact]
    public void When_no_port_up_is_free_the_error_is_the_first_ports()
    {
        using var first = LocalPortListener.Start(IPAddress.Loopback, 0, "-LocalPort");

        var ex = Assert.Throws<RayPSException>(() => LocalPortListener.StartOnNextFree(IPAddress.Loopback, first.EndPoint.Port, "-LocalPort", tries: 1));

        Assert.Equal(ErrorIds.DashboardPortInUse, ex.ErrorId);
        Assert.Contains($"Local port {first.EndPoint.Port} ", ex.Message);
    }

    [Fact]
    public void A_port_held_on_all_interfaces_is_in_use_for_loopback_too()
    {
        using var any = new TcpListener(IPAddress.Any, 0);
        any.Start();
        var port = ((IPEndPoint)any.LocalEndpoint).Port;

        var ex = Assert.Throws<RayPSException>(() => LocalPortListener.Start(IPAddress.Loopback, port, "-LocalPort"));

        Assert.Equal(ErrorIds.DashboardPortInUse, ex.ErrorId);
    }

    [Fact]
    public void An_address_of_another_machine_is_DashboardListenFailed()
    {
        var ex = Assert.Throws<RayPSException>(() => LocalPortListener.Start(IPAddress.Parse("203.0.113.7"), 0, "-LocalPort"));
        Assert.Equal(ErrorIds.DashboardListenFailed, ex.ErrorId);
        Assert.Contains("203.0.113.7", ex.Message);
    }

    [Fact]
    public async Task Disposing_frees_the_port_and_ends_a_pending_accept()
    {
        var listener = LocalPortListener.Start(IPAddress.Loopback, 0, "-LocalPort");
        var port = listener.EndPoint.Port;
        using var cts = new CancellationTokenSource();
        var accept = listener.AcceptAsync(cts.Token).AsTask();

        listener.Dispose();

        await Assert.ThrowsAnyAsync<Exception>(() => accept);
        using var again = LocalPortListener.Start(IPAddress.Loopback, port, "-LocalPort");
    }

    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1")]
    [InlineData("localhost", "127.0.0.1")]
    [InlineData("LOCALHOST", "127.0.0.1")]
    [InlineData("::1", "::1")]
    [InlineData("0.0.0.0", "0.0.0.0")]
    public void Parses_listen_addresses(string text, string expected)
    {
        var options = new DashboardSessionOptions { ClusterName = "ray", Namespace = "default", Address = text };
        Assert.Equal(IPAddress.Parse(expected), options.ParseAddress());
    }

    [Fact]
    public void A_host_name_is_not_an_address()
    {
        var options = new DashboardSessionOptions { ClusterName = "ray", Namespace = "default", Address = "my-laptop" };
        var ex = Assert.Throws<RayPSException>(() => options.ParseAddress());
        Assert.Equal(ErrorIds.DashboardListenFailed, ex.ErrorId);
        Assert.Equal(RayErrorCategory.InvalidArgument, ex.Category);
    }
}
