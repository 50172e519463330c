using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
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
    public static SocketsHttpHandler Create(KubernetesClientConfiguration config, System.Net.IWebProxy? proxy = null, string? contextName = null)
    {
        // kubectl's proxy rules for port-forward too (HTTPS_PROXY/NO_PROXY or the kubeconfig's proxy-url), never the system proxy.
        var handler = new SocketsHttpHandler { ConnectCallback = ConnectAsync, Proxy = proxy, UseProxy = proxy is not null };
        if (new Uri(config.Host).Scheme == Uri.UriSchemeHttps)
        {
            ServerCertificateCheck.Apply(handler, config);
        }
        UseClientCertificate(handler, config, contextName);
        return handler;
    }

    /// <summary>
    /// Offers the kubeconfig user's client-certificate(-data) and client-key(-data) in the handler's TLS handshakes, when it
    /// has both; a pair that cannot be loaded is KubeConfigInvalid (never quoting the PEM).
    /// </summary>
    public static void UseClientCertificate(SocketsHttpHandler handler, KubernetesClientConfiguration config, string? contextName)
    {
        if (!HasClientCertificate(config))
        {
            return;
        }
        X509Certificate2 certificate;
        try
        {
            certificate = LoadClientCertificate(config);
        }
        catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or FormatException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new Errors.RayPSException(Errors.ErrorIds.KubeConfigInvalid, Errors.RayErrorCategory.InvalidData,
                $"The client certificate or key of kubeconfig context '{contextName}' cannot be used ({ex.GetType().Name}). Check the user's client-certificate(-data) and client-key(-data): both PEM, the key matching the certificate.",
                contextName, ex);
        }
        handler.SslOptions.ClientCertificates = new X509CertificateCollection { certificate };
    }

    private static bool HasClientCertificate(KubernetesClientConfiguration config) =>
        (!string.IsNullOrWhiteSpace(config.ClientCertificateData) || !string.IsNullOrWhiteSpace(config.ClientCertificateFilePath))
        && (!string.IsNullOrWhiteSpace(config.ClientCertificateKeyData) || !string.IsNullOrWhiteSpace(config.ClientKeyFilePath));

    /// <summary>The kubeconfig's client-certificate(-data) and client-key(-data), as PEM, made usable by SslStream on every OS.</summary>
    private static X509Certificate2 LoadClientCertificate(KubernetesClientConfiguration config)
    {
        var certificatePem = !string.IsNullOrWhiteSpace(config.ClientCertificateData)
            ? System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(config.ClientCertificateData))
            : File.ReadAllText(config.ClientCertificateFilePath);
        var keyPem = !string.IsNullOrWhiteSpace(config.ClientCertificateKeyData)
            ? System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(config.ClientCertificateKeyData))
            : File.ReadAllText(config.ClientKeyFilePath);
        return ClientCertificates.FromPem(certificatePem, keyPem);
    }

    private static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var socket = await HappyEyeballs.ConnectAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Port, ct).ConfigureAwait(false);
        return new ReadAheadStream(socket);
    }
}
