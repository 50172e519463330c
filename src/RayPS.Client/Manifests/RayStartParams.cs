using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using RayPS.Errors;
using RayPS.Model;

namespace RayPS.Manifests;

/// <summary>
/// Builds a group's rayStartParams and the Ray custom resources that accelerators imply. KubeRay turns each entry into
/// "--key=value" on a shell command line, so values stay strings and the "resources" JSON is single-quoted.
/// </summary>
public static class RayStartParams
{
    /// <summary>The rayStartParams key of Ray custom resources (ray start --resources).</summary>
    public const string ResourcesKey = "resources";

    /// <summary>The Ray resource name Ray uses for Huawei Ascend NPUs.</summary>
    public const string NpuResource = "NPU";

    public const string NvidiaGpu = "nvidia.com/gpu";

    private const string AscendPrefix = "huawei.com/Ascend";

    /// <summary>
    /// True for a Huawei Ascend device count (huawei.com/Ascend910B, huawei.com/Ascend310P, ...), false for the
    /// companion -memory / -core slice resources, which are not device counts.
    /// </summary>
    public static bool IsAscendDevice(string resourceName) =>
        resourceName.StartsWith(AscendPrefix, StringComparison.Ordinal)
        && !resourceName.EndsWith("-memory", StringComparison.Ordinal)
        && !resourceName.EndsWith("-core", StringComparison.Ordinal);

    /// <summary>
    /// The Ray custom resources of a group: the user's, plus NPU = the number of Ascend devices the accelerators request,
    /// because KubeRay maps nvidia.com/gpu to --num-gpus but tells Ray nothing about Ascend. A user's own NPU entry wins.
    /// </summary>
    public static IReadOnlyDictionary<string, decimal> EffectiveRayResources(
        IEnumerable<KeyValuePair<string, string>> accelerator, IEnumerable<KeyValuePair<string, decimal>> rayResources)
    {
        var result = new SortedDictionary<string, decimal>(StringComparer.Ordinal);
        decimal npus = 0;
        foreach (var (name, value) in accelerator)
        {
            if (IsAscendDevice(name) && Quantity.TryParse(value, out var count))
            {
                npus += count;
            }
        }
        if (npus > 0)
        {
            result[NpuResource] = npus;
        }
        foreach (var (name, amount) in rayResources)
        {
            result[name] = amount;
        }
        return result;
    }

    /// <summary>
    /// rayStartParams from the defaults, the user's entries (which win) and the Ray custom resources. A "resources"
    /// entry the user gives as plain JSON is re-quoted; giving it and custom resources at once is an error.
    /// </summary>
    public static JsonObject Build(IEnumerable<KeyValuePair<string, string>>? defaults, IEnumerable<KeyValuePair<string, string>>? userParams,
        IReadOnlyDictionary<string, decimal> rayResources, string target)
    {
        var merged = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in defaults ?? Enumerable.Empty<KeyValuePair<string, string>>())
        {
            merged[key] = value;
        }
        foreach (var (key, value) in userParams ?? Enumerable.Empty<KeyValuePair<string, string>>())
        {
            merged[key.StartsWith("--", StringComparison.Ordinal) ? key[2..] : key] = value;
        }
        var userEntries = new JsonObject();
        foreach (var (key, value) in userParams ?? Enumerable.Empty<KeyValuePair<string, string>>())
        {
            userEntries[key.StartsWith("--", StringComparison.Ordinal) ? key[2..] : key] = value;
        }
        ManifestValidation.ValidateRayStartParams(target, userEntries);

        if (merged.TryGetValue(ResourcesKey, out var given))
        {
            if (rayResources.Count > 0)
            {
                throw new RayPSException(ErrorIds.InvalidRayResource, RayErrorCategory.InvalidArgument,
                    $"{target}: Ray custom resources are given twice, as rayStartParams '{ResourcesKey}' and as Ray resources/accelerators. Give them in one place only (the Ray resources hashtable is simpler).",
                    target);
            }
            merged[ResourcesKey] = QuoteResources(given, target);
        }
        else if (rayResources.Count > 0)
        {
            merged[ResourcesKey] = ManifestValidation.RayResourcesJson(rayResources);
        }

        var result = new JsonObject();
        foreach (var (key, value) in merged)
        {
            result[key] = value;
        }
        return result;
    }

    /// <summary>
    /// Normalises a user-written "resources" value to single-quoted compact JSON: accepts {"a":1}, '{"a":1}' and
    /// "{\"a\":1}" forms. A value that is not a JSON object of numbers is an error, since `ray start` would reject it.
    /// </summary>
    public static string QuoteResources(string value, string target)
    {
        var text = value.Trim();
        if (text.Length >= 2 && (text[0] == '\'' && text[^1] == '\'' || text[0] == '"' && text[^1] == '"'))
        {
            text = text[1..^1].Replace("\\\"", "\"", StringComparison.Ordinal);
        }

        JsonObject? obj = null;
        try
        {
            obj = JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException)
        {
        }

        var amounts = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var (name, amount) in obj ?? new JsonObject())
        {
            if (amount is JsonValue v && v.GetValueKind() == JsonValueKind.Number)
            {
                amounts[name] = decimal.Parse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);
            }
            else
            {
                obj = null;
                break;
            }
        }

        if (obj is null)
        {
            throw new RayPSException(ErrorIds.InvalidRayResource, RayErrorCategory.InvalidArgument,
                $"{target}: rayStartParams '{ResourcesKey}' = {value} is not a JSON object of numbers such as {{\"NPU\":1}}. Pass Ray custom resources as a hashtable instead, e.g. @{{ascend=20}}.",
                target);
        }

        return ManifestValidation.RayResourcesJson(amounts);
    }
}
