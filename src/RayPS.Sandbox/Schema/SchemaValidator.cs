using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.Schema;

/// <summary>
/// OpenAPI v3 value validation of a custom resource against its structural schema, with the
/// field.Error messages of the apiextensions-apiserver, followed by x-kubernetes-validations rules.
/// </summary>
public static class SchemaValidator
{
    /// <summary>Validates everything below the root (metadata is validated elsewhere).</summary>
    public static List<FieldError> Validate(JsonObject obj, JsonObject? old, StructuralSchema schema)
    {
        var errs = new List<FieldError>();
        if (schema.Properties is not null)
        {
            foreach (var required in schema.Required)
            {
                if (!obj.ContainsKey(required))
                {
                    errs.Add(FieldError.Required(required));
                }
            }
        }
        foreach (var key in obj.Select(p => p.Key).Order(StringComparer.Ordinal))
        {
            if (key is "apiVersion" or "kind" or "metadata")
            {
                continue;
            }
            var child = schema.Child(key);
            if (child is not null)
            {
                ValidateNode(obj[key], child, key, errs);
            }
        }
        if (schema.HasValidationRules)
        {
            if (errs.Any(IsBlocking))
            {
                errs.Add(FieldError.Invalid(null, null,
                    "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation"));
            }
            else
            {
                CelRules.Evaluate(obj, old, schema, "", errs);
            }
        }
        return errs;
    }

    private static bool IsBlocking(FieldError e) =>
        e.Type is FieldErrorType.NotSupported or FieldErrorType.Required or FieldErrorType.TooLong or FieldErrorType.TooMany or FieldErrorType.TypeInvalid;

    private static string TypeName(JsonNode? node) => JsonNodes.KindOf(node) switch
    {
        JsonKind.Null => "null",
        JsonKind.Object => "object",
        JsonKind.Array => "array",
        JsonKind.String => "string",
        JsonKind.Integer => "integer",
        JsonKind.Number => "number",
        _ => "boolean",
    };

    private static bool TypeMatches(JsonNode? node, StructuralSchema s)
    {
        var kind = JsonNodes.KindOf(node);
        if (s.IntOrString)
        {
            return kind is JsonKind.Integer or JsonKind.String || (kind == JsonKind.Number && IsWhole(node));
        }
        return s.Type switch
        {
            null or "" => true,
            "object" => kind == JsonKind.Object,
            "array" => kind == JsonKind.Array,
            "string" => kind == JsonKind.String,
            "integer" => kind == JsonKind.Integer || (kind == JsonKind.Number && IsWhole(node)),
            "number" => kind is JsonKind.Integer or JsonKind.Number,
            "boolean" => kind == JsonKind.Boolean,
            _ => true,
        };
    }

    private static bool IsWhole(JsonNode? node) => JsonNodes.TryGetDouble(node, out var d) && d == Math.Floor(d);

    private static void ValidateNode(JsonNode? node, StructuralSchema s, string path, List<FieldError> errs)
    {
        if (node is null)
        {
            if (!s.Nullable && (s.Type is not null || s.IntOrString))
            {
                var expected = s.IntOrString ? "integer,string" : s.Type;
                errs.Add(FieldError.TypeInvalid(path, JsonValue.Create("null"), $"{path} in body must be of type {expected}: \"null\""));
            }
            return;
        }
        if (!TypeMatches(node, s))
        {
            var actual = TypeName(node);
            var expected = s.IntOrString ? "integer,string" : s.Type;
            errs.Add(FieldError.TypeInvalid(path, JsonValue.Create(actual), $"{path} in body must be of type {expected}: {JsonNodes.Quote(actual)}"));
            return;
        }
        if (s.Enum is { Count: > 0 } && !s.Enum.Any(e => JsonNodes.DeepEquals(e, node)))
        {
            errs.Add(FieldError.NotSupported(path, node, s.Enum.Select(e => JsonNodes.GetString(e) ?? JsonNodes.FormatScalar(e))));
        }
        switch (node)
        {
            case JsonObject obj:
                ValidateObject(obj, s, path, errs);
                break;
            case JsonArray arr:
                ValidateArray(arr, s, path, errs);
                break;
            default:
                ValidateScalar(node, s, path, errs);
                break;
        }
    }

