using System.Text.Json.Nodes;

namespace RayPS.Sandbox.Schema;

/// <summary>
/// Applies structural-schema defaults top-down (defaulted objects receive their nested defaults too)
/// and drops nulls of non-nullable fields that have no default, as the apiextensions-apiserver does.
/// </summary>
public static class SchemaDefaulter
{
    public static void Apply(JsonNode? node, StructuralSchema schema)
    {
        switch (node)
        {
            case JsonObject obj:
                if (schema.Properties is not null)
                {
                    foreach (var (key, prop) in schema.Properties)
                    {
                        var present = obj.TryGetPropertyValue(key, out var value);
                        if (present && value is not null)
                        {
                            continue;
                        }
                        if (prop.HasDefault && (!present || !prop.Nullable))
                        {
                            obj[key] = prop.Default?.DeepClone();
                        }
                        else if (present && !prop.Nullable)
                        {
                            obj.Remove(key);
                        }
                    }
                }
                foreach (var (key, value) in obj.ToList())
                {
                    var child = schema.Child(key);
                    if (child is not null && value is not null)
                    {
                        Apply(value, child);
                    }
                }
                break;
            case JsonArray arr when schema.ItemsSchema is { } items:
                foreach (var item in arr)
                {
                    Apply(item, items);
                }
                break;
        }
    }
}
