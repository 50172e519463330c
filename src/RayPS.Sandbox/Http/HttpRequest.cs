using System.Text;

namespace RayPS.Sandbox.Http;

/// <summary>A parsed HTTP/1.1 request with its complete body.</summary>
public sealed class HttpRequest
{
    private IReadOnlyDictionary<string, IReadOnlyList<string>>? _query;

    public HttpRequest(string method, string target, string protocol, HttpHeaders headers, byte[] body)
    {
        Method = method;
        Target = target;
        Protocol = protocol;
        Headers = headers;
        Body = body;
        var q = target.IndexOf('?');
        RawPath = q < 0 ? target : target[..q];
        QueryString = q < 0 ? "" : target[(q + 1)..];
        Path = Uri.UnescapeDataString(RawPath);
    }

    public string Method { get; }

    /// <summary>The request target as sent (path and query).</summary>
    public string Target { get; }

    public string Protocol { get; }
    public HttpHeaders Headers { get; }
    public byte[] Body { get; }

    /// <summary>The percent-decoded path.</summary>
    public string Path { get; }

    public string RawPath { get; }
    public string QueryString { get; }

    /// <summary>Cancelled when the client goes away while a streaming response is open.</summary>
    public CancellationToken Aborted { get; internal set; }

    public string BodyText => Encoding.UTF8.GetString(Body);

    /// <summary>Query parameters; repeated keys keep every value (e.g. <c>ports=1&amp;ports=2</c>).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Query => _query ??= ParseQuery(QueryString);

    public string? QueryValue(string name) => Query.TryGetValue(name, out var values) && values.Count > 0 ? values[0] : null;

    public bool IsWebSocketUpgrade =>
        Headers.HasToken("Connection", "upgrade") && string.Equals(Headers["Upgrade"], "websocket", StringComparison.OrdinalIgnoreCase);

    public static IReadOnlyDictionary<string, IReadOnlyList<string>> ParseQuery(string query)
    {
        var result = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var part in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            var key = Decode(eq < 0 ? part : part[..eq]);
            var value = eq < 0 ? "" : Decode(part[(eq + 1)..]);
            if (!result.TryGetValue(key, out var list))
            {
                list = [];
                result[key] = list;
            }
            list.Add(value);
        }
        return result.ToDictionary(p => p.Key, p => (IReadOnlyList<string>)p.Value, StringComparer.Ordinal);
    }

    private static string Decode(string s) => Uri.UnescapeDataString(s.Replace('+', ' '));
}
