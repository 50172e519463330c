using RayPS.Sandbox.Http;

namespace RayPS.Sandbox.Api;

/// <summary>
/// What a request addresses, derived from its method and path exactly like the apiserver's
/// RequestInfoFactory: resource requests carry group/version/namespace/resource/name/subresource and
/// an audit verb; anything else is a non-resource request (discovery, version, health).
/// </summary>
public sealed class RequestInfo
{
    private static readonly HashSet<string> NamespaceSubresources = new(StringComparer.Ordinal) { "status", "finalize" };

    public bool IsResourceRequest { get; private init; }
    public required string Path { get; init; }
    public required string Verb { get; init; }
    public string ApiPrefix { get; private init; } = "";
    public string Group { get; private init; } = "";
    public string Version { get; private init; } = "";
    public string Namespace { get; private init; } = "";
    public string Resource { get; private init; } = "";
    public string Subresource { get; private init; } = "";
    public string Name { get; private init; } = "";

    /// <summary>Path segments after the subresource (the proxied path of .../proxy/...).</summary>
    public IReadOnlyList<string> Rest { get; private init; } = [];

    /// <summary>"resource" or "resource/subresource", as request accounting records it.</summary>
    public string ResourceKey => Subresource.Length == 0 ? Resource : Resource + "/" + Subresource;

    public static RequestInfo Parse(HttpRequest request)
    {
        var path = request.Path;
        // Only the leading slash goes: a trailing one matters to proxied paths (e.g. ".../proxy/api/jobs/").
        var segments = path.TrimStart('/').Split('/', StringSplitOptions.None);
        var method = request.Method.ToUpperInvariant();
        var nonResource = new RequestInfo { Path = path, Verb = method.ToLowerInvariant() };
        if (segments.Length == 0 || segments[0] is not ("api" or "apis"))
        {
            return nonResource;
        }
        var prefix = segments[0];
        string group = "";
        int index;
        if (prefix == "apis")
        {
            if (segments.Length < 3)
            {
                return nonResource;
            }
            group = segments[1];
            index = 2;
        }
        else
        {
            if (segments.Length < 2)
            {
                return nonResource;
            }
            index = 1;
        }
        var version = segments[index];
        var parts = segments.Skip(index + 1).ToList();
        if (parts.Count == 0 || parts[0].Length == 0)
        {
            return nonResource;
        }
        var watchPrefix = false;
        if (parts[0] == "watch")
        {
            watchPrefix = true;
            parts = parts.Skip(1).ToList();
        }
        var ns = "";
        if (parts.Count > 0 && parts[0] == "namespaces")
        {
            if (parts.Count > 1)
            {
                ns = parts[1];
                if (parts.Count > 2 && !NamespaceSubresources.Contains(parts[2]))
                {
                    parts = parts.Skip(2).ToList();
                }
            }
        }
        var resource = parts.Count > 0 ? parts[0] : "";
        var name = parts.Count > 1 ? parts[1] : "";
        var subresource = parts.Count > 2 ? parts[2] : "";
        var rest = parts.Count > 3 ? parts.Skip(3).ToList() : [];
        var verb = method switch
        {
            "GET" or "HEAD" => "get",
            "POST" => "create",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" => "delete",
            _ => method.ToLowerInvariant(),
        };
        if (name.Length == 0 && verb == "get")
        {
            verb = "list";
        }
        if (name.Length == 0 && verb == "delete")
        {
            verb = "deletecollection";
        }
        var watchParam = request.QueryValue("watch");
        if (watchPrefix || (verb == "list" && watchParam is "1" or "true"))
        {
            verb = "watch";
        }
        return new RequestInfo
        {
            IsResourceRequest = true,
            Path = path,
            Verb = verb,
            ApiPrefix = prefix,
            Group = group,
            Version = version,
            Namespace = ns,
            Resource = resource,
            Name = name,
            Subresource = subresource,
            Rest = rest,
        };
    }
}
