using System.Text.Json.Nodes;
using RayPS.Sandbox.Http;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Resources;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.Api;

/// <summary>
/// The create-only review resources: SelfSubjectReview (who am I), SelfSubjectAccessReview (can I)
/// and SelfSubjectRulesReview (what can I). Answered from the caller's identity, never stored.
/// </summary>
internal static class Reviews
{
    public static Task HandleAsync(HttpRequest request, HttpResponse response, RequestInfo info, UserInfo user, ResourceType type)
    {
        if (info.Verb != "create")
        {
            throw ApiErrors.MethodNotAllowed();
        }
        var body = RequestOptions.Body(request, new WriteOptions());
        var result = new JsonObject
        {
            ["kind"] = type.Kind,
            ["apiVersion"] = type.ApiVersion(info.Version),
            ["metadata"] = new JsonObject { ["creationTimestamp"] = null },
        };
        switch (type.Resource)
        {
            case "selfsubjectreviews":
                result["metadata"]!["creationTimestamp"] = ObjectMeta.Timestamp(DateTimeOffset.UtcNow);
                result["status"] = new JsonObject
                {
                    ["userInfo"] = new JsonObject
                    {
                        ["username"] = user.Name,
                        ["groups"] = new JsonArray(user.Groups.Select(g => (JsonNode?)JsonValue.Create(g)).ToArray()),
                    },
                };
                break;
            case "selfsubjectaccessreviews":
                var spec = body["spec"] as JsonObject ?? new JsonObject();
                result["spec"] = spec.DeepClone();
                var allowed = spec["resourceAttributes"] is JsonObject attributes
                    ? Authorization.Allows(user, JsonNodes.GetString(attributes["verb"]) ?? "", JsonNodes.GetString(attributes["group"]) ?? "", JsonNodes.GetString(attributes["resource"]) ?? "")
                    : spec["nonResourceAttributes"] is JsonObject path &&
                      Authorization.AllowsPath(user, JsonNodes.GetString(path["verb"]) ?? "", JsonNodes.GetString(path["path"]) ?? "");
                result["status"] = allowed ? new JsonObject { ["allowed"] = true } : new JsonObject { ["allowed"] = false };
                break;
            default:
                result["spec"] = (body["spec"] as JsonObject)?.DeepClone() ?? new JsonObject();
                result["status"] = user.IsMaster
                    ? new JsonObject
                    {
                        ["resourceRules"] = new JsonArray(new JsonObject { ["verbs"] = new JsonArray("*"), ["apiGroups"] = new JsonArray("*"), ["resources"] = new JsonArray("*") }),
                        ["nonResourceRules"] = new JsonArray(new JsonObject { ["verbs"] = new JsonArray("*"), ["nonResourceURLs"] = new JsonArray("*") }),
                        ["incomplete"] = false,
                    }
                    : new JsonObject
                    {
                        ["resourceRules"] = new JsonArray(new JsonObject
                        {
                            ["verbs"] = new JsonArray("create"),
                            ["apiGroups"] = new JsonArray("authorization.k8s.io"),
                            ["resources"] = new JsonArray("selfsubjectaccessreviews", "selfsubjectrulesreviews"),
                        }),
                        ["nonResourceRules"] = new JsonArray(new JsonObject
                        {
                            ["verbs"] = new JsonArray("get"),
                            ["nonResourceURLs"] = new JsonArray("/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/"),
                        }),
                        ["incomplete"] = false,
                    };
                break;
        }
        return ApiResponses.WriteJsonAsync(response, 201, result);
    }
}
