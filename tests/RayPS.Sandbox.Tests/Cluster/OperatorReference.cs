using System.Text;
using System.Text.RegularExpressions;

namespace RayPS.Sandbox.Tests.Cluster;

/// <summary>
/// Reads the captures of the real KubeRay v1.4.2 operator (shared/kuberay/v1.4.2/operator-reference) and
/// normalises them and the sandbox's objects the same way, so the two can be compared field by field.
/// </summary>
internal static partial class OperatorReference
{
    public static string Path(params string[] parts) => SharedData.Path(["kuberay", "v1.4.2", "operator-reference", .. parts]);

    /// <summary>The items of a <c>kubectl get -o yaml</c> capture (empty when the file says no resources were found).</summary>
    public static List<JsonObject> Items(params string[] parts)
    {
        var text = File.ReadAllText(Path(parts));
        var start = text.IndexOf("apiVersion:", StringComparison.Ordinal);
        if (start < 0)
        {
            return [];
        }
        var list = YamlConverter.Parse(text[start..]) as JsonObject;
        return (list?["items"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
    }

    /// <summary>The objects of an input file (the RayCluster, and for the autoscaler sample its ConfigMap).</summary>
    public static List<JsonObject> Inputs(string name) =>
        YamlConverter.ParseAll(File.ReadAllText(Path("inputs", "ray-cluster." + name + ".yaml"))).OfType<JsonObject>().ToList();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")]
    private static partial Regex Timestamp();

    // Names the apiserver generates: pod suffixes and the service account token volume.
    [GeneratedRegex(@"(-head-|-worker-|kube-api-access-)[a-z0-9]{5}\b")]
    private static partial Regex GeneratedSuffix();

    public static string NormalizeText(string s) => GeneratedSuffix().Replace(s, "$1xxxxx");

    /// <summary>
    /// uid, resourceVersion, times and generated name suffixes become placeholders; managedFields (kubectl
    /// hides them) and the kubectl apply annotation go; so does the OpenShift fork's extra projected source
    /// (<c>openshift-service-ca.crt</c>, not KubeRay's doing, see the README).
    /// </summary>
    public static JsonNode? Normalize(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                var result = new JsonObject();
                foreach (var (key, value) in obj)
                {
                    if (key is "managedFields" or "kubectl.kubernetes.io/last-applied-configuration")
                    {
                        continue;
                    }
                    result[key] = key switch
                    {
                        "uid" when JsonNodes.GetString(value) is { Length: > 0 } => "<uid>",
                        "resourceVersion" when JsonNodes.GetString(value) is { Length: > 0 } => "<rv>",
                        _ => Normalize(value),
                    };
                }
                return result;
            case JsonArray arr:
                return new JsonArray(arr
                    .Where(n => JsonNodes.StringAt(n as JsonObject, "configMap", "name") != "openshift-service-ca.crt")
                    .Select(Normalize).ToArray());
            case JsonValue v when JsonNodes.GetString(v) is { } s:
                return Timestamp().IsMatch(s) ? "<time>" : NormalizeText(s);
            default:
                return node?.DeepClone();
        }
    }

    /// <summary>An event as it is compared: what happened, who said so, about what (not when or under which name).</summary>
    public static JsonObject EventSummary(JsonObject evt) => new()
    {
        ["type"] = JsonNodes.GetString(evt["type"]),
        ["reason"] = JsonNodes.GetString(evt["reason"]),
        ["message"] = NormalizeText(JsonNodes.GetString(evt["message"]) ?? ""),
        ["count"] = JsonNodes.GetInteger(evt["count"]),
        ["source"] = Normalize(evt["source"]),
        ["reportingComponent"] = JsonNodes.GetString(evt["reportingComponent"]),
        ["reportingInstance"] = JsonNodes.GetString(evt["reportingInstance"]),
        ["involvedObject"] = Normalize(evt["involvedObject"]),
        ["eventTime"] = evt["eventTime"]?.DeepClone(),
    };

    /// <summary>Every path where the two normalised trees differ ("$.a.b: expected X, got Y").</summary>
    public static List<string> Differences(JsonNode? expected, JsonNode? actual, string path = "$")
    {
        var diffs = new List<string>();
        switch (expected, actual)
        {
            case (JsonObject e, JsonObject a):
                foreach (var key in e.Select(kv => kv.Key).Union(a.Select(kv => kv.Key)))
                {
                    diffs.AddRange(Differences(e[key], a[key], path + "." + key));
                }
                break;
            case (JsonArray e, JsonArray a):
                for (var i = 0; i < Math.Max(e.Count, a.Count); i++)
                {
                    diffs.AddRange(Differences(i < e.Count ? e[i] : null, i < a.Count ? a[i] : null, $"{path}[{i}]"));
                }
                break;
            default:
                if (!JsonNodes.DeepEquals(expected, actual))
                {
                    diffs.Add($"{path}: expected {expected?.ToJsonString() ?? "(absent)"}, got {actual?.ToJsonString() ?? "(absent)"}");
                }
                break;
        }
        return diffs;
    }

    /// <summary>Compares two lists of normalised objects as multisets (ordered by their JSON text).</summary>
    public static List<string> ListDifferences(string what, IEnumerable<JsonNode?> expected, IEnumerable<JsonNode?> actual)
    {
        var e = expected.OrderBy(n => Canonical(n)?.ToJsonString(), StringComparer.Ordinal).ToList();
        var a = actual.OrderBy(n => Canonical(n)?.ToJsonString(), StringComparer.Ordinal).ToList();
        var diffs = new List<string>();
        if (e.Count != a.Count)
        {
            diffs.Add($"{what}: expected {e.Count} items, got {a.Count}");
        }
        for (var i = 0; i < Math.Min(e.Count, a.Count); i++)
        {
            diffs.AddRange(Differences(e[i], a[i], $"{what}[{i}]"));
        }
        return diffs;
    }

    /// <summary>The same tree with object keys sorted, so equal objects serialise equally whatever their key order.</summary>
    private static JsonNode? Canonical(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, Canonical(kv.Value)))),
        JsonArray arr => new JsonArray(arr.Select(Canonical).ToArray()),
        _ => node?.DeepClone(),
    };

    public static string Report(IEnumerable<string> diffs)
    {
        var sb = new StringBuilder();
        foreach (var d in diffs)
        {
            sb.AppendLine(d);
        }
        return sb.ToString();
    }
}
