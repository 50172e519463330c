using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;

namespace RayPS.Sandbox.Store;

/// <summary>The k8s.io/apimachinery field.ErrorType values (their string form is the cause reason).</summary>
public enum FieldErrorType
{
    Required,
    Invalid,
    NotSupported,
    Duplicate,
    Forbidden,
    TooLong,
    TooMany,
    TypeInvalid,
    NotFound,
}

/// <summary>One validation error, formatted exactly like field.Error.</summary>
public sealed record FieldError(FieldErrorType Type, string? Field, string BadValue, string Detail)
{
    public static FieldError Required(string field, string detail = "") => new(FieldErrorType.Required, field, "", detail);

    public static FieldError Invalid(string? field, JsonNode? value, string detail) =>
        new(FieldErrorType.Invalid, field, JsonNodes.FormatScalar(value), detail);

    public static FieldError InvalidRaw(string? field, string renderedValue, string detail) =>
        new(FieldErrorType.Invalid, field, renderedValue, detail);

    public static FieldError TypeInvalid(string field, JsonNode? value, string detail) =>
        new(FieldErrorType.TypeInvalid, field, JsonNodes.FormatScalar(value), detail);

    public static FieldError NotSupported(string field, JsonNode? value, IEnumerable<string> supported) =>
        new(FieldErrorType.NotSupported, field, JsonNodes.FormatScalar(value),
            "supported values: " + string.Join(", ", supported.Select(JsonNodes.Quote)));

    public static FieldError Forbidden(string field, string detail) => new(FieldErrorType.Forbidden, field, "", detail);

    public static FieldError Duplicate(string field, string renderedValue) => new(FieldErrorType.Duplicate, field, renderedValue, "");

    public static FieldError TooLong(string field, long max) =>
        new(FieldErrorType.TooLong, field, "", $"may not be more than {max} bytes");

    /// <summary>The reason used in StatusCause (FieldValueRequired, FieldValueInvalid, ...).</summary>
    public string Reason => Type switch
    {
        FieldErrorType.Required => "FieldValueRequired",
        FieldErrorType.Invalid => "FieldValueInvalid",
        FieldErrorType.NotSupported => "FieldValueNotSupported",
        FieldErrorType.Duplicate => "FieldValueDuplicate",
        FieldErrorType.Forbidden => "FieldValueForbidden",
        FieldErrorType.TooLong => "FieldValueTooLong",
        FieldErrorType.TooMany => "FieldValueTooMany",
        FieldErrorType.TypeInvalid => "FieldValueTypeInvalid",
        _ => "FieldValueNotFound",
    };

    private string TypeText => Type switch
    {
        FieldErrorType.Required => "Required value",
        FieldErrorType.Invalid => "Invalid value",
        FieldErrorType.NotSupported => "Unsupported value",
        FieldErrorType.Duplicate => "Duplicate value",
        FieldErrorType.Forbidden => "Forbidden",
        FieldErrorType.TooLong => "Too long",
        FieldErrorType.TooMany => "Too many",
        FieldErrorType.TypeInvalid => "Invalid value",
        _ => "Not found",
    };

    /// <summary>field.Error.ErrorBody(): the message without the field path.</summary>
    public string Body
    {
        get
        {
            var text = Type switch
            {
                FieldErrorType.Required or FieldErrorType.Forbidden or FieldErrorType.TooLong or FieldErrorType.TooMany => TypeText,
                _ => TypeText + ": " + BadValue,
            };
            return Detail.Length > 0 ? text + ": " + Detail : text;
        }
    }

    public override string ToString() => (Field ?? "<nil>") + ": " + Body;
}

/// <summary>Builds the Status errors the apiserver returns.</summary>
public static class ApiErrors
{
    public static ApiException NotFound(string resource, string group, string name) =>
        new(404, "NotFound", $"{Qualified(resource, group)} {JsonNodes.Quote(name)} not found",
            new StatusDetails(Name: name, Group: group, Kind: resource));

