using System.Net.WebSockets;
using System.Text;
using k8s;
using RayPS.Sandbox.Net;
using RayPS.Sandbox.Resources;

namespace RayPS.Sandbox.Tests.Net;

/// <summary>How the API server reaches pods: the cached view of stored pods, and how a port-forward stream ends.</summary>
public sealed class PodRoutingTests : SandboxTest
{
    private void RunningPod(string name, string ip)
    {
        Sandbox.Store.Create(Gvr.Pods, Objects.Pod(name));
        PodBinding.Bind(Sandbox.Store, "default", name, "node-1");
        SetIp(name, ip);
    }

    private void SetIp(string name, string ip) =>
        Sandbox.Store.Patch(Gvr.Pods, "default", name, PatchType.MergePatch, """{"status":{"phase":"Running","podIP":"ADDRESS"}}""".Replace("ADDRESS", ip), subresource: "status");

    [Fact]
    public void The_stored_pod_cache_follows_every_change_and_deletion()
    {
        RunningPod("cached-0", "10.244.0.1");
        var cache = new StoredPodCache(Sandbox.Store);
        string? Ip() => cache.Read("default", "cached-0", pod => JsonNodes.StringAt(pod, "status", "podIP"));

        Assert.Equal("10.244.0.1", Ip());
        Assert.Equal("10.244.0.1", Ip());
        SetIp("cached-0", "10.244.0.2");
        Assert.Equal("10.244.0.2", Ip());
        Sandbox.Store.Delete(Gvr.Pods, "default", "cached-0", new DeleteOptions { GracePeriodSeconds = 0 });
        Assert.Equal(404, Assert.Throws<ApiException>(() => Ip()).Code);
    }

    [Fact]
    public async Task A_pod_that_closes_its_side_ends_the_port_forward_with_a_close_frame_after_its_bytes()
    {
        RunningPod("pf-close-0", "10.244.0.3");
        Sandbox.PodNetwork.Listen("default", "pf-close-0", 8265, async (stream, ct) =>
        {
            var request = new byte[64];
            var read = await stream.ReadAsync(request, ct);
            await stream.WriteAsync(Encoding.ASCII.GetBytes("bye:" + Encoding.ASCII.GetString(request, 0, read)), ct);
        });
        var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(Sandbox.KubeConfigPath));
        using var socket = await client.WebSocketNamespacedPodPortForwardAsync("pf-close-0", "default", [8265], "v4.channel.k8s.io");
        await socket.SendAsync(new byte[] { 0, (byte)'x' }, WebSocketMessageType.Binary, true, CancellationToken.None);

        // Every message starts with its channel byte; channel 0 carries the port (2 bytes) first, then the data.
        var channel0 = new List<byte>();
        var buffer = new byte[256];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        WebSocketReceiveResult result;
        while ((result = await socket.ReceiveAsync(buffer, timeout.Token)).MessageType != WebSocketMessageType.Close)
        {
            if (buffer[0] == 0)
            {
                channel0.AddRange(buffer.Skip(1).Take(result.Count - 1));
            }
        }

        Assert.Equal("bye:x", Encoding.ASCII.GetString(channel0.Skip(2).ToArray()));
        Assert.Equal(WebSocketCloseStatus.NormalClosure, result.CloseStatus);
    }
}
