using k8s;

namespace RayPS.Kube;

/// <summary>
/// The HTTP handler for long-lived byte streams to the API server (port-forward WebSockets): the same server, TLS
/// trust and client certificate as the connection's API client, but its own sockets, read through a
/// <see cref="ReadAheadStream"/> so a bulk transfer costs one receive per batch of TLS records, not one per record.
/// Bearer tokens are added per request by the caller, as the API client's credentials handler would.
/// </summary>
internal static class StreamingHandler
{
    public static SocketsHttpHandler Create(KubernetesClientConfiguration config, System.Net.IWebProxy? proxy = null, string? contextName = null) =>
        KubeSocketsHandler.Create(config, proxy, contextName, ConnectAsync);

    private static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var socket = await HappyEyeballs.ConnectAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Port, ct).ConfigureAwait(false);
        return new ReadAheadStream(socket);
    }
}
