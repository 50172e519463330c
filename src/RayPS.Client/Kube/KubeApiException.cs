using System.Text.Json.Nodes;

namespace RayPS.Kube;

/// <summary>A non-success answer from the API server, before it is mapped to a user-facing RayPSException.</summary>
public sealed class KubeApiException : Exception
{
    public KubeApiException(string method, string path, int statusCode, string? contentType, string body)
        : base($"{method} {path} returned {statusCode}")
    {
        Method = method;
        Path = path;
        StatusCode = statusCode;
        ContentType = contentType;
        Body = body;
        if (contentType is not null && contentType.Contains("json", StringComparison.OrdinalIgnoreCase))
        {
            try { Status = JsonNode.Parse(body) as JsonObject; } catch (System.Text.Json.JsonException) { }
        }
    }

    public string Method { get; }
    public string Path { get; }
    public int StatusCode { get; }
    public string? ContentType { get; }
    public string Body { get; }

    /// <summary>How many attempts were sent before this answer (the retry policy's count).</summary>
    public int Attempts { get; init; } = 1;

    /// <summary>The parsed metav1.Status body, when the server sent one.</summary>
    public JsonObject? Status { get; }

    public string? Reason => Status?["reason"]?.GetValue<string>();
    public string? ServerMessage => Status?["message"]?.GetValue<string>();
    public string? DetailsKind => Status?["details"]?["kind"]?.GetValue<string>();
    public string? DetailsName => Status?["details"]?["name"]?.GetValue<string>();

    public IReadOnlyList<string> Causes =>
        Status?["details"]?["causes"] is JsonArray causes
            ? causes.Select(c => $"{c?["field"]?.GetValue<string>() ?? "(object)"}: {c?["message"]?.GetValue<string>()}").ToList()
            : Array.Empty<string>();

    /// <summary>The plain-text "404 page not found" a real server gives for an API group it does not serve.</summary>
    public bool IsUnservedPath => StatusCode == 404 && Status is null && Body.Contains("page not found", StringComparison.OrdinalIgnoreCase);
}
