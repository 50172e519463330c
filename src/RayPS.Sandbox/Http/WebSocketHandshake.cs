using System.Security.Cryptography;
using System.Text;

namespace RayPS.Sandbox.Http;

/// <summary>RFC 6455 handshake helpers.</summary>
public static class WebSocketHandshake
{
    private const string Guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>Sec-WebSocket-Accept for a client's Sec-WebSocket-Key.</summary>
    public static string AcceptKey(string clientKey) =>
        Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(clientKey.Trim() + Guid)));

    /// <summary>The subprotocols the client offered (Sec-WebSocket-Protocol), in its order of preference.</summary>
    public static IReadOnlyList<string> OfferedProtocols(HttpRequest request) =>
        request.Headers.GetValues("Sec-WebSocket-Protocol")
            .SelectMany(v => v.Split(','))
            .Select(p => p.Trim())
            .Where(p => p.Length > 0)
            .ToList();

    /// <summary>The first of the client's offered subprotocols that the server supports, or null.</summary>
    public static string? ChooseProtocol(HttpRequest request, IEnumerable<string> supported) =>
        OfferedProtocols(request).FirstOrDefault(p => supported.Contains(p, StringComparer.Ordinal));
}
