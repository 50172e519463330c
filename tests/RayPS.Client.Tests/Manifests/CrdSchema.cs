using System.Text.Json;
using System.Text.Json.Nodes;

namespace RayPS.Client.Tests.Manifests;

/// <summary>
/// A small structural-schema checker for a CRD version's openAPIV3Schema: types (with int-or-string), required fields
/// (a field with a default is not missing: the API server defaults before it validates), enums, and unknown fields
/// under objects that neither preserve unknown fields nor allow additional properties (the server would prune them).
/// </summary>
internal sealed class CrdSchema
{
    private static readonly Dictionary<string, CrdSchema> Cache = new();

    private readonly JsonObject _root;

    private CrdSchema(JsonObject root, string name)
    {
        _root = root;
        Name = name;
    }

    public string Name { get; }

    public static CrdSchema KubeRay142 => Load("kuberay/v1.4.2/ray.io_rayclusters.yaml");
    public static CrdSchema KubeRay170 => Load("kuberay/v1.7.0/ray.io_rayclusters.yaml");
    public static IEnumerable<CrdSchema> Both => new[] { KubeRay142, KubeRay170 };

    private static CrdSchema Load(string file)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(file, out var schema))
            {
                var crd = TestData.Yaml(file);
                var version = crd["spec"]!["versions"]!.AsArray().Single(v => v!["name"]!.GetValue<string>() == "v1")!;
                schema = new CrdSchema((JsonObject)version["schema"]!["openAPIV3Schema"]!, file);
                Cache[file] = schema;
            }
            return schema;
        }
    }

    /// <summary>Every violation as "path: problem"; empty when the object is valid.</summary>
    public IReadOnlyList<string> Validate(JsonNode? obj)
    {
        var errors = new List<string>();
        Check(obj, _root, "$", errors, isRoot: true);
        return errors;
    }

    /// <summary>Asserts the object is valid, listing every violation otherwise.</summary>
    public void AssertValid(JsonNode? obj)
    {
        var errors = Validate(obj);
        Assert.True(errors.Count == 0, $"{Name}: {string.Join(Environment.NewLine, errors)}");
    }

    private static void Check(JsonNode? value, JsonObject schema, string path, List<string> errors, bool isRoot = false)
    {
        if (value is null)
        {
            if (schema["nullable"]?.GetValue<bool>() != true)
            {
                errors.Add($"{path}: null is not allowed");
            }
            return;
        }

        if (schema["x-kubernetes-int-or-string"]?.GetValue<bool>() == true)
        {
            if (!(IsKind(value, JsonValueKind.String) || IsInteger(value)))
            {
                errors.Add($"{path}: must be an integer or a string");
            }
            return;
        }

        if (schema["enum"] is JsonArray allowed && !allowed.Any(a => JsonNode.DeepEquals(a, value)))
        {
            errors.Add($"{path}: {value.ToJsonString()} is not one of {allowed.ToJsonString()}");
        }

        var type = schema["type"]?.GetValue<string>();
        switch (type)
        {
            case "object":
                if (value is not JsonObject obj)
                {
                    errors.Add($"{path}: must be an object");
                    return;
                }
                CheckObject(obj, schema, path, errors, isRoot);
                break;
            case "array":
                if (value is not JsonArray array)
                {
                    errors.Add($"{path}: must be an array");
                    return;
                }
                if (schema["items"] is JsonObject items)
                {
                    for (var i = 0; i < array.Count; i++)
                    {
                        Check(array[i], items, $"{path}[{i}]", errors);
                    }
                }
                break;
            case "string":
                if (!IsKind(value, JsonValueKind.String))
                {
                    errors.Add($"{path}: must be a string, not {value.ToJsonString()}");
                }
                break;
            case "integer":
                if (!IsInteger(value))
                {
                    errors.Add($"{path}: must be an integer, not {value.ToJsonString()}");
                }
                break;
            case "number":
                if (!IsKind(value, JsonValueKind.Number))
                {
                    errors.Add($"{path}: must be a number, not {value.ToJsonString()}");
                }
                break;
            case "boolean":
                if (!IsKind(value, JsonValueKind.True) && !IsKind(value, JsonValueKind.False))
                {
                    errors.Add($"{path}: must be a boolean, not {value.ToJsonString()}");
                }
                break;
        }
    }

    private static void CheckObject(JsonObject obj, JsonObject schema, string path, List<string> errors, bool isRoot)
    {
        var properties = schema["properties"] as JsonObject;
        var additional = schema["additionalProperties"] as JsonObject;
        var preserve = schema["x-kubernetes-preserve-unknown-fields"]?.GetValue<bool>() == true;

        if (schema["required"] is JsonArray required)
        {
            foreach (var name in required.Select(r => r!.GetValue<string>()))
            {
                var hasDefault = properties?[name]?["default"] is not null;
                if (!obj.ContainsKey(name) && !hasDefault)
                {
                    errors.Add($"{path}.{name}: required");
                }
            }
        }

        foreach (var (key, child) in obj)
        {
            var childPath = $"{path}.{key}";
            if (properties?[key] is JsonObject propertySchema)
            {
                // The API server validates metadata itself; the CRD only says "object".
                if (!(isRoot && key == "metadata"))
                {
                    Check(child, propertySchema, childPath, errors);
                }
            }
            else if (additional is not null)
            {
                Check(child, additional, childPath, errors);
            }
            else if (!preserve)
            {
                errors.Add($"{childPath}: unknown field (the API server would drop it)");
            }
        }
    }

    private static bool IsKind(JsonNode node, JsonValueKind kind) => node is JsonValue v && v.GetValueKind() == kind;

    private static bool IsInteger(JsonNode node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number
        && double.TryParse(v.ToJsonString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d) && d == Math.Floor(d);
}
