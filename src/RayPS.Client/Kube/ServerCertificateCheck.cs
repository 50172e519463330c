using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using k8s;

namespace RayPS.Kube;

/// <summary>
/// Checks the API server's certificate the way kubectl (Go crypto/tls) does. KubernetesClient's own check accepts a
/// certificate signed by the kubeconfig's CA even when it names another host; this one never does:
/// <list type="bullet">
/// <item>insecure-skip-tls-verify accepts anything;</item>
/// <item>the certificate must name the host of the server URL, or tls-server-name when it is set (DNS and IP SANs only,
/// wildcards allowed, never the common name);</item>
/// <item>the chain must end at a certificate of the kubeconfig's certificate-authority(-data) when one is given (every
/// certificate of that bundle is a trust anchor, an intermediate too), else at the system trust store.</item>
/// </list>
/// </summary>
internal sealed class ServerCertificateCheck
{
    private static readonly System.Security.Cryptography.Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1");

    private readonly X509Certificate2Collection? _authorities;
    private readonly string _hostName;
    private readonly bool _skipVerify;
    private readonly bool _hasServerName;

    private ServerCertificateCheck(X509Certificate2Collection? authorities, string hostName, bool hasServerName, bool skipVerify)
    {
        _hasServerName = hasServerName;
        _authorities = authorities is { Count: > 0 } ? authorities : null;
        _hostName = hostName;
        _skipVerify = skipVerify;
    }

    /// <summary>The check for a kubeconfig cluster: its CA bundle, server URL, tls-server-name and insecure-skip-tls-verify.</summary>
    public static ServerCertificateCheck For(KubernetesClientConfiguration config)
    {
        var hasServerName = !string.IsNullOrWhiteSpace(config.TlsServerName);
        var hostName = hasServerName ? config.TlsServerName : new Uri(config.Host).IdnHost;
        return new ServerCertificateCheck(config.SslCaCerts, hostName, hasServerName, config.SkipTlsVerify);
    }

