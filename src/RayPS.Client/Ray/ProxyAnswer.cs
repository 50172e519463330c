using System.Text.Json.Nodes;

namespace RayPS.Ray;

/// <summary>
/// What one GET through the API server's pod or service proxy produced: a status and body, a timeout, or a transport
/// failure. Bodies come either from Ray (plain text or a dashboard envelope) or from the API server itself (a
/// metav1.Status: 403 for a missing proxy permission, 503 for a service without endpoints, 404 for a pod that is gone).
/// </summary>
internal sealed class ProxyAnswer
{
    private ProxyAnswer(int? status, string body, bool timedOut, string? transportError, TimeSpan timeout)
    {
        Status = status;
        Body = body;
        TimedOut = timedOut;
        TransportError = transportError;
        Timeout = timeout;
        ApiServerStatus = status is null ? null : KubeStatusBody.TryParse(body);
    }

    public static ProxyAnswer Answered(int status, string body) => new(status, body ?? "", false, null, TimeSpan.Zero);

    public static ProxyAnswer Expired(TimeSpan timeout) => new(null, "", true, null, timeout);

    public static ProxyAnswer Failed(string transportError) => new(null, "", false, transportError, TimeSpan.Zero);

    public int? Status { get; }
    public string Body { get; }
    public bool TimedOut { get; }
    public string? TransportError { get; }
    public TimeSpan Timeout { get; }

    /// <summary>The API server's own Status when it, not Ray, answered (proxy refused, target missing, no endpoints).</summary>
    public KubeStatusBody? ApiServerStatus { get; }

    public bool IsSuccess => Status is >= 200 and < 300;

    /// <summary>
    /// "503: Local Raylet failed": the status and the first line of the body, shortened. aiohttp's error bodies already
    /// start with "503: " (HTTPServiceUnavailable(reason=...) renders "503: reason"), which is not repeated.
    /// </summary>
    public string StatusText()
    {
        var text = ApiServerStatus?.Message ?? FirstLine(Body);
        if (text.Length == 0)
        {
            return $"HTTP {Status}";
        }
        return text.StartsWith($"{Status}:", StringComparison.Ordinal) ? text : $"{Status}: {text}";
    }

    internal static string FirstLine(string body)
    {
        var line = body.Trim().Split('\n', 2)[0].Trim();
        return line.Length > 200 ? line[..200] + "..." : line;
    }
}

/// <summary>The fields of a metav1.Status body that say why the API server refused or failed a proxy request.</summary>
internal sealed class KubeStatusBody
{
    public string? Message { get; init; }
    public string? DetailsKind { get; init; }

    public static KubeStatusBody? TryParse(string body)
    {
        if (RayJson.TryParse(body) is not JsonObject obj || RayJson.String(obj["kind"]) != "Status" || RayJson.String(obj["apiVersion"]) != "v1")
        {
            return null;
        }
        return new KubeStatusBody
        {
            Message = RayJson.String(obj["message"]),
            DetailsKind = RayJson.String(obj["details"]?["kind"]),
        };
    }
}
