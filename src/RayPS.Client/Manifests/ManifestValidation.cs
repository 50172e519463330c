using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using RayPS.Errors;
using RayPS.Model;

namespace RayPS.Manifests;

/// <summary>
/// Checks that run before any request, so a bad name, quantity or replica range fails fast with its own ErrorId
/// and nothing reaches the cluster. Every check throws <see cref="RayPSException"/> with a message that says what to do.
/// </summary>
public static partial class ManifestValidation
{
    /// <summary>KubeRay derives pod and service names from the cluster name; 53 leaves room for its suffixes.</summary>
    public const int MaxClusterNameLength = 53;

    /// <summary>The limit of a label value, which a worker group name becomes (ray.io/group).</summary>
    public const int MaxGroupNameLength = 63;

    [GeneratedRegex("^[a-z]([-a-z0-9]*[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex Dns1035Label();

    [GeneratedRegex("^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex LabelValue();

    [GeneratedRegex("^(?<num>[0-9]+(\\.[0-9]+)?)\\s*(?<unit>[KMGTPE])i?B$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex ByteUnitTypo();

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.:/\\-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex RayResourceName();

    /// <summary>Ray resources that `ray start` derives itself and refuses in --resources.</summary>
    private static readonly Dictionary<string, string> ReservedRayResources = new(StringComparer.Ordinal)
    {
        ["CPU"] = "set the container CPU (-WorkerCpu / -HeadCpu); KubeRay passes it as --num-cpus",
        ["GPU"] = "set GPUs with -WorkerGpu (nvidia.com/gpu); KubeRay passes it as --num-gpus",
        ["memory"] = "set the container memory (-WorkerMemory / -HeadMemory); KubeRay passes it as --memory",
        ["object_store_memory"] = "use the rayStartParams key object-store-memory",
    };

    /// <summary>A RayCluster name: a DNS-1035 label of at most 53 characters.</summary>
    public static void ValidateClusterName(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw new RayPSException(ErrorIds.InvalidClusterName, RayErrorCategory.InvalidArgument,
                "The RayCluster has no name. Pass -Name, or set metadata.name in the manifest.", name);
        }

        if (name.Length > MaxClusterNameLength)
        {
            throw new RayPSException(ErrorIds.InvalidClusterName, RayErrorCategory.InvalidArgument,
                $"The RayCluster name {Quote(name)} is {name.Length} characters long; use at most {MaxClusterNameLength}, because KubeRay builds pod and service names from it (e.g. '<name>-head-svc').",
                name);
        }

        if (!Dns1035Label().IsMatch(name))
        {
            var suggestion = SuggestName(name);
            var hint = suggestion.Length > 0 && suggestion != name ? $" For example: {Quote(suggestion)}." : string.Empty;
            throw new RayPSException(ErrorIds.InvalidClusterName, RayErrorCategory.InvalidArgument,
                $"{Quote(name)} is not a valid RayCluster name: use lower-case letters, digits and '-', start with a letter and end with a letter or digit (a DNS-1035 label).{hint}",
                name);
        }
    }

    /// <summary>A worker group name: it becomes the ray.io/group label value and part of pod names.</summary>
    public static void ValidateGroupName(string? groupName)
    {
        if (string.IsNullOrEmpty(groupName))
        {
            throw new RayPSException(ErrorIds.InvalidWorkerGroupName, RayErrorCategory.InvalidArgument,
                "A worker group has no groupName. Give every worker group a name, e.g. 'workergroup'.", groupName);
        }

        if (groupName.Length > MaxGroupNameLength || !LabelValue().IsMatch(groupName))
        {
            throw new RayPSException(ErrorIds.InvalidWorkerGroupName, RayErrorCategory.InvalidArgument,
                $"{Quote(groupName)} is not a valid worker group name: use at most {MaxGroupNameLength} letters, digits, '-', '_' or '.', starting and ending with a letter or digit (it becomes the ray.io/group label).",
                groupName);
        }
    }

    /// <summary>
    /// A Kubernetes resource quantity ("12", "500m", "40Gi", "1.5"); null means "not given" and passes.
    /// <paramref name="parameterName"/> names the input in the message ("-WorkerMemory", "worker.resources.limits.memory").
    /// </summary>
    public static void ValidateQuantity(string parameterName, string? value)
    {
        if (value is null || Quantity.IsValid(value))
        {
            return;
        }

        var trimmed = value.Trim();
        string hint;
        if (trimmed.StartsWith('-'))
        {
            hint = "Quantities cannot be negative.";
        }
        else if (ByteUnitTypo().Match(trimmed) is { Success: true } typo)
        {
            var unit = char.ToUpperInvariant(typo.Groups["unit"].Value[0]);
            var si = unit == 'K' ? "k" : unit.ToString();
            hint = $"Kubernetes writes bytes without 'B': did you mean '{typo.Groups["num"].Value}{unit}i' (binary) or '{typo.Groups["num"].Value}{si}' (decimal)?";
        }
        else
        {
            hint = "Use a number with an optional suffix: '4' or '500m' for CPU; '512Mi', '40Gi' or '8G' for memory.";
        }

        throw new RayPSException(ErrorIds.InvalidQuantity, RayErrorCategory.InvalidArgument,
            $"{parameterName} '{value}' is not a Kubernetes quantity. {hint}", value);
    }

    /// <summary>
    /// An extended resource (an accelerator such as huawei.com/Ascend910B): a valid quantity that is a whole number,
    /// because Kubernetes does not allow fractions of extended resources.
    /// </summary>
    public static void ValidateExtendedResource(string parameterName, string resourceName, string? value)
    {
        if (string.IsNullOrWhiteSpace(resourceName) || !resourceName.Contains('/'))
        {
            throw new RayPSException(ErrorIds.InvalidQuantity, RayErrorCategory.InvalidArgument,
                $"{parameterName}: '{resourceName}' is not an extended resource name. Use a vendor-qualified name such as 'nvidia.com/gpu' or 'huawei.com/Ascend910B'.",
                resourceName);
        }

        ValidateQuantity($"{parameterName} '{resourceName}'", value);
        if (value is not null && Quantity.Parse(value) is var amount && amount != decimal.Truncate(amount))
        {
            throw new RayPSException(ErrorIds.InvalidQuantity, RayErrorCategory.InvalidArgument,
                $"{parameterName} '{resourceName}' = '{value}': extended resources are whole numbers in Kubernetes. Use an integer such as 1.",
                value);
        }
    }

    /// <summary>
    /// Replica counts of one worker group: each non-negative and minReplicas &lt;= replicas &lt;= maxReplicas.
    /// Null means "not given" (KubeRay's defaults: replicas 0, minReplicas 0, maxReplicas 2147483647).
    /// </summary>
    public static void ValidateReplicas(string groupName, int? replicas, int? minReplicas, int? maxReplicas)
    {
        foreach (var (label, value) in new[] { ("replicas", replicas), ("minReplicas", minReplicas), ("maxReplicas", maxReplicas) })
        {
            if (value < 0)
            {
                throw new RayPSException(ErrorIds.ReplicasOutOfRange, RayErrorCategory.InvalidArgument,
                    $"Worker group '{groupName}': {label} is {value}; replica counts cannot be negative.", groupName);
            }
        }

        var min = minReplicas ?? 0;
        var max = maxReplicas ?? int.MaxValue;
        if (min > max)
        {
            throw new RayPSException(ErrorIds.ReplicasOutOfRange, RayErrorCategory.InvalidArgument,
                $"Worker group '{groupName}': minReplicas ({min}) is greater than maxReplicas ({max}). Lower the minimum or raise the maximum.", groupName);
        }

        if (replicas is { } r && (r < min || r > max))
        {
            throw new RayPSException(ErrorIds.ReplicasOutOfRange, RayErrorCategory.InvalidArgument,
                $"Worker group '{groupName}': replicas ({r}) must be between minReplicas ({min}) and maxReplicas ({FormatMax(max)}). Change the replicas, or widen the range with the minimum/maximum replicas.",
                groupName);
        }
    }

    /// <summary>Worker group names must be unique within a cluster.</summary>
    public static void ValidateUniqueGroupNames(IEnumerable<string> groupNames)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in groupNames)
        {
            if (!seen.Add(name))
            {
                throw new RayPSException(ErrorIds.DuplicateWorkerGroup, RayErrorCategory.InvalidArgument,
                    $"The worker group name '{name}' is used more than once. Every worker group of a RayCluster needs its own groupName.", name);
            }
        }
    }

    /// <summary>
    /// The value of rayStartParams "resources" for Ray custom resources: compact JSON wrapped in single quotes,
    /// e.g. <c>'{"NPU":1,"ascend":20}'</c>. KubeRay pastes "--resources=&lt;value&gt;" into a shell command line, so
    /// unquoted JSON would be split and mangled by the shell (KubeRay issue #1984). Keys are sorted for stable output.
    /// </summary>
    public static string RayResourcesJson(IReadOnlyDictionary<string, decimal> resources)
    {
        ArgumentNullException.ThrowIfNull(resources);
        var json = new StringBuilder("{");
        foreach (var (name, amount) in resources.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            ValidateRayResource(name, amount);
            if (json.Length > 1)
            {
                json.Append(',');
            }
            json.Append(JsonSerializer.Serialize(name)).Append(':').Append(amount.ToString("0.############", CultureInfo.InvariantCulture));
        }
        json.Append('}');
        return "'" + json + "'";
    }

    /// <summary>One Ray custom resource: a name `ray start` accepts in --resources and a non-negative amount.</summary>
    public static void ValidateRayResource(string name, decimal amount)
    {
        if (string.IsNullOrEmpty(name) || !RayResourceName().IsMatch(name))
        {
            throw new RayPSException(ErrorIds.InvalidRayResource, RayErrorCategory.InvalidArgument,
                $"'{name}' is not a usable Ray resource name: use letters, digits, '_', '-', '.', ':' or '/' (no spaces or quotes).", name);
        }

        if (ReservedRayResources.TryGetValue(name, out var instead))
        {
            throw new RayPSException(ErrorIds.InvalidRayResource, RayErrorCategory.InvalidArgument,
                $"Ray resource '{name}' cannot be set as a custom resource: {instead}.", name);
        }

        if (amount < 0)
        {
            throw new RayPSException(ErrorIds.InvalidRayResource, RayErrorCategory.InvalidArgument,
                $"Ray resource '{name}' = {amount.ToString(CultureInfo.InvariantCulture)}: amounts cannot be negative.", name);
        }
    }

    /// <summary>
    /// The checks above applied to a whole RayCluster object (from parameters, Helm values or a manifest file):
    /// name, worker group names, duplicates, replica ranges and every container resource quantity.
    /// </summary>
    public static void ValidateRayCluster(JsonObject cluster)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ValidateClusterName(Text(cluster.At("metadata.name")));

        var spec = cluster["spec"] as JsonObject;
        if (spec.At("headGroupSpec") is not JsonObject head)
        {
            throw new RayPSException(ErrorIds.InvalidManifestKind, RayErrorCategory.InvalidData,
                "The RayCluster has no spec.headGroupSpec. A RayCluster needs a head group with a pod template; start from Export-RayCluster or New-RayCluster -ManifestOnly.",
                Text(cluster.At("metadata.name")));
        }

        ValidatePodResources("spec.headGroupSpec", head["template"]);
        ValidateLabels("metadata.labels", cluster.At("metadata.labels"));
        ValidatePodTemplate("spec.headGroupSpec", head["template"]);
        ValidateRayStartParams("spec.headGroupSpec", head["rayStartParams"]);

        var names = new List<string>();
        var index = 0;
        foreach (var group in (spec.At("workerGroupSpecs") as JsonArray ?? new JsonArray()).OfType<JsonObject>())
        {
            var groupName = Text(group["groupName"]);
            ValidateGroupName(groupName);
            names.Add(groupName!);
            ValidateReplicas(groupName!, Int(group, "replicas"), Int(group, "minReplicas"), Int(group, "maxReplicas"));
            ValidatePodResources($"spec.workerGroupSpecs[{index}]", group["template"]);
            ValidatePodTemplate($"spec.workerGroupSpecs[{index}]", group["template"]);
            ValidateRayStartParams($"spec.workerGroupSpecs[{index}]", group["rayStartParams"]);
            index++;
        }

        ValidateUniqueGroupNames(names);
    }

    private static void ValidatePodResources(string path, JsonNode? template)
    {
        var containers = template.At("spec.containers") as JsonArray;
        if (containers is null)
        {
            return;
        }

        for (var i = 0; i < containers.Count; i++)
        {
            foreach (var kind in new[] { "limits", "requests" })
            {
                if (containers[i].At("resources." + kind) is not JsonObject amounts)
                {
                    continue;
                }

                foreach (var (resource, value) in amounts)
                {
                    var where = $"{path}.template.spec.containers[{i}].resources.{kind}['{resource}']";
                    var text = QuantityText(value);
                    if (text is null)
                    {
                        throw new RayPSException(ErrorIds.InvalidQuantity, RayErrorCategory.InvalidArgument,
                            $"{where} is not a Kubernetes quantity. Use a number or a string such as '4', '500m' or '40Gi'.", where);
                    }

                    if (resource.Contains('/') && !resource.StartsWith("kubernetes.io/", StringComparison.Ordinal))
                    {
                        ValidateExtendedResource(where, resource, text);
                    }
                    else
                    {
                        ValidateQuantity(where, text);
                    }
                }
            }
        }
    }

    private static string? QuantityText(JsonNode? value) => value is JsonValue v
        ? v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.Number => v.ToJsonString(),
            _ => null,
        }
        : null;

    private static string? Text(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static int? Int(JsonObject obj, string key) =>
        obj[key] is JsonValue v && v.GetValueKind() == JsonValueKind.Number
        && double.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
            ? (int)Math.Clamp(d, int.MinValue, int.MaxValue)
            : null;

    private static string FormatMax(int max) => max == int.MaxValue ? "unlimited" : max.ToString(CultureInfo.InvariantCulture);

    /// <summary>The closest valid DNS-1035 name, for the error message.</summary>
    internal static string SuggestName(string name)
    {
        var chars = name.ToLowerInvariant().Select(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' ? c : '-').ToArray();
        var text = new string(chars).TrimStart('-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9');
        while (text.Contains("--", StringComparison.Ordinal))
        {
            text = text.Replace("--", "-", StringComparison.Ordinal);
        }
        if (text.Length > MaxClusterNameLength)
        {
            text = text[..MaxClusterNameLength];
        }
        return text.Trim('-');
    }
}
