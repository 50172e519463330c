using System.Collections.Concurrent;
using k8s;
using RayPS.Errors;

namespace RayPS.Kube;

/// <summary>
/// One authenticated client for a (kubeconfig, context) pair, shared by every cmdlet call in the process.
/// </summary>
public sealed class KubeConnection
{
    private static readonly ConcurrentDictionary<string, Lazy<KubeConnection>> Cache = new(StringComparer.Ordinal);

    private readonly Lazy<HttpMessageInvoker> _streamingInvoker;

    private KubeConnection(HttpClient http, Uri server, KubeCredentials? credentials, KubeTarget? streamingTarget, ExecCredentialSource? execCredentials,
        string contextName, string defaultNamespace)
    {
        Server = server;
        Http = http;
        Credentials = credentials;
        ContextName = contextName;
        DefaultNamespace = defaultNamespace;
        ExecCredentials = execCredentials;
        Api = new KubeApi(http, server, credentials, contextName, execCredentials);
        _streamingInvoker = new Lazy<HttpMessageInvoker>(() =>
            streamingTarget is null ? http : new HttpMessageInvoker(CreateStreamingHandler(streamingTarget, execCredentials)));
    }

    /// <summary>The exec plugin credential this connection sends, when its kubeconfig user is an exec plugin.</summary>
    public ExecCredentialSource? ExecCredentials { get; }

    /// <summary>The kubeconfig user's own credentials (token, token file, basic auth), when it has any.</summary>
    internal KubeCredentials? Credentials { get; }

    public KubeApi Api { get; }

    /// <summary>The authenticated API client without KubeApi's retries, mapping and trace (tests).</summary>
    internal HttpClient Http { get; }

    public string ContextName { get; }
    public string DefaultNamespace { get; }
    public Uri Server { get; }

    /// <summary>
    /// The Authorization header value of the user's own credentials for a request made outside <see cref="Api"/> (WebSockets),
    /// asked afresh each time (token files rotate); null when the user has none. Never written to any output.
    /// </summary>
    internal async ValueTask<string?> AuthorizationAsync(CancellationToken ct) =>
        Credentials is null ? null : (await Credentials.HeaderAsync(ct).ConfigureAwait(false))?.ToString();

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

    /// <remarks>
    /// The HTTP client is built here rather than by KubernetesClient's <c>Kubernetes</c> class, whose construction (its API
    /// groups and JSON settings, none of which RayPS uses) was a third of a session's first call (docs/benchmarks.md,
    /// 05-FirstCall); the handler is set up as that class sets it up, with kubectl's proxy rules, our certificate check and
    /// happy-eyeballs connects, and the credentials it would choose (<see cref="KubeCredentials"/>).
    /// </remarks>
    private static KubeConnection Create(KubeTarget target, ExecCredentialSource? credentials, bool ownStreamingSockets, params DelegatingHandler[] handlers)
    {
        var config = target.Config;
        var server = ServerUri(config, target.ContextName);
        var sockets = KubeSocketsHandler.Create(config, target.Proxy, target.ContextName, HappyEyeballs.ConnectStreamAsync);
        // As KubernetesClient's handler: HTTP/2 pings while requests are open.
        sockets.KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests;
        sockets.KeepAlivePingDelay = TimeSpan.FromMinutes(3);
        sockets.KeepAlivePingTimeout = TimeSpan.FromSeconds(30);
        if (credentials is not null)
        {
            UseExecClientCertificate(sockets, credentials);
        }
        var chain = credentials is null ? handlers : handlers.Prepend(new ExecCredentialHandler(credentials)).ToArray();
        HttpMessageHandler first = sockets;
        for (var i = chain.Length - 1; i >= 0; i--)
        {
            var innermost = chain[i];
            while (innermost.InnerHandler is DelegatingHandler inner)
            {
                innermost = inner;
            }
            innermost.InnerHandler = first;
            first = chain[i];
        }
        // Watches and proxies run long; KubeApi applies its own per-request timeout instead.
        var http = new HttpClient(first, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
        var ns = string.IsNullOrWhiteSpace(config.Namespace) ? "default" : config.Namespace;
        return new KubeConnection(http, server, KubeCredentials.For(config), ownStreamingSockets ? target : null, credentials, target.ContextName, ns);
    }

    /// <summary>The API server's base address; a context whose server is missing or not an http(s) URL is KubeConfigInvalid.</summary>
    private static Uri ServerUri(KubernetesClientConfiguration config, string contextName)
    {
        if (string.IsNullOrWhiteSpace(config.Host) || !Uri.TryCreate(config.Host, UriKind.Absolute, out var server) ||
            (server.Scheme != Uri.UriSchemeHttps && server.Scheme != Uri.UriSchemeHttp))
        {
            throw new RayPSException(ErrorIds.KubeConfigInvalid, RayErrorCategory.InvalidData,
                $"The cluster of kubeconfig context '{contextName}' has no usable server address (it must be a URL such as https://host:6443). Fix the cluster's server entry in the kubeconfig.",
                contextName);
        }
        // As KubernetesClient's BaseUri: always ending in '/', so that a server behind a path prefix (a Rancher or other
        // proxy: https://host/k8s/clusters/c-1) keeps its prefix when request paths are resolved against it.
        return server.AbsoluteUri.EndsWith('/') ? server : new Uri(server.AbsoluteUri + "/");
    }

    private static HttpMessageHandler CreateStreamingHandler(KubeTarget target, ExecCredentialSource? credentials)
    {
        var sockets = StreamingHandler.Create(target.Config, target.Proxy, target.ContextName);
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
