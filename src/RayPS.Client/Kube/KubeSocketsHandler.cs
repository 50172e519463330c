using k8s;

namespace RayPS.Kube;

/// <summary>
/// The sockets handler every connection to the API server starts from, the API client's and the streaming one's alike:
/// kubectl's proxy rules (HTTPS_PROXY/NO_PROXY or the kubeconfig's proxy-url, never the system proxy), the server
/// certificate checked as kubectl checks it, and the kubeconfig user's client certificate.
/// </summary>
internal static class KubeSocketsHandler
{
    public static SocketsHttpHandler Create(KubernetesClientConfiguration config, System.Net.IWebProxy? proxy, string? contextName,
        Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> connect)
    {
        var handler = new SocketsHttpHandler { ConnectCallback = connect, Proxy = proxy, UseProxy = proxy is not null };
        if (new Uri(config.Host).Scheme == Uri.UriSchemeHttps)
        {
            ServerCertificateCheck.Apply(handler, config);
        }
        ClientCertificates.Use(handler, config, contextName);
        return handler;
    }
}
