using System.Text.Json.Nodes;
using RayPS.Errors;

namespace RayPS.Kube;

/// <summary>
/// A non-success answer from the API server, before it is mapped to a user-facing RayPSException: the one type code
/// branches on (IsNotFound, IsConflict, IsFailedTest, ...). <see cref="ToRayPSException"/> maps it, through
/// <see cref="KubeErrorMapper"/>, where a public operation returns.
/// </summary>
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

    /// <summary>The server's Retry-After on this answer, when it sent one.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>The kubeconfig context the request went through (named in the mapped message).</summary>
    public string ContextName { get; init; } = string.Empty;

    /// <summary>What the caller called the object (the mapped error's target); null: the request line.</summary>
    public string? What { get; init; }

    /// <summary>The mapped error's target: <see cref="What"/>, or the request line.</summary>
    public string Target => What ?? $"{Method} {Path}";

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

    public bool IsBadRequest => StatusCode == 400;
    public bool IsUnauthorized => StatusCode == 401;
    public bool IsForbidden => StatusCode == 403;
    public bool IsNotFound => StatusCode == 404;
    /// <summary>Any 409: an AlreadyExists create, a stale resourceVersion, a server-side apply field conflict.</summary>
    public bool IsConflict => StatusCode == 409;
    public bool IsAlreadyExists => StatusCode == 409 && Reason == "AlreadyExists";
    /// <summary>410: a watch's resourceVersion is too old.</summary>
    public bool IsGone => StatusCode == 410;
    public bool IsInvalid => StatusCode == 422;
    public bool IsThrottled => StatusCode == 429;
    public bool IsServerError => StatusCode >= 500;

    /// <summary>
    /// A JSON patch that did not apply: a `test` op that failed or a path that is not there. The real server answers both
    /// with 422 Invalid, the generic message "the server rejected our request due to an error in our request" and empty
    /// details (golden 31/32); a 422 that names causes is a validation failure instead.
    /// </summary>
    public bool IsFailedTest => StatusCode == 422 && Causes.Count == 0;

    /// <summary>404 for a missing ray.io API group: the KubeRay CRDs are not installed.</summary>
    public bool IsCrdMissing => IsUnservedPath && Path.Contains("/apis/ray.io/", StringComparison.Ordinal);

    /// <summary>404 naming a missing object of this resource ("rayclusters", "namespaces", ...).</summary>
    public bool IsNotFoundOf(string resource) => StatusCode == 404 && DetailsKind == resource;

    /// <summary>The user-facing error for this answer (<see cref="KubeErrorMapper"/>): call it once, where an operation returns.</summary>
    public RayPSException ToRayPSException() => KubeErrorMapper.Map(this, ContextName, What);
}
