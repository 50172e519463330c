using System.Net;
using System.Net.Sockets;
using RayPS.Errors;

namespace RayPS.Kube;

/// <summary>
/// The proxy kubectl would use for a cluster: the kubeconfig's <c>proxy-url</c> for every request when set, else
/// HTTPS_PROXY / HTTP_PROXY / NO_PROXY as Go's http.ProxyFromEnvironment reads them. Never the system proxy (WinINET, PAC,
/// macOS settings), which kubectl ignores and .NET would otherwise use.
/// </summary>
public static class KubeProxy
{
    /// <summary>The proxy for this cluster, or null for direct connections.</summary>
    public static IWebProxy? For(string? proxyUrl, OsFacts facts)
    {
        if (!string.IsNullOrWhiteSpace(proxyUrl))
        {
            var uri = ParseProxy(proxyUrl, fromKubeConfig: true)!;
            return new FixedProxy(uri, Credentials(uri));
        }
        var environment = EnvironmentProxy.FromEnvironment(facts);
        return environment.IsEmpty ? null : environment;
    }

    internal static Uri? ParseProxy(string value, bool fromKubeConfig)
    {
        var text = value.Trim();
        if (text.Length == 0) return null;
        if (!text.Contains("://", StringComparison.Ordinal))
        {
            // Go reads a bare host:port as an http:// proxy.
            text = "http://" + text;
        }
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https" or "socks5" or "socks5h"))
        {
            var where = fromKubeConfig ? "the kubeconfig's proxy-url" : "the proxy environment variable";
            throw new RayPSException(ErrorIds.KubeConfigInvalid, RayErrorCategory.InvalidData,
                $"The proxy '{Redact(value)}' in {where} is not an http://, https:// or socks5:// URL. Fix it (for example http://proxy.example:3128).",
                Redact(value));
        }
        return uri;
    }

    internal static ICredentials? Credentials(Uri proxy)
    {
        if (string.IsNullOrEmpty(proxy.UserInfo)) return null;
        var parts = proxy.UserInfo.Split(':', 2);
        return new NetworkCredential(Uri.UnescapeDataString(parts[0]), parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : "");
    }

    private static string Redact(string value)
    {
        var at = value.LastIndexOf('@');
        var scheme = value.IndexOf("://", StringComparison.Ordinal);
        return at > 0 ? (scheme > 0 ? value[..(scheme + 3)] : "") + "***@" + value[(at + 1)..] : value;
    }

    private sealed class FixedProxy : IWebProxy
    {
        private readonly Uri _proxy;

        public FixedProxy(Uri proxy, ICredentials? credentials)
        {
            _proxy = new UriBuilder(proxy) { UserName = "", Password = "" }.Uri;
            Credentials = credentials;
        }

        public ICredentials? Credentials { get; set; }
        public Uri GetProxy(Uri destination) => _proxy;
        public bool IsBypassed(Uri host) => false;
    }
}

/// <summary>Go's httpproxy.FromEnvironment: upper-case names first, HTTP_PROXY ignored under CGI, NO_PROXY with domains, CIDRs and ports.</summary>
public sealed class EnvironmentProxy : IWebProxy
{
    private readonly Uri? _httpProxy;
    private readonly Uri? _httpsProxy;
    private readonly IReadOnlyList<string> _noProxy;

