using System.Text.Json.Nodes;

namespace RayPS.Client.Tests.WorkerGroups;

/// <summary>RFC 6902 add, replace and test on a copy of a document, enough to check the patches RayPS sends.</summary>
internal static class MiniJsonPatch
{
    public sealed class FailedException(string message) : Exception(message);

    public static JsonObject Apply(JsonObject document, JsonNode patch)
    {
        var doc = document.DeepClone().AsObject();
        foreach (var op in patch.AsArray().Select(o => o!.AsObject()))
        {
            var path = op["path"]!.GetValue<string>();
            var value = op["value"]?.DeepClone();
            var tokens = path.Split('/').Skip(1).Select(t => t.Replace("~1", "/").Replace("~0", "~")).ToList();
            var parent = Walk(doc, tokens.Take(tokens.Count - 1)) ?? throw new FailedException($"no parent for {path}");
            var last = tokens[^1];
            switch (op["op"]!.GetValue<string>())
            {
                case "test":
                    var actual = parent is JsonArray ta ? (int.TryParse(last, out var ti) && ti < ta.Count ? ta[ti] : throw new FailedException($"test: {path} missing"))
                        : parent.AsObject().TryGetPropertyValue(last, out var tv) ? tv : throw new FailedException($"test: {path} missing");
                    if (!JsonNode.DeepEquals(actual, value))
                    {
                        throw new FailedException($"test failed at {path}");
                    }
                    break;
                case "add":
                    if (parent is JsonArray aa)
                    {
                        if (last == "-") aa.Add(value);
                        else if (int.TryParse(last, out var ai) && ai <= aa.Count) aa.Insert(ai, value);
                        else throw new FailedException($"add: bad index {path}");
                    }
                    else
                    {
                        parent.AsObject()[last] = value;
                    }
                    break;
                case "replace":
                    if (parent is JsonArray ra)
                    {
                        if (!int.TryParse(last, out var ri) || ri >= ra.Count) throw new FailedException($"replace: {path} missing");
                        ra[ri] = value;
                    }
                    else if (parent.AsObject().ContainsKey(last))
                    {
                        parent.AsObject()[last] = value;
                    }
                    else
                    {
                        throw new FailedException($"replace: {path} missing");
                    }
                    break;
                case "remove":
                    if (parent is JsonArray rm)
                    {
                        if (!int.TryParse(last, out var mi) || mi >= rm.Count) throw new FailedException($"remove: {path} missing");
                        rm.RemoveAt(mi);
                    }
                    else if (!parent.AsObject().Remove(last))
                    {
                        throw new FailedException($"remove: {path} missing");
                    }
                    break;
                default:
                    throw new NotSupportedException(op["op"]!.GetValue<string>());
            }
        }
        return doc;
    }

    private static JsonNode? Walk(JsonNode node, IEnumerable<string> tokens)
    {
        JsonNode? current = node;
        foreach (var t in tokens)
        {
            current = current switch
            {
                JsonObject o => o.TryGetPropertyValue(t, out var next) ? next : null,
                JsonArray a => int.TryParse(t, out var i) && i < a.Count ? a[i] : null,
                _ => null,
            };
            if (current is null) return null;
        }
        return current;
    }
}
