using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Schema;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.Patch;

/// <summary>
/// metadata.managedFields bookkeeping: which manager owns which fields, updated on every write
/// (operation Update) and by server-side apply (operation Apply).
/// </summary>
public static class ManagedFields
{
    /// <summary>One managedFields entry with its decoded paths.</summary>
    public sealed class Entry
    {
        public required string Manager { get; init; }
        public required string Operation { get; init; }
        public required string ApiVersion { get; set; }
        public required string Time { get; set; }
        public string? Subresource { get; init; }
        public required HashSet<string> Paths { get; set; }

        public bool Is(string manager, string operation, string? subresource) =>
            Manager == manager && Operation == operation && (Subresource ?? "") == (subresource ?? "");

        /// <summary>How conflict messages name the manager.</summary>
        public string Describe()
        {
            var text = JsonNodes.Quote(Manager);
            if (!string.IsNullOrEmpty(Subresource))
            {
                text += " with subresource " + JsonNodes.Quote(Subresource);
            }
            return Operation == "Update" ? $"{text} using {ApiVersion} at {Time}" : text;
        }
    }

    public static List<Entry> Read(JsonObject? obj)
    {
        var entries = new List<Entry>();
        if (JsonNodes.At(obj, "metadata", "managedFields") is not JsonArray list)
        {
            return entries;
        }
        foreach (var e in list.OfType<JsonObject>())
        {
            entries.Add(new Entry
            {
                Manager = JsonNodes.GetString(e["manager"]) ?? "",
                Operation = JsonNodes.GetString(e["operation"]) ?? "Update",
                ApiVersion = JsonNodes.GetString(e["apiVersion"]) ?? "",
                Time = JsonNodes.GetString(e["time"]) ?? "",
                Subresource = JsonNodes.GetString(e["subresource"]),
                Paths = FieldSet.FromFieldsV1(e["fieldsV1"] as JsonObject),
            });
        }
        return entries;
    }

    public static void Write(JsonObject obj, List<Entry> entries)
    {
        var meta = ObjectMeta.Meta(obj);
        var kept = entries.Where(e => e.Paths.Count > 0)
            .OrderBy(e => e.Operation == "Apply" ? 0 : 1)
            .ThenBy(e => e.Time, StringComparer.Ordinal)
            .ThenBy(e => e.Manager, StringComparer.Ordinal)
            .ToList();
        if (kept.Count == 0)
        {
            meta.Remove("managedFields");
            return;
        }
        var list = new JsonArray();
        foreach (var e in kept)
        {
            var entry = new JsonObject
            {
                ["manager"] = e.Manager,
                ["operation"] = e.Operation,
                ["apiVersion"] = e.ApiVersion,
                ["time"] = e.Time,
                ["fieldsType"] = "FieldsV1",
                ["fieldsV1"] = FieldSet.ToFieldsV1(e.Paths),
            };
            if (!string.IsNullOrEmpty(e.Subresource))
            {
                entry["subresource"] = e.Subresource;
            }
            list.Add(entry);
        }
        meta["managedFields"] = list;
    }

