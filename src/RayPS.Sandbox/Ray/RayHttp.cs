using System.Text;

namespace RayPS.Sandbox.Ray;

/// <summary>An HTTP request to a simulated Ray endpoint (transport-independent).</summary>
public sealed class RayRequest
{
    public RayRequest(string method, string target, IReadOnlyDictionary<string, string>? headers = null, byte[]? body = null)
    {
        Method = method.ToUpperInvariant();
        Target = target;
        var q = target.IndexOf('?', StringComparison.Ordinal);
        Path = Uri.UnescapeDataString(q < 0 ? target : target[..q]);
        QueryString = q < 0 ? "" : target[(q + 1)..];
        Headers = new Dictionary<string, string>(headers ?? new Dictionary<string, string>(), StringComparer.OrdinalIgnoreCase);
        Body = body ?? [];
        Query = ParseQuery(QueryString);
    }

    public string Method { get; }
    public string Target { get; }
    public string Path { get; }
    public string QueryString { get; }
    public IReadOnlyDictionary<string, string> Headers { get; }
    public byte[] Body { get; }

    /// <summary>Query parameters; repeated keys keep every value in order.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Query { get; }

    public string? QueryValue(string name) => Query.TryGetValue(name, out var v) && v.Count > 0 ? v[0] : null;

    public IReadOnlyList<string> QueryValues(string name) => Query.TryGetValue(name, out var v) ? v : [];

    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;

    /// <summary>A WebSocket handshake (Connection: Upgrade, Upgrade: websocket).</summary>
    public bool IsWebSocketUpgrade =>
        string.Equals(Header("Upgrade"), "websocket", StringComparison.OrdinalIgnoreCase)
        && (Header("Connection") ?? "").Split(',').Any(t => t.Trim().Equals("upgrade", StringComparison.OrdinalIgnoreCase));

    private static Dictionary<string, IReadOnlyList<string>> ParseQuery(string query)
    {
        var result = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var part in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString((eq < 0 ? part : part[..eq]).Replace('+', ' '));
            var value = eq < 0 ? "" : Uri.UnescapeDataString(part[(eq + 1)..].Replace('+', ' '));
            if (!result.TryGetValue(key, out var list))
            {
                list = [];
                result[key] = list;
            }
            list.Add(value);
        }
        return result.ToDictionary(p => p.Key, p => (IReadOnlyList<string>)p.Value, StringComparer.Ordinal);
    }
}

/// <summary>
/// A response from a simulated Ray endpoint: status, aiohttp's reason phrase, headers and either a
/// complete body or a streamed one of known length.
/// </summary>
public sealed class RayResponse
{
    public const string TextPlain = "text/plain; charset=utf-8";
    public const string ApplicationText = "application/text; charset=utf-8";
    public const string ApplicationJson = "application/json; charset=utf-8";

    public int Status { get; init; } = 200;

    /// <summary>The reason phrase aiohttp would send (e.g. <c>Local Raylet failed</c>); null = the standard one.</summary>
    public string? Reason { get; init; }

    public string ContentType { get; init; } = TextPlain;

    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);

    public byte[] Body { get; init; } = [];

    /// <summary>A streamed body of <see cref="StreamLength"/> bytes (instead of <see cref="Body"/>).</summary>
    public Func<Stream, CancellationToken, Task>? StreamBody { get; init; }

    public long StreamLength { get; init; }

    public long ContentLength => StreamBody is null ? Body.Length : StreamLength;

    /// <summary>Accept the WebSocket handshake and run this over the socket (instead of a body).</summary>
    public Func<System.Net.WebSockets.WebSocket, CancellationToken, Task>? WebSocket { get; init; }

    public string BodyText => Encoding.UTF8.GetString(Body);

    public static RayResponse Text(int status, string text, string contentType = TextPlain, string? reason = null) =>
        new() { Status = status, Body = Encoding.UTF8.GetBytes(text), ContentType = contentType, Reason = reason };

    public static RayResponse Json(int status, System.Text.Json.Nodes.JsonNode? body) =>
        new() { Status = status, Body = PyJson.SerializeToUtf8(body), ContentType = ApplicationJson };

    /// <summary>aiohttp's default error page: <c>"404: Not Found"</c>.</summary>
    public static RayResponse AiohttpError(int status, string reason) =>
        Text(status, $"{status}: {reason}", TextPlain, reason);

    public static RayResponse NotFound() => AiohttpError(404, "Not Found");

    public static RayResponse MethodNotAllowed(params string[] allowed)
    {
        var r = AiohttpError(405, "Method Not Allowed");
        r.Headers["Allow"] = string.Join(",", allowed);
        return r;
    }
}

/// <summary>A simulated HTTP endpoint of a Ray process.</summary>
public interface IRayEndpoint
{
    Task<RayResponse> HandleAsync(RayRequest request, CancellationToken cancellationToken);
}
