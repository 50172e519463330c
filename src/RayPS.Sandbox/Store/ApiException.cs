using System.Text.Json.Nodes;

namespace RayPS.Sandbox.Store;

/// <summary>
/// An API error carrying the exact <c>Status</c> object the apiserver would return. Thrown by
/// <see cref="ObjectStore"/> for in-process callers and serialised as-is by the HTTP layer.
/// </summary>
public sealed class ApiException : Exception
{
    public ApiException(int code, string reason, string message, StatusDetails? details = null, string status = "Failure")
        : base(message)
    {
        Code = code;
        Reason = reason;
        Details = details;
        StatusText = status;
    }

    public int Code { get; }
    public string Reason { get; }
    public StatusDetails? Details { get; }
    public string StatusText { get; }

    /// <summary>The Status's metadata.continue (a 410 for an expired continue token offers one to go on with).</summary>
    public string? ListContinue { get; init; }

    /// <summary>The metav1.Status body.</summary>
    public JsonObject ToStatus()
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = ListContinue is null ? new JsonObject() : new JsonObject { ["continue"] = ListContinue },
            ["status"] = StatusText,
        };
        if (Message.Length > 0)
        {
            status["message"] = Message;
        }
        if (Reason.Length > 0)
        {
            status["reason"] = Reason;
        }
        if (Details is not null)
        {
            status["details"] = Details.ToJson();
        }
        status["code"] = Code;
        return status;
    }
}

/// <summary>metav1.StatusDetails; <c>Kind</c> holds the resource for most errors, as the apiserver does.</summary>
public sealed record StatusDetails(
    string? Name = null,
    string? Group = null,
    string? Kind = null,
    string? Uid = null,
    IReadOnlyList<StatusCause>? Causes = null,
    int? RetryAfterSeconds = null)
{
    public JsonObject ToJson()
    {
        var obj = new JsonObject();
        if (!string.IsNullOrEmpty(Name)) obj["name"] = Name;
        if (!string.IsNullOrEmpty(Group)) obj["group"] = Group;
        if (!string.IsNullOrEmpty(Kind)) obj["kind"] = Kind;
        if (!string.IsNullOrEmpty(Uid)) obj["uid"] = Uid;
        if (Causes is { Count: > 0 })
        {
            var arr = new JsonArray();
            foreach (var c in Causes)
            {
                var cause = new JsonObject();
                if (!string.IsNullOrEmpty(c.Reason)) cause["reason"] = c.Reason;
                if (!string.IsNullOrEmpty(c.Message)) cause["message"] = c.Message;
                if (!string.IsNullOrEmpty(c.Field)) cause["field"] = c.Field;
                arr.Add(cause);
            }
            obj["causes"] = arr;
        }
        if (RetryAfterSeconds is > 0) obj["retryAfterSeconds"] = RetryAfterSeconds.Value;
        return obj;
    }
}

public sealed record StatusCause(string? Reason, string? Message, string? Field);
