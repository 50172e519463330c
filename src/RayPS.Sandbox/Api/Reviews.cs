using System.Text.Json.Nodes;
using RayPS.Sandbox.Http;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Resources;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.Api;

/// <summary>
/// The create-only review resources: SelfSubjectReview (who am I), SelfSubjectAccessReview (can I)
/// and SelfSubjectRulesReview (what can I). Answered from the caller's identity and RBAC, never stored.
/// </summary>
internal static class Reviews
{
    private static string Text(JsonNode? node) => JsonNodes.GetString(node) ?? "";

    public static Task HandleAsync(ObjectStore store, HttpRequest request, HttpResponse response, RequestInfo info, UserInfo user, ResourceType type)
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
                AccessAttributes? asked = null;
                if (spec["resourceAttributes"] is JsonObject attributes)
                {
                    asked = new AccessAttributes(Text(attributes["verb"]), Text(attributes["namespace"]), Text(attributes["group"]),
                        Text(attributes["resource"]), Text(attributes["subresource"]), Text(attributes["name"]));
                }
                else if (spec["nonResourceAttributes"] is JsonObject path)
                {
                    asked = new AccessAttributes(Text(path["verb"]), "", "", "", "", "", Text(path["path"]));
                }
                var (allowed, reason) = asked is null ? (false, null) : Authorization.Check(new Rbac(store), user, asked);
                var status = new JsonObject { ["allowed"] = allowed };
                if (reason is not null)
                {
                    status["reason"] = reason;
                }
                result["status"] = status;
                break;
            default:
                result["spec"] = (body["spec"] as JsonObject)?.DeepClone() ?? new JsonObject();
                if (user.IsMaster)
                {
                    result["status"] = new JsonObject
                    {
                        ["resourceRules"] = new JsonArray(new JsonObject { ["verbs"] = new JsonArray("*"), ["apiGroups"] = new JsonArray("*"), ["resources"] = new JsonArray("*") }),
                        ["nonResourceRules"] = new JsonArray(new JsonObject { ["verbs"] = new JsonArray("*"), ["nonResourceURLs"] = new JsonArray("*") }),
                        ["incomplete"] = false,
                    };
                    break;
                }
                var ns = JsonNodes.StringAt(body, "spec", "namespace") ?? "";
                var (resourceRules, nonResourceRules) = new Rbac(store).RulesFor(user, ns);
                result["status"] = new JsonObject
                {
                    ["resourceRules"] = new JsonArray(resourceRules.Select(r => (JsonNode?)r).ToArray()),
                    ["nonResourceRules"] = new JsonArray(nonResourceRules.Select(r => (JsonNode?)r).ToArray()),
                    ["incomplete"] = false,
                };
                break;
        }
        return ApiResponses.WriteJsonAsync(response, 201, result);
    }
}
