using System.Collections.Concurrent;
using k8s;

namespace RayPS.Kube;

/// <summary>
/// One authenticated client for a (kubeconfig, context) pair, shared by every cmdlet call in the process.
/// </summary>
public sealed class KubeConnection
{
    private static readonly ConcurrentDictionary<string, Lazy<KubeConnection>> Cache = new(StringComparer.Ordinal);

    private readonly Lazy<HttpMessageInvoker> _streamingInvoker;

    private KubeConnection(Kubernetes client, KubeTarget? streamingTarget, ExecCredentialSource? credentials, string contextName, string defaultNamespace)
    {
        Client = client;
        ContextName = contextName;
        DefaultNamespace = defaultNamespace;
        ExecCredentials = credentials;
        Api = new KubeApi(client, contextName, credentials);
        _streamingInvoker = new Lazy<HttpMessageInvoker>(() =>
            streamingTarget is null ? client.HttpClient : new HttpMessageInvoker(CreateStreamingHandler(streamingTarget, credentials)));
    }

    /// <summary>The exec plugin credential this connection sends, when its kubeconfig user is an exec plugin.</summary>
    public ExecCredentialSource? ExecCredentials { get; }

    public Kubernetes Client { get; }
    public KubeApi Api { get; }
    public string ContextName { get; }
    public string DefaultNamespace { get; }
    public Uri Server => Client.BaseUri;

    /// <summary>Sends the requests that become long-lived byte streams (port-forward WebSockets); see <see cref="StreamingHandler"/>.</summary>
    internal HttpMessageInvoker StreamingInvoker => _streamingInvoker.Value;

    /// <summary>Returns the cached connection for these options, creating it on first use.</summary>
    /// <remarks>
    /// The cache is consulted before anything is parsed or run: the key is the resolved kubeconfig files (with their
    /// modification times) and the context asked for. An exec plugin runs on the first request, not here.
    /// </remarks>
    public static KubeConnection Get(KubeConnectionOptions options)
    {
        var facts = OsFacts.Current;
        var key = KubeConfigLoader.CacheKey(options, facts);
        var lazy = Cache.GetOrAdd(key, _ => new Lazy<KubeConnection>(() => Create(KubeConfigLoader.Prepare(options, facts), facts)));
        try
        {
            return lazy.Value;
        }
        catch
        {
            // A kubeconfig that could not be used is read again next time (it may have been fixed in place).
            Cache.TryRemove(new KeyValuePair<string, Lazy<KubeConnection>>(key, lazy));
            throw;
        }
    }

    /// <summary>The namespace a command should use: the explicit one, else the context's, else "default".</summary>
    public string ResolveNamespace(string? explicitNamespace) =>
        string.IsNullOrWhiteSpace(explicitNamespace) ? DefaultNamespace : explicitNamespace;

    private static KubeConnection Create(KubeTarget target, OsFacts facts)
    {
        var credentials = target.Exec is null ? null : ExecCredentialSource.For(target.Exec, facts);
        return Create(target, credentials, ownStreamingSockets: true, new RetryHandler());
    }

    /// <summary>Builds an uncached connection for a prepared target with extra handlers after the retry handler (tests).</summary>
    internal static KubeConnection Create(KubeTarget target, ExecCredentialSource? credentials, params DelegatingHandler[] handlers) =>
        Create(target, credentials, ownStreamingSockets: false, handlers);

    /// <summary>
    /// Builds an uncached connection with extra handlers after the retry handler (tests use a fake server handler); its
    /// streams go through those handlers too.
    /// </summary>
    internal static KubeConnection Create(KubernetesClientConfiguration config, string contextName, params DelegatingHandler[] handlers) =>
        Create(new KubeTarget(config, contextName, contextName, null, null), null, ownStreamingSockets: false, handlers);

    private static KubeConnection Create(KubeTarget target, ExecCredentialSource? credentials, bool ownStreamingSockets, params DelegatingHandler[] handlers)
    {
        var config = target.Config;
        // Watches and proxies run long; KubeApi applies its own per-request timeout instead.
        config.HttpClientTimeout = Timeout.InfiniteTimeSpan;
        var proxy = target.Proxy;
        SocketsHttpHandler? sockets = null;
        config.FirstMessageHandlerSetup = handler =>
        {
            sockets = handler;
            // kubectl's proxy rules, never the system proxy (see KubeProxy).
            handler.Proxy = proxy;
            handler.UseProxy = proxy is not null;
            handler.ConnectCallback = HappyEyeballs.ConnectStreamAsync;
            if (credentials is not null)
            {
                UseExecClientCertificate(handler, credentials);
            }
        };
        var chain = credentials is null ? handlers : handlers.Prepend(new ExecCredentialHandler(credentials)).ToArray();
        var client = new Kubernetes(config, chain);
        if (client.BaseUri.Scheme == Uri.UriSchemeHttps && sockets is not null)
        {
            // After the client is built: KubernetesClient sets its own check, which lets a CA-signed certificate for another host pass.
            ServerCertificateCheck.Apply(sockets, config);
        }
        var ns = string.IsNullOrWhiteSpace(config.Namespace) ? "default" : config.Namespace;
        return new KubeConnection(client, ownStreamingSockets ? target : null, credentials, target.ContextName, ns);
    }

    private static HttpMessageHandler CreateStreamingHandler(KubeTarget target, ExecCredentialSource? credentials)
    {
        var sockets = StreamingHandler.Create(target.Config, target.Proxy);
        if (credentials is null)
        {
            return sockets;
        }
        UseExecClientCertificate(sockets, credentials);
        return new ExecCredentialHandler(credentials) { InnerHandler = sockets };
    }

    /// <summary>Offers the exec plugin's client certificate, when it returned one, in TLS handshakes.</summary>
    private static void UseExecClientCertificate(SocketsHttpHandler handler, ExecCredentialSource credentials)
    {
        var fallback = handler.SslOptions.LocalCertificateSelectionCallback;
        handler.SslOptions.LocalCertificateSelectionCallback = (sender, host, local, remote, issuers) =>
            credentials.CurrentCertificate ?? fallback?.Invoke(sender, host, local, remote, issuers) ?? (local.Count > 0 ? local[0] : null!);
    }

    /// <summary>Forgets cached clients (tests, and Stop-RaySandbox when a kubeconfig goes away).</summary>
    public static void ClearCache() => Cache.Clear();
}