    /// <summary>
    /// Makes the handler check server certificates with this check. With tls-server-name, the TLS handshake of a direct
    /// connection is made here, so that name is also the SNI name (as kubectl sends it) while the Host header stays the
    /// URL's: SocketsHttpHandler would send the URL's host (or, for an IP address, no SNI at all).
    /// </summary>
    public static void Apply(SocketsHttpHandler handler, KubernetesClientConfiguration config)
    {
        var check = For(config);
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) => check.Accepts(certificate, chain, errors);
        if (!string.IsNullOrWhiteSpace(config.TlsServerName))
        {
            handler.SslOptions.TargetHost = config.TlsServerName;
            var connect = handler.ConnectCallback ?? HappyEyeballs.ConnectStreamAsync;
            var serverName = config.TlsServerName;
            handler.ConnectCallback = async (context, ct) =>
            {
                var stream = await connect(context, ct).ConfigureAwait(false);
                return IsDirect(context) ? await HandshakeAsync(stream, handler.SslOptions, serverName, ct).ConfigureAwait(false) : stream;
            };
        }
    }

    /// <summary>
    /// A connection to the server itself, not to a proxy (through a proxy, TLS to the server runs inside the tunnel that
    /// SocketsHttpHandler opens after this connection, and it sends the URL's host as SNI there).
    /// </summary>
    private static bool IsDirect(SocketsHttpConnectionContext context) =>
        context.InitialRequestMessage.RequestUri is { Scheme: "https" or "wss" } uri
        && string.Equals(uri.IdnHost, context.DnsEndPoint.Host, StringComparison.OrdinalIgnoreCase)
        && uri.Port == context.DnsEndPoint.Port;

    private static async ValueTask<Stream> HandshakeAsync(Stream stream, SslClientAuthenticationOptions handlerOptions, string serverName, CancellationToken ct)
    {
        var tls = new SslStream(stream, leaveInnerStreamOpen: false);
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = serverName,
                ApplicationProtocols = [SslApplicationProtocol.Http11],
                RemoteCertificateValidationCallback = handlerOptions.RemoteCertificateValidationCallback,
                LocalCertificateSelectionCallback = handlerOptions.LocalCertificateSelectionCallback,
                ClientCertificates = handlerOptions.ClientCertificates,
                EnabledSslProtocols = handlerOptions.EnabledSslProtocols,
                CertificateRevocationCheckMode = handlerOptions.CertificateRevocationCheckMode,
            }, ct).ConfigureAwait(false);
            return tls;
        }
        catch
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The name <see cref="WarmUpCertificate"/> is issued to (and SNI of TlsWarmUp's handshake that goes nowhere).</summary>
    internal const string WarmUpHost = "rayps-prefetch.invalid";

    /// <summary>
    /// A self-signed CA certificate for <see cref="WarmUpHost"/> valid until 2126 (public part only; its key was thrown
    /// away): <see cref="WarmUp"/> checks it as its own authority.
    /// </summary>
    private const string WarmUpCertificate = """
        -----BEGIN CERTIFICATE-----
        MIIB0jCCAXmgAwIBAgIUWK5WCYCzApG5EtaOiM8Iql7lj4owCgYIKoZIzj0EAwIw
        ITEfMB0GA1UEAwwWcmF5cHMtcHJlZmV0Y2guaW52YWxpZDAgFw0yNjEyMDcxODM1
        NDNaGA8yMTI2MTExMzE4MzU0M1owITEfMB0GA1UEAwwWcmF5cHMtcHJlZmV0Y2gu
        aW52YWxpZDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABP9zaR8jVPuvOaKUb/6z
        2juZ9tDcBDg2LeaNbeq23Awf7EKeqA2sHpzysxSuEGpMrfkTdRs6wYh6pe/UNHOI
        JLqjgYwwgYkwHQYDVR0OBBYEFCC1MsvqvaTDSVC2E+eoY2EeBFahMB8GA1UdIwQY
        MBaAFCC1MsvqvaTDSVC2E+eoY2EeBFahMCEGA1UdEQQaMBiCFnJheXBzLXByZWZl
        dGNoLmludmFsaWQwDwYDVR0TAQH/BAUwAwEB/zATBgNVHSUEDDAKBggrBgEFBQcD
        ATAKBggqhkjOPQQDAgNHADBEAiAdMJJ2NS+dIYdFFzv8UVoZTglaeRfyIIhMUc3H
        EHuswAIgQYXiAu9nESM6tNIGwyylK8KtZIpr/5nXs8QUx0vePmY=
        -----END CERTIFICATE-----
        """;

    /// <summary>
    /// Runs once, on <see cref="WarmUpCertificate"/>, what a handshake with a cluster runs: SslStream's own chain to the
    /// system store (which a kubeconfig CA is not in: the error-collecting path), then this check as for a certificate
    /// signed by the kubeconfig's CA. The first real handshake then finds PEM reading, name matching and chain building
    /// compiled. It touches no file and no network.
    /// </summary>
    internal static bool WarmUp()
    {
        using var certificate = X509Certificate2.CreateFromPem(WarmUpCertificate);
        using (var systemChain = new X509Chain())
        {
            systemChain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            _ = systemChain.Build(certificate);
        }
        return new ServerCertificateCheck(new X509Certificate2Collection(certificate), WarmUpHost, hasServerName: false, skipVerify: false)
            .Accepts(certificate, null, SslPolicyErrors.None);
    }

    public bool Accepts(X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors)
    {
        if (_skipVerify)
        {
            return true;
        }
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            return false;
        }
        var server = certificate as X509Certificate2 ?? new X509Certificate2(certificate);
        // SocketsHttpHandler checks the name against the URL's host even when tls-server-name is set: then only ours counts.
        if (((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0 && !_hasServerName)
            || !server.MatchesHostname(_hostName, allowWildcards: true, allowCommonName: false))
        {
            return false;
        }
        if (_authorities is null)
        {
            return (errors & SslPolicyErrors.RemoteCertificateChainErrors) == 0;
        }
        return ChainsToAuthority(server, presented);
    }

    private bool ChainsToAuthority(X509Certificate2 server, X509Chain? presented)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_authorities!);
        chain.ChainPolicy.ExtraStore.AddRange(_authorities!);
        if (presented is not null)
        {
            // The intermediates the server sent along with its certificate.
            foreach (var element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
            chain.ChainPolicy.ExtraStore.AddRange(presented.ChainPolicy.ExtraStore);
        }
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(ServerAuthentication);
        if (chain.Build(server))
        {
            return true;
        }
        return EndsAtBundledIntermediate(chain);
    }

    /// <summary>
    /// Go trusts any certificate of the CA bundle as an anchor, an intermediate too; .NET only builds to a self-signed root,
    /// so a chain that stops at a bundled intermediate is accepted when every certificate up to that intermediate is valid
    /// and the only complaint is the missing root.
    /// </summary>
    private bool EndsAtBundledIntermediate(X509Chain chain)
    {
        const X509ChainStatusFlags missingRoot = X509ChainStatusFlags.PartialChain | X509ChainStatusFlags.UntrustedRoot;
        for (var i = 0; i < chain.ChainElements.Count; i++)
        {
            var element = chain.ChainElements[i];
            if (element.ChainElementStatus.Any(s => (s.Status & ~missingRoot) != X509ChainStatusFlags.NoError))
            {
                return false;
            }
            if (_authorities!.Cast<X509Certificate2>().Any(a => a.RawData.AsSpan().SequenceEqual(element.Certificate.RawData)))
            {
                return true;
            }
        }
        return false;
    }
}