    /// <summary>Attributes the fields a non-apply write changed to <paramref name="manager"/>.</summary>
    public static void TrackUpdate(JsonObject? old, JsonObject updated, string manager, string apiVersion, string? subresource,
        ITypeInfo type, Func<string, bool> include, string now)
    {
        var entries = Read(old);
        var before = old is null ? new FieldSet() : FieldSet.Of(old, type, include);
        var after = FieldSet.Of(updated, type, include);
        var changed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in after.Paths)
        {
            if (!before.Paths.Contains(path) ||
                (after.Leaves.TryGetValue(path, out var value) && (!before.Leaves.TryGetValue(path, out var prior) || !JsonNodes.DeepEquals(prior, value))))
            {
                changed.Add(path);
            }
        }
        var removed = before.Paths.Where(p => !after.Paths.Contains(p)).ToHashSet(StringComparer.Ordinal);
        var mine = entries.FirstOrDefault(e => e.Is(manager, "Update", subresource));
        foreach (var e in entries.Where(e => !ReferenceEquals(e, mine)))
        {
            e.Paths.ExceptWith(changed);
            e.Paths.ExceptWith(removed);
        }
        if (mine is null)
        {
            if (changed.Count == 0)
            {
                Write(updated, entries);
                return;
            }
            mine = new Entry { Manager = manager, Operation = "Update", ApiVersion = apiVersion, Time = now, Subresource = subresource, Paths = [] };
            entries.Add(mine);
        }
        var owned = new HashSet<string>(mine.Paths, StringComparer.Ordinal);
        owned.ExceptWith(removed);
        owned.UnionWith(changed);
        if (!owned.SetEquals(mine.Paths) || mine.ApiVersion != apiVersion)
        {
            mine.Paths = owned;
            mine.ApiVersion = apiVersion;
            mine.Time = now;
        }
        Write(updated, entries);
    }

    /// <summary>
    /// Server-side apply: merges <paramref name="config"/> into <paramref name="live"/>, detecting
    /// conflicts with other managers (409 unless <paramref name="force"/>) and removing fields the
    /// manager applied before but no longer does.
    /// </summary>
    public static JsonObject Apply(JsonObject? live, JsonObject config, string manager, string apiVersion, bool force,
        ITypeInfo type, Func<string, bool> include, string now)
    {
        var entries = Read(live);
        var configSet = FieldSet.Of(config, type, include);
        var conflicts = new List<(Entry Owner, string Path)>();
        foreach (var e in entries.Where(e => !e.Is(manager, "Apply", null)))
        {
            foreach (var (path, value) in configSet.Leaves)
            {
                if (!e.Paths.Contains(path))
                {
                    continue;
                }
                if (!FieldSet.TryGet(live, path, out var current) || !JsonNodes.DeepEquals(current, value))
                {
                    conflicts.Add((e, path));
                }
            }
        }
        if (conflicts.Count > 0)
        {
            if (!force)
            {
                throw ConflictError(conflicts);
            }
            foreach (var (owner, path) in conflicts)
            {
                owner.Paths.Remove(path);
            }
        }
        var merged = live is null ? new JsonObject() : (JsonObject)live.DeepClone();
        MergeObject(merged, config, type);
        var mine = entries.FirstOrDefault(e => e.Is(manager, "Apply", null));
        if (mine is not null)
        {
            var others = entries.Where(e => !ReferenceEquals(e, mine)).SelectMany(e => e.Paths).ToList();
            foreach (var path in mine.Paths.Where(p => !configSet.Paths.Contains(p)).OrderByDescending(p => p.Length))
            {
                var prefix = path + FieldSet.Separator;
                if (!others.Any(o => o == path || o.StartsWith(prefix, StringComparison.Ordinal)))
                {
                    FieldSet.Remove(merged, path);
                }
            }
        }
        else
        {
            mine = new Entry { Manager = manager, Operation = "Apply", ApiVersion = apiVersion, Time = now, Paths = [] };
            entries.Add(mine);
        }
        mine.Paths = configSet.Paths;
        mine.ApiVersion = apiVersion;
        if (live is not null && mine.Time.Length > 0)
        {
            // Like kube-apiserver's IgnoreManagedFieldsTimestampsTransformer: an apply that changes nothing but the
            // timestamp keeps the old one, so the object (and its resourceVersion) stays as it was.
            Write(merged, entries);
            if (JsonNodes.DeepEquals(merged, live))
            {
                return merged;
            }
        }
        mine.Time = now;
        Write(merged, entries);
        return merged;
    }

    private static ApiException ConflictError(List<(Entry Owner, string Path)> conflicts)
    {
        var causes = conflicts.Select(c => new StatusCause("FieldManagerConflict", "conflict with " + c.Owner.Describe(), FieldSet.Display(c.Path))).ToList();
        string message;
        if (conflicts.Count == 1)
        {
            message = $"Apply failed with 1 conflict: conflict with {conflicts[0].Owner.Describe()}: {FieldSet.Display(conflicts[0].Path)}";
        }
        else
        {
            var lines = new List<string>();
            foreach (var group in conflicts.GroupBy(c => c.Owner.Describe()).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                lines.Add("conflicts with " + group.Key);
                lines.AddRange(group.Select(c => "- " + FieldSet.Display(c.Path)));
            }
            message = $"Apply failed with {conflicts.Count} conflicts: {string.Join("\n", lines)}";
        }
        return new ApiException(409, "Conflict", message, new StatusDetails(Causes: causes));
    }

    private static void MergeObject(JsonObject target, JsonObject config, ITypeInfo? type)
    {
        foreach (var (key, value) in config)
        {
            if (value is null)
            {
                target.Remove(key);
                continue;
            }
            var childType = key == "metadata" ? BuiltinTypeInfo.Root.Field("metadata") : type?.Field(key);
            target.TryGetPropertyValue(key, out var existing);
            switch (value)
            {
                case JsonObject obj when existing is JsonObject existingObj && childType?.IsAtomic != true:
                    MergeObject(existingObj, obj, childType);
                    break;
                case JsonArray arr when existing is JsonArray existingArr && childType?.ListType == ListType.Map && childType.MapKeys.Count > 0:
                    foreach (var item in arr)
                    {
                        if (item is not JsonObject itemObj)
                        {
                            continue;
                        }
                        var wanted = FieldSet.KeyOf(itemObj, childType.MapKeys, childType.Items);
                        var match = existingArr.OfType<JsonObject>().FirstOrDefault(e =>
                            JsonNodes.DeepEquals(FieldSet.KeyOf(e, childType.MapKeys, childType.Items), wanted));
                        if (match is null)
                        {
                            existingArr.Add(itemObj.DeepClone());
                        }
                        else
                        {
                            MergeObject(match, itemObj, childType.Items);
                        }
                    }
                    break;
                case JsonArray arr when existing is JsonArray existingSet && childType?.ListType == ListType.Set:
                    foreach (var item in arr.Where(i => !existingSet.Any(e => JsonNodes.DeepEquals(e, i))))
                    {
                        existingSet.Add(item?.DeepClone());
                    }
                    break;
                default:
                    target[key] = value.DeepClone();
                    break;
            }
        }
    }
}
