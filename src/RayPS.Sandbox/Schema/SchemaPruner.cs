using System.Globalization;
using System.Text.Json.Nodes;

namespace RayPS.Sandbox.Schema;

/// <summary>
/// Drops fields a structural schema does not declare (unless x-kubernetes-preserve-unknown-fields),
/// returning their paths so the API can warn (fieldValidation=Warn) or reject (Strict).
/// </summary>
public static class SchemaPruner
{
    /// <summary>metav1.ObjectMeta's JSON fields; anything else under metadata is unknown.</summary>
    public static readonly HashSet<string> ObjectMetaFields = new(StringComparer.Ordinal)
    {
        "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp",
        "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers", "managedFields",
    };

    /// <summary>Prunes a whole custom resource in place; apiVersion/kind/metadata are always kept.</summary>
    public static List<string> PruneResource(JsonObject obj, StructuralSchema schema)
    {
        var pruned = new List<string>();
        PruneObject(obj, schema, "", pruned, isRoot: true);
        pruned.Sort(StringComparer.Ordinal);
        return pruned;
    }

    private static void Prune(JsonNode? node, StructuralSchema schema, string path, List<string> pruned)
    {
        switch (node)
        {
            case JsonObject obj:
                PruneObject(obj, schema, path, pruned, isRoot: false);
                break;
            case JsonArray arr when schema.ItemsSchema is { } items:
                for (var i = 0; i < arr.Count; i++)
                {
                    Prune(arr[i], items, path + "[" + i.ToString(CultureInfo.InvariantCulture) + "]", pruned);
                }
                break;
        }
    }

    private static void PruneObject(JsonObject obj, StructuralSchema schema, string path, List<string> pruned, bool isRoot)
    {
        var embedded = isRoot || schema.EmbeddedResource;
        foreach (var key in obj.Select(p => p.Key).ToList())
        {
            var childPath = path.Length == 0 ? key : path + "." + key;
            if (embedded && key is "apiVersion" or "kind")
            {
                continue;
            }
            if (embedded && key == "metadata")
            {
                PruneMetadata(obj[key], childPath, pruned);
                continue;
            }
            var child = schema.Child(key);
            if (child is not null)
            {
                Prune(obj[key], child, childPath, pruned);
            }
            else if (!schema.PreserveUnknownFields)
            {
                obj.Remove(key);
                pruned.Add(childPath);
            }
        }
    }

    private static void PruneMetadata(JsonNode? metadata, string path, List<string> pruned)
    {
        if (metadata is not JsonObject meta)
        {
            return;
        }
        foreach (var key in meta.Select(p => p.Key).ToList())
        {
            if (!ObjectMetaFields.Contains(key))
            {
                meta.Remove(key);
                pruned.Add(path + "." + key);
            }
        }
    }
}