    public EnvironmentProxy(string? httpProxy, string? httpsProxy, string? noProxy, bool cgi = false)
    {
        _httpProxy = cgi || string.IsNullOrWhiteSpace(httpProxy) ? null : KubeProxy.ParseProxy(httpProxy, fromKubeConfig: false);
        _httpsProxy = string.IsNullOrWhiteSpace(httpsProxy) ? null : KubeProxy.ParseProxy(httpsProxy, fromKubeConfig: false);
        _noProxy = (noProxy ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(e => e.ToLowerInvariant()).ToList();
        Credentials = new PerProxyCredentials(new[] { _httpProxy, _httpsProxy });
    }

    public static EnvironmentProxy FromEnvironment(OsFacts facts) =>
        new(Any(facts, "HTTP_PROXY", "http_proxy"), Any(facts, "HTTPS_PROXY", "https_proxy"), Any(facts, "NO_PROXY", "no_proxy"),
            cgi: facts.Env("REQUEST_METHOD") is not null);

    private static string? Any(OsFacts facts, params string[] names) =>
        names.Select(facts.Env).FirstOrDefault(v => v is not null);

    public bool IsEmpty => _httpProxy is null && _httpsProxy is null;

    public ICredentials? Credentials { get; set; }

    /// <summary>The proxy for a request to <paramref name="destination"/>, or null to connect directly.</summary>
    public Uri? ProxyFor(Uri destination)
    {
        var secure = destination.Scheme is "https" or "wss";
        var proxy = secure ? _httpsProxy : _httpProxy;
        if (proxy is null || !UseProxy(destination))
        {
            return null;
        }
        return proxy;
    }

    public Uri? GetProxy(Uri destination) => ProxyFor(destination) is { } proxy ? new UriBuilder(proxy) { UserName = "", Password = "" }.Uri : null;

    public bool IsBypassed(Uri host) => ProxyFor(host) is null;

    /// <summary>The user:password of whichever proxy URL the handler is talking to.</summary>
    private sealed class PerProxyCredentials(IEnumerable<Uri?> proxies) : ICredentials
    {
        private readonly Uri[] _proxies = proxies.OfType<Uri>().ToArray();

        public NetworkCredential? GetCredential(Uri uri, string authType) =>
            _proxies.FirstOrDefault(p => p.Host.Equals(uri.Host, StringComparison.OrdinalIgnoreCase) && p.Port == uri.Port) is { } proxy
                ? KubeProxy.Credentials(proxy) as NetworkCredential
                : null;
    }

    private bool UseProxy(Uri destination)
    {
        var host = destination.IdnHost.Trim('[', ']').ToLowerInvariant();
        var port = destination.Port;
        if (host == "localhost")
        {
            return false;
        }
        var ip = IPAddress.TryParse(host, out var parsed) ? parsed : null;
        if (ip is not null && IPAddress.IsLoopback(ip))
        {
            return false;
        }

        foreach (var raw in _noProxy)
        {
            if (raw == "*")
            {
                return false;
            }
            var entry = raw;
            int? entryPort = null;
            // host:port (but not a bare IPv6 address) applies to that port only.
            var colon = entry.LastIndexOf(':');
            if (colon > 0 && !(entry.Count(c => c == ':') > 1 && !entry.StartsWith('[')) && int.TryParse(entry[(colon + 1)..], out var p))
            {
                entryPort = p;
                entry = entry[..colon];
            }
            entry = entry.Trim('[', ']');
            if (entryPort is { } only && only != port)
            {
                continue;
            }

            if (entry.Contains('/') && ip is not null && TryParseCidr(entry, out var network, out var prefix))
            {
                if (InNetwork(ip, network, prefix)) return false;
                continue;
            }
            if (IPAddress.TryParse(entry, out var entryIp))
            {
                if (ip is not null && ip.Equals(entryIp)) return false;
                continue;
            }
            if (entry.StartsWith("*.", StringComparison.Ordinal))
            {
                entry = entry[1..];
            }
            if (entry.StartsWith('.'))
            {
                // ".example.com" matches subdomains only.
                if (host.EndsWith(entry, StringComparison.Ordinal)) return false;
                continue;
            }
            // "example.com" matches itself and its subdomains.
            if (host == entry || host.EndsWith("." + entry, StringComparison.Ordinal)) return false;
        }
        return true;
    }

    private static bool TryParseCidr(string text, out IPAddress network, out int prefix)
    {
        network = IPAddress.None;
        prefix = 0;
        var slash = text.IndexOf('/');
        return IPAddress.TryParse(text[..slash], out network!) && int.TryParse(text[(slash + 1)..], out prefix) &&
               prefix >= 0 && prefix <= (network.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
    }

    private static bool InNetwork(IPAddress ip, IPAddress network, int prefix)
    {
        if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
        if (ip.AddressFamily != network.AddressFamily) return false;
        var a = ip.GetAddressBytes();
        var b = network.GetAddressBytes();
        for (var i = 0; i < a.Length && prefix > 0; i++, prefix -= 8)
        {
            var mask = prefix >= 8 ? 0xFF : (byte)(0xFF << (8 - prefix));
            if ((a[i] & mask) != (b[i] & mask)) return false;
        }
        return true;
    }
}
