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

    private KubeConnection(Kubernetes client, KubernetesClientConfiguration? streamingConfig, string contextName, string defaultNamespace)
    {
        Client = client;
        ContextName = contextName;
        DefaultNamespace = defaultNamespace;
        Api = new KubeApi(client, contextName);
        _streamingInvoker = new Lazy<HttpMessageInvoker>(() =>
            streamingConfig is null ? client.HttpClient : new HttpMessageInvoker(StreamingHandler.Create(streamingConfig)));
    }

    public Kubernetes Client { get; }
    public KubeApi Api { get; }
    public string ContextName { get; }
    public string DefaultNamespace { get; }
    public Uri Server => Client.BaseUri;

    /// <summary>Sends the requests that become long-lived byte streams (port-forward WebSockets); see <see cref="StreamingHandler"/>.</summary>
    internal HttpMessageInvoker StreamingInvoker => _streamingInvoker.Value;

    /// <summary>Returns the cached connection for these options, creating it on first use.</summary>
    public static KubeConnection Get(KubeConnectionOptions options)
    {
        var (config, contextName, key) = KubeConfigLoader.Build(options);
        var connection = Cache.GetOrAdd(key, _ => new Lazy<KubeConnection>(() => Create(config, contextName))).Value;
        return connection;
    }

    /// <summary>The namespace a command should use: the explicit one, else the context's, else "default".</summary>
    public string ResolveNamespace(string? explicitNamespace) =>
        string.IsNullOrWhiteSpace(explicitNamespace) ? DefaultNamespace : explicitNamespace;

    private static KubeConnection Create(KubernetesClientConfiguration config, string contextName) =>
        Create(config, contextName, ownStreamingSockets: true, new RetryHandler());

    /// <summary>
    /// Builds an uncached connection with extra handlers after the retry handler (tests use a fake server handler); its
    /// streams go through those handlers too.
    /// </summary>
    internal static KubeConnection Create(KubernetesClientConfiguration config, string contextName, params DelegatingHandler[] handlers) =>
        Create(config, contextName, ownStreamingSockets: false, handlers);

    private static KubeConnection Create(KubernetesClientConfiguration config, string contextName, bool ownStreamingSockets, params DelegatingHandler[] handlers)
    {
        // Watches and proxies run long; KubeApi applies its own per-request timeout instead.
        config.HttpClientTimeout = Timeout.InfiniteTimeSpan;
        var client = new Kubernetes(config, handlers);
        var ns = string.IsNullOrWhiteSpace(config.Namespace) ? "default" : config.Namespace;
        return new KubeConnection(client, ownStreamingSockets ? config : null, contextName, ns);
    }

    /// <summary>Forgets cached clients (tests, and Stop-RaySandbox when a kubeconfig goes away).</summary>
    public static void ClearCache() => Cache.Clear();
}
