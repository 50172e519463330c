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
/// Bearer-token authentication and the slice of RBAC the sandbox needs: the admin token is in
/// system:masters; the viewer is an authenticated user bound to nothing beyond the default
/// discovery/basic-user roles; no token is system:anonymous with only the public-info role.
/// </summary>
public sealed class Authorization
{
    private static readonly string[] DiscoveryPaths = ["/api", "/apis", "/openapi"];
    private static readonly string[] PublicInfoPaths = ["/healthz", "/livez", "/readyz", "/version", "/version/"];
    private static readonly string[] SelfReviews = ["selfsubjectaccessreviews", "selfsubjectrulesreviews", "selfsubjectreviews"];

    public Authorization()
    {
        AdminToken = NewToken();
        ViewerToken = NewToken();
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
    public static ApiException? Authorize(UserInfo user, RequestInfo info)
    {
        if (user.IsMaster || Allowed(user, info))
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

    /// <summary>Whether <paramref name="user"/> may perform <paramref name="verb"/> on a resource (for access reviews).</summary>
    public static bool Allows(UserInfo user, string verb, string group, string resource) =>
        user.IsMaster || (user.IsAuthenticated && verb == "create" && SelfReviews.Contains(resource) && group is "authorization.k8s.io" or "authentication.k8s.io");

    private static bool Allowed(UserInfo user, RequestInfo info) =>
        info.IsResourceRequest ? Allows(user, info.Verb, info.Group, info.Resource) : AllowsPath(user, info.Verb, info.Path);

    /// <summary>Non-resource URLs: health and version for everyone, discovery and openapi for authenticated users.</summary>
    public static bool AllowsPath(UserInfo user, string verb, string path)
    {
        if (user.IsMaster)
        {
            return true;
        }
        if (verb != "get" && verb != "head")
        {
            return false;
        }
        if (PublicInfoPaths.Contains(path))
        {
            return true;
        }
        return user.IsAuthenticated && (DiscoveryPaths.Contains(path) ||
            DiscoveryPaths.Any(p => path.StartsWith(p + "/", StringComparison.Ordinal)) ||
            path is "/.well-known/openid-configuration" or "/openid/v1/jwks");
    }
}
