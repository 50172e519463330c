using System.Text.Json.Nodes;
using RayPS.Model;

namespace RayPS.Ray;

/// <summary>
/// One answer of a request through the API server's pod or service proxy: a status and body, a timeout, or a transport
/// failure. Bodies come either from Ray (plain JSON, plain text or a dashboard envelope) or from the API server itself (a
/// metav1.Status: 403 for a missing proxy permission, 503 for a service without endpoints, 404 for a missing service or pod).
/// </summary>
public sealed class RayHttpAnswer
{
    public RayHttpAnswer(string method, string rayPath, int status, string body, string? contentType = null)
        : this(method, rayPath, status, body, contentType, false, null, TimeSpan.Zero)
    {
    }

    private RayHttpAnswer(string method, string rayPath, int? status, string? body, string? contentType, bool timedOut, Exception? failure, TimeSpan timeout)
    {
        Method = method;
        RayPath = rayPath;
        Status = status;
        Body = body ?? "";
        ContentType = contentType;
        TimedOut = timedOut;
        Failure = failure;
        Timeout = timeout;
        ApiServerStatus = status is null ? null : KubeStatusBody.TryParse(Body);
    }

    /// <summary>A GET answered with <paramref name="status"/> (what the health and log readers are handed).</summary>
    public static RayHttpAnswer Answered(int status, string body, string rayPath = "") => new("GET", rayPath, status, body, null, false, null, TimeSpan.Zero);

    /// <summary>No answer within <paramref name="timeout"/>.</summary>
    public static RayHttpAnswer Expired(TimeSpan timeout, string method = "GET", string rayPath = "") => new(method, rayPath, null, "", null, true, null, timeout);

    /// <summary>The connection failed (refused, reset, TLS); <paramref name="failure"/>'s message says how.</summary>
    public static RayHttpAnswer Failed(Exception failure, string method = "GET", string rayPath = "") => new(method, rayPath, null, "", null, false, failure, TimeSpan.Zero);

    public string Method { get; }
    public string RayPath { get; }

    /// <summary>The HTTP status; null when nothing was answered (<see cref="TimedOut"/>, <see cref="TransportError"/>).</summary>
    public int? Status { get; }
    public string Body { get; }
    public string? ContentType { get; }
    public bool TimedOut { get; }
    public TimeSpan Timeout { get; }

    internal Exception? Failure { get; }

    /// <summary>Why the connection failed, when it did.</summary>
    public string? TransportError => Failure is null ? null
        : Failure.InnerException is { } inner && Failure is not Errors.RayPSException ? $"{Failure.Message} ({inner.Message})" : Failure.Message;

    /// <summary>The API server's own Status when it, not Ray, answered (proxy refused, target missing, no endpoints).</summary>
    internal KubeStatusBody? ApiServerStatus { get; }

    /// <summary>The API server answered (a metav1.Status), not Ray.</summary>
    public bool FromApiServer => ApiServerStatus is not null;

    public bool IsSuccess => Status is >= 200 and < 300 && !FromApiServer;

    public JsonNode? Json() => JsonNodeExtensions.TryParse(Body);

    public static string Shorten(string text) => text.Length > 300 ? text[..300] + "..." : text;

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

    /// <summary>
    /// What Ray said, in one line: the last line of a Python traceback ("TypeError: entrypoint must be a string ..."), or
    /// the first line of a short text.
    /// </summary>
    public string RayMessage()
    {
        var lines = Body.Replace("\r", "", StringComparison.Ordinal).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (lines.Length == 0)
        {
            return $"HTTP {Status}";
        }
        var line = Body.StartsWith("Traceback", StringComparison.Ordinal)
            ? lines.LastOrDefault(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^[A-Za-z_.]+(Error|Exception): ")) ?? lines[^1]
            : lines[0];
        return line.Length > 500 ? line[..500] + "..." : line;
    }
}

/// <summary>The fields of a metav1.Status body that say why the API server refused or failed a proxy request.</summary>
internal sealed class KubeStatusBody
{
    public string? Message { get; init; }
    public string? DetailsKind { get; init; }

    public static KubeStatusBody? TryParse(string body)
    {
        if (JsonNodeExtensions.TryParse(body) is not JsonObject obj || obj.Str("kind") != "Status" || obj.Str("apiVersion") != "v1")
        {
            return null;
        }
        return new KubeStatusBody
        {
            Message = obj.Str("message"),
            DetailsKind = obj.Str("details.kind"),
        };
    }
}