    private static void ValidateScalar(JsonNode node, StructuralSchema s, string path, List<FieldError> errs)
    {
        if (JsonNodes.GetString(node) is { } text)
        {
            var length = new StringInfo(text).LengthInTextElements;
            if (s.MaxLength is { } maxLen && length > maxLen)
            {
                errs.Add(FieldError.TooLong(path, maxLen));
            }
            if (s.MinLength is { } minLen && length < minLen)
            {
                errs.Add(FieldError.Invalid(path, node, $"{path} in body should be at least {minLen} chars long"));
            }
            if (s.Pattern is { } pattern && !Regex.IsMatch(text, pattern))
            {
                errs.Add(FieldError.Invalid(path, node, $"{path} in body should match '{pattern}'"));
            }
            return;
        }
        if (JsonNodes.TryGetDouble(node, out var number))
        {
            if (s.Maximum is { } max && (s.ExclusiveMaximum ? number >= max : number > max))
            {
                var op = s.ExclusiveMaximum ? "less than" : "less than or equal to";
                errs.Add(FieldError.Invalid(path, node, $"{path} in body should be {op} {JsonText.FormatDouble(max)}"));
            }
            if (s.Minimum is { } min && (s.ExclusiveMinimum ? number <= min : number < min))
            {
                var op = s.ExclusiveMinimum ? "greater than" : "greater than or equal to";
                errs.Add(FieldError.Invalid(path, node, $"{path} in body should be {op} {JsonText.FormatDouble(min)}"));
            }
        }
    }

    private static void ValidateObject(JsonObject obj, StructuralSchema s, string path, List<FieldError> errs)
    {
        foreach (var required in s.Required)
        {
            if (!obj.ContainsKey(required))
            {
                errs.Add(FieldError.Required(path + "." + required));
            }
        }
        if (s.MaxProperties is { } maxProps && obj.Count > maxProps)
        {
            errs.Add(new FieldError(FieldErrorType.TooMany, path, obj.Count.ToString(CultureInfo.InvariantCulture), $"must have at most {maxProps} items"));
        }
        if (s.MinProperties is { } minProps && obj.Count < minProps)
        {
            errs.Add(FieldError.InvalidRaw(path, obj.Count.ToString(CultureInfo.InvariantCulture), $"{path} in body should have at least {minProps} properties"));
        }
        var embedded = s.EmbeddedResource;
        foreach (var key in obj.Select(p => p.Key).Order(StringComparer.Ordinal))
        {
            if (embedded && key is "apiVersion" or "kind" or "metadata")
            {
                continue;
            }
            var child = s.Child(key);
            if (child is not null)
            {
                ValidateNode(obj[key], child, path + "." + key, errs);
            }
        }
    }

    private static void ValidateArray(JsonArray arr, StructuralSchema s, string path, List<FieldError> errs)
    {
        if (s.MaxItems is { } maxItems && arr.Count > maxItems)
        {
            errs.Add(new FieldError(FieldErrorType.TooMany, path, arr.Count.ToString(CultureInfo.InvariantCulture), $"must have at most {maxItems} items"));
        }
        if (s.MinItems is { } minItems && arr.Count < minItems)
        {
            errs.Add(FieldError.InvalidRaw(path, arr.Count.ToString(CultureInfo.InvariantCulture), $"{path} in body should have at least {minItems} items"));
        }
        if (s.ItemsSchema is { } items)
        {
            for (var i = 0; i < arr.Count; i++)
            {
                ValidateNode(arr[i], items, path + "[" + i.ToString(CultureInfo.InvariantCulture) + "]", errs);
            }
        }
        if (s.ListTypeName == "set")
        {
            for (var i = 0; i < arr.Count; i++)
            {
                for (var j = 0; j < i; j++)
                {
                    if (JsonNodes.DeepEquals(arr[i], arr[j]))
                    {
                        errs.Add(FieldError.Duplicate($"{path}[{i}]", JsonNodes.FormatScalar(arr[i])));
                        break;
                    }
                }
            }
        }
        else if (s.ListTypeName == "map" && s.ListMapKeys.Count > 0)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < arr.Count; i++)
            {
                if (arr[i] is not JsonObject item)
                {
                    continue;
                }
                var keyObj = new JsonObject();
                foreach (var k in s.ListMapKeys)
                {
                    if (item.TryGetPropertyValue(k, out var kv))
                    {
                        keyObj[k] = kv?.DeepClone();
                    }
                }
                if (!seen.Add(JsonText.Serialize(keyObj)))
                {
                    var rendered = "map[string]interface {}{" + string.Join(", ", keyObj.Select(p => JsonNodes.Quote(p.Key) + ":" + JsonNodes.FormatScalar(p.Value))) + "}";
                    errs.Add(FieldError.Duplicate($"{path}[{i}]", rendered));
                }
            }
        }
    }
}