    public static ApiException AlreadyExists(string resource, string group, string name) =>
        new(409, "AlreadyExists", $"{Qualified(resource, group)} {JsonNodes.Quote(name)} already exists",
            new StatusDetails(Name: name, Group: group, Kind: resource));

    public static ApiException Conflict(string resource, string group, string name, string why) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {Qualified(resource, group)} {JsonNodes.Quote(name)}: {why}",
            new StatusDetails(Name: name, Group: group, Kind: resource));

    public const string ModifiedConflict = "the object has been modified; please apply your changes to the latest version and try again";

    public static ApiException BadRequest(string message) => new(400, "BadRequest", message);

    public static ApiException MethodNotAllowed() =>
        new(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", new StatusDetails());

    public static ApiException MethodNotSupported(string resource, string group, string action) =>
        new(405, "MethodNotAllowed", $"{action} is not supported on resources of kind {JsonNodes.Quote(Qualified(resource, group))}",
            new StatusDetails(Group: group, Kind: resource));

    public static ApiException ServiceUnavailable(string message) => new(503, "ServiceUnavailable", message);

    public static ApiException Gone(string message) => new(410, "Expired", message);

    /// <summary>storage.NewTooLargeResourceVersionError: the server has not reached the requested resourceVersion.</summary>
    public static ApiException TooLargeResourceVersion(long requested, long current) =>
        new(504, "Timeout", $"Timeout: Too large resource version: {requested}, current: {current}",
            new StatusDetails(Causes: [new StatusCause("ResourceVersionTooLarge", "Too large resource version", "")], RetryAfterSeconds: 1));

    public static ApiException Unauthorized() => new(401, "Unauthorized", "Unauthorized");

    public static ApiException Forbidden(string resource, string group, string name, string message) =>
        new(403, "Forbidden",
            resource.Length == 0 && group.Length == 0
                ? "forbidden: " + message
                : name.Length == 0
                    ? $"{Qualified(resource, group)} is forbidden: {message}"
                    : $"{Qualified(resource, group)} {JsonNodes.Quote(name)} is forbidden: {message}",
            new StatusDetails(Name: name, Group: group, Kind: resource));

    public static ApiException UnsupportedMediaType(IEnumerable<string> accepted) =>
        new(415, "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: " + string.Join(", ", accepted));

    public static ApiException NotAcceptable(IEnumerable<string> accepted) =>
        new(406, "NotAcceptable", "only the following media types are accepted: " + string.Join(", ", accepted));

    /// <summary>The generic 422 used when a JSON patch cannot be applied.</summary>
    public static ApiException GenericInvalid() =>
        new(422, "Invalid", "the server rejected our request due to an error in our request", new StatusDetails());

    public static ApiException InternalError(string message) =>
        new(500, "InternalError", $"Internal error occurred: {message}",
            new StatusDetails(Causes: [new StatusCause("", message, "")]));

    /// <summary>errors.NewInvalid; kind+group render as e.g. "RayCluster.ray.io" or "Pod".</summary>
    public static ApiException Invalid(string kind, string group, string name, IReadOnlyList<FieldError> errors)
    {
        var qualified = Qualified(kind, group);
        var messages = new List<string>();
        foreach (var e in errors)
        {
            var text = e.ToString();
            if (!messages.Contains(text))
            {
                messages.Add(text);
            }
        }
        var aggregate = messages.Count == 1 ? messages[0] : "[" + string.Join(", ", messages) + "]";
        var message = messages.Count == 0
            ? $"{qualified} {JsonNodes.Quote(name)} is invalid"
            : $"{qualified} {JsonNodes.Quote(name)} is invalid: {aggregate}";
        var causes = errors.Select(e => new StatusCause(e.Reason, e.Body, e.Field ?? "<nil>")).ToList();
        return new ApiException(422, "Invalid", message, new StatusDetails(Name: name, Group: group, Kind: kind, Causes: causes));
    }

    /// <summary>"resource.group" or just "resource" for the core group.</summary>
    public static string Qualified(string resource, string group) => group.Length == 0 ? resource : resource + "." + group;
}
