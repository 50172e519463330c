using System.Text.Json.Nodes;

namespace RayPS.Sandbox.Store;

/// <summary>A watch event as clients see it: ADDED, MODIFIED, DELETED, BOOKMARK or ERROR.</summary>
public sealed record WatchEvent(string Type, JsonObject Object)
{
    public const string Added = "ADDED";
    public const string Modified = "MODIFIED";
    public const string Deleted = "DELETED";
    public const string Bookmark = "BOOKMARK";
    public const string Error = "ERROR";

    public JsonObject ToJson() => new() { ["type"] = Type, ["object"] = Object };
}

/// <summary>
/// One committed change, in storage form. <see cref="Object"/> and <see cref="Previous"/> are the
/// stored instances and must never be mutated.
/// </summary>
internal sealed record StoreEvent(string StorageKey, string Type, JsonObject Object, JsonObject? Previous, long ResourceVersion);
