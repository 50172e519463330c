using System.Security.Cryptography;
using RayPS.Sandbox.Http;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.Api;

/// <summary>An authenticated (or anonymous) caller.</summary>
public sealed record UserInfo(string Name, IReadOnlyList<string> Groups)
{
    public bool IsMaster => Groups.Contains("system:masters");

    public bool IsAuthenticated => Groups.Contains("system:authenticated");
}

/// <summary>
/// Bearer-token authentication and authorization: the admin token is in system:masters (allowed everything,
/// as kube-apiserver's privileged-group authorizer does); every other caller (the viewer, an authenticated
/// user bound to nothing but the default policy; no token, system:anonymous) is judged by RBAC over the stored
/// Roles, ClusterRoles and their bindings (<see cref="Rbac"/>).
/// </summary>
public sealed class Authorization
{
    private readonly Rbac? _rbac;

    public Authorization()
    {
        AdminToken = NewToken();
        ViewerToken = NewToken();
    }

    internal Authorization(ObjectStore store)
        : this()
    {
        _rbac = new Rbac(store);
    }

    public string AdminToken { get; }
    public string ViewerToken { get; }

    public static readonly UserInfo Anonymous = new("system:anonymous", ["system:unauthenticated"]);

    private static string NewToken() => Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();

    /// <summary>The caller, or null when a token was presented but is not known (401).</summary>
    public UserInfo? Authenticate(HttpRequest request)
    {
        var header = request.Headers["Authorization"];
        if (string.IsNullOrEmpty(header))
        {
            return Anonymous;
        }
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var token = header[7..].Trim();
        if (CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(token), System.Text.Encoding.UTF8.GetBytes(AdminToken)))
        {
            return new UserInfo("rayps-sandbox-admin", ["system:masters", "system:authenticated"]);
        }
        if (CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(token), System.Text.Encoding.UTF8.GetBytes(ViewerToken)))
        {
            return new UserInfo("viewer", ["system:authenticated"]);
        }
        return null;
    }

    /// <summary>Allows or answers the RBAC Forbidden Status for the request.</summary>
    internal ApiException? Authorize(UserInfo user, RequestInfo info)
    {
        var attributes = info.IsResourceRequest
            ? new AccessAttributes(info.Verb, info.Namespace, info.Group, info.Resource, info.Subresource, info.Name)
            : new AccessAttributes(info.Verb, "", "", "", "", "", info.Path);
        if (Check(_rbac, user, attributes).Allowed)
        {
            return null;
        }
        return Forbid(user, info);
    }

    /// <summary>The RBAC Forbidden Status for the request (also what an injected 403 fault answers, as if RBAC denied it).</summary>
    public static ApiException Forbid(UserInfo user, RequestInfo info)
    {
        if (!info.IsResourceRequest)
        {
            return ApiErrors.Forbidden("", "", "", $"User {JsonNodes.Quote(user.Name)} cannot {info.Verb} path {JsonNodes.Quote(info.Path)}");
        }
        var resource = info.ResourceKey;
        var scope = info.Namespace.Length > 0 ? $"in the namespace {JsonNodes.Quote(info.Namespace)}" : "at the cluster scope";
        var message = $"User {JsonNodes.Quote(user.Name)} cannot {info.Verb} resource {JsonNodes.Quote(resource)} in API group {JsonNodes.Quote(info.Group)} {scope}";
        return ApiErrors.Forbidden(info.Resource, info.Group, info.Name, message);
    }

    /// <summary>
    /// The decision for a request or an access review: system:masters may do anything (no reason given);
    /// others as RBAC says, with the reason naming the binding that allowed it.
    /// </summary>
    internal static (bool Allowed, string? Reason) Check(Rbac? rbac, UserInfo user, AccessAttributes attributes)
    {
        if (user.IsMaster)
        {
            return (true, null);
        }
        // Without a store there are no bindings: nothing beyond system:masters is allowed.
        return rbac is null ? (false, null) : rbac.Authorize(user, attributes);
    }
}
