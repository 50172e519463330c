using RayPS.Sandbox.Http;

namespace RayPS.Sandbox.Net.Spdy;

/// <summary>
/// pods/NAME/portforward for kubectl 1.31+: SPDY/3.1 tunnelled through a WebSocket whose subprotocol is
/// <c>SPDY/3.1+portforward.k8s.io</c>. Like the apiserver's tunnelling handler, the WebSocket carries the SPDY bytes
/// and nothing else (the kubelet's own 101 answer to the inner SPDY upgrade is not forwarded).
/// </summary>
internal static class SpdyPortForward
{
    public const string TunnelPrefix = "SPDY/3.1+";

    /// <summary>A WebSocket upgrade that offers at least one SPDY-tunnelling subprotocol.</summary>
    public static bool IsTunnelRequest(HttpRequest request) =>
        request.IsWebSocketUpgrade && WebSocketHandshake.OfferedProtocols(request).Any(p => p.StartsWith(TunnelPrefix, StringComparison.Ordinal));

    /// <summary>The pre-1.31 form (and kubectl's fallback): a plain HTTP upgrade to SPDY/3.1.</summary>
    public static bool IsSpdyUpgrade(HttpRequest request) =>
        string.Equals(request.Headers["Upgrade"], "SPDY/3.1", StringComparison.OrdinalIgnoreCase) &&
        (request.Headers["Connection"] ?? "").Contains("upgrade", StringComparison.OrdinalIgnoreCase);

    public static async Task ServeUpgradeAsync(HttpRequest request, HttpResponse response, IPodNetwork network, string ns, string pod, string podUid)
    {
        var offered = (request.Headers["X-Stream-Protocol-Version"] ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        if (!offered.Contains(SpdyPortForwardSession.Protocol))
        {
            await RefuseAsync(response, offered).ConfigureAwait(false);
            return;
        }
        response.Headers["X-Stream-Protocol-Version"] = SpdyPortForwardSession.Protocol;
        var connection = await response.AcceptUpgradeAsync("SPDY/3.1").ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        using (var session = new SpdyPortForwardSession(connection, network, ns, pod, podUid))
        {
            await session.RunAsync(request.Aborted).ConfigureAwait(false);
        }
    }

    // The kubelet's answer (httpstream.Handshake), passed through by the apiserver.
    private static Task RefuseAsync(HttpResponse response, IReadOnlyList<string> offered)
    {
        response.StatusCode = 403;
        response.Headers["X-Content-Type-Options"] = "nosniff";
        return response.WriteAsync(
            $"unable to upgrade: unable to negotiate protocol: client supports [{string.Join(" ", offered)}], server supports [{SpdyPortForwardSession.Protocol}]\n",
            "text/plain; charset=utf-8");
    }

    public static async Task ServeTunnelAsync(HttpRequest request, HttpResponse response, IPodNetwork network, string ns, string pod, string podUid)
    {
        var offered = WebSocketHandshake.OfferedProtocols(request)
            .Where(p => p.StartsWith(TunnelPrefix, StringComparison.Ordinal))
            .Select(p => p[TunnelPrefix.Length..])
            .ToList();
        if (!offered.Contains(SpdyPortForwardSession.Protocol))
        {
            await RefuseAsync(response, offered).ConfigureAwait(false);
            return;
        }
        // .NET's WebSocket refuses '/' in a subprotocol name (RFC 6455 token rules) while Go peers use it, so the
        // header is set directly and the WebSocket itself is told no subprotocol (it only reports it).
        response.Headers["Sec-WebSocket-Protocol"] = TunnelPrefix + SpdyPortForwardSession.Protocol;
        var socket = await response.AcceptWebSocketAsync(request, subProtocol: null).ConfigureAwait(false);
        await using var tunnel = new WebSocketTunnelStream(socket);
        using (var session = new SpdyPortForwardSession(tunnel, network, ns, pod, podUid))
        {
            await session.RunAsync(request.Aborted).ConfigureAwait(false);
        }
        await tunnel.CloseAsync().ConfigureAwait(false);
    }
}
