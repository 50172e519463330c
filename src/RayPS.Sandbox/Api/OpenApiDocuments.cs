using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Resources;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.Api;

/// <summary>
/// /openapi/v3: an index of group versions and, per group version, the operations with their
/// x-kubernetes-group-version-kind, query parameters and patch content types. kubectl reads these to
/// learn that the server does field validation (so plain <c>kubectl apply</c> validates server-side)
/// and which patch types a kind accepts. Schemas are not published (kubectl explain is out of scope).
/// </summary>
internal sealed class OpenApiDocuments(ResourceRegistry registry)
{
    public JsonObject Index()
    {
        var paths = new JsonObject();
        foreach (var (path, doc) in AllDocuments())
        {
            paths[path] = new JsonObject { ["serverRelativeURL"] = "/openapi/v3/" + path + "?hash=" + Hash(doc) };
        }
        return new JsonObject { ["paths"] = paths };
    }

    /// <summary>The document for "api/v1" or "apis/GROUP/VERSION", or null.</summary>
    public JsonObject? Document(string path) => AllDocuments().FirstOrDefault(d => d.Path == path.Trim('/')).Doc;

    private IEnumerable<(string Path, JsonObject Doc)> AllDocuments()
    {
        yield return ("api/v1", Build("", "v1"));
        foreach (var group in registry.Groups())
        {
            foreach (var version in registry.VersionsOf(group))
            {
                yield return ("apis/" + group + "/" + version, Build(group, version));
            }
        }
    }

    private static string Hash(JsonObject doc) =>
        Convert.ToHexString(SHA512.HashData(Encoding.UTF8.GetBytes(JsonText.Serialize(doc))))[..32];

    private JsonObject Build(string group, string version)
    {
        var paths = new JsonObject();
        foreach (var type in registry.InGroupVersion(group, version).OrderBy(t => t.Resource, StringComparer.Ordinal))
        {
            var prefix = (group.Length == 0 ? "/api/v1" : $"/apis/{group}/{version}") + (type.Namespaced ? "/namespaces/{namespace}" : "");
            var gvk = new JsonObject { ["group"] = group, ["version"] = version, ["kind"] = type.Kind };
            var collection = new JsonObject();
            if (type.Verbs.Contains("list"))
            {
                collection["get"] = Operation("list", type, gvk, ["labelSelector", "fieldSelector", "limit", "continue", "resourceVersion", "resourceVersionMatch", "watch", "timeoutSeconds", "sendInitialEvents", "allowWatchBookmarks"]);
            }
            if (type.Verbs.Contains("create"))
            {
                collection["post"] = Operation("post", type, gvk, ["dryRun", "fieldManager", "fieldValidation"], ["application/json", "application/yaml"]);
            }
            if (type.Verbs.Contains("deletecollection"))
            {
                collection["delete"] = Operation("deletecollection", type, gvk, ["labelSelector", "fieldSelector", "propagationPolicy", "gracePeriodSeconds", "dryRun"]);
            }
            paths[prefix + "/" + type.Resource] = collection;
            if (!type.Verbs.Contains("get"))
            {
                continue;
            }
            var item = new JsonObject
            {
                ["get"] = Operation("get", type, gvk, []),
                ["put"] = Operation("put", type, gvk, ["dryRun", "fieldManager", "fieldValidation"], ["application/json", "application/yaml"]),
                ["patch"] = Operation("patch", type, gvk, ["dryRun", "fieldManager", "fieldValidation", "force"], ObjectStore.PatchContentTypes(type)),
                ["delete"] = Operation("delete", type, gvk, ["dryRun", "gracePeriodSeconds", "propagationPolicy"]),
            };
            paths[prefix + "/" + type.Resource + "/{name}"] = item;
            foreach (var sub in type.Subresources.Where(s => s.Name is "status" or "scale"))
            {
                var subGvk = sub.Kind is null ? gvk : new JsonObject { ["group"] = sub.Group ?? "", ["version"] = sub.Version ?? "", ["kind"] = sub.Kind };
                paths[prefix + "/" + type.Resource + "/{name}/" + sub.Name] = new JsonObject
                {
                    ["get"] = Operation("get", type, (JsonObject)subGvk.DeepClone(), []),
                    ["put"] = Operation("put", type, (JsonObject)subGvk.DeepClone(), ["dryRun", "fieldManager", "fieldValidation"], ["application/json", "application/yaml"]),
                    ["patch"] = Operation("patch", type, (JsonObject)subGvk.DeepClone(), ["dryRun", "fieldManager", "fieldValidation", "force"], ObjectStore.PatchContentTypes(type)),
                };
            }
        }
        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = "v1.36.2" },
            ["paths"] = paths,
            ["components"] = new JsonObject { ["schemas"] = new JsonObject() },
        };
    }

    private static JsonObject Operation(string action, ResourceType type, JsonObject gvk, string[] queryParameters, IEnumerable<string>? bodyTypes = null)
    {
        var parameters = new JsonArray();
        foreach (var name in queryParameters)
        {
            parameters.Add(new JsonObject
            {
                ["name"] = name,
                ["in"] = "query",
                ["schema"] = new JsonObject { ["type"] = name is "limit" or "timeoutSeconds" or "gracePeriodSeconds" ? "integer" : name is "watch" or "force" or "sendInitialEvents" or "allowWatchBookmarks" ? "boolean" : "string" },
                ["uniqueItems"] = true,
            });
        }
        var op = new JsonObject
        {
            ["operationId"] = action + type.Kind,
            ["parameters"] = parameters,
            ["responses"] = new JsonObject { ["200"] = new JsonObject { ["description"] = "OK" } },
            ["x-kubernetes-action"] = action,
            ["x-kubernetes-group-version-kind"] = gvk.DeepClone(),
        };
        if (bodyTypes is not null && bodyTypes.Any())
        {
            var content = new JsonObject();
            foreach (var media in bodyTypes)
            {
                content[media] = new JsonObject { ["schema"] = new JsonObject { ["type"] = "object" } };
            }
            op["requestBody"] = new JsonObject { ["content"] = content, ["required"] = true };
        }
        return op;
    }
}
