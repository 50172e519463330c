using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using RayPS.Errors;

namespace RayPS.Manifests;

/// <summary>The RayCluster a values file renders to, and what the renderer noticed on the way.</summary>
public sealed class HelmRenderResult
{
    public HelmRenderResult(JsonObject cluster, IReadOnlyList<string> warnings)
    {
        Cluster = cluster;
        Warnings = warnings;
    }

    /// <summary>The RayCluster object, without metadata.namespace (helm install -n decides that).</summary>
    public JsonObject Cluster { get; }

    /// <summary>Unknown keys (with their path) and values Helm would mangle.</summary>
    public IReadOnlyList<string> Warnings { get; }

    public string Name => Cluster["metadata"]!["name"]!.GetValue<string>();
}

/// <summary>
/// Renders a values file of the KubeRay ray-cluster Helm chart into the RayCluster that chart 1.4.2 renders
/// (`helm template &lt;release&gt; kuberay/ray-cluster --version 1.4.2 -f values.yaml`), without Helm: the user's values are
/// merged over the chart defaults, then the chart's template rules apply (names, labels, quoted rayStartParams,
/// worker + additionalWorkerGroups, common.containerEnv, defaults of 0 / 2147483647 / 1 for min, max and hosts).
/// </summary>
/// <remarks>
/// Naming: the chart names the cluster with its fullname helper: fullnameOverride if set; else the release name when it
/// contains the chart name (nameOverride, which chart 1.4.2 sets to "kuberay"), else "&lt;release&gt;-kuberay". So
/// `helm install ray-cluster` gives "ray-cluster-kuberay", and a release called "kuberay" or "ray-kuberay" keeps its name.
/// </remarks>
public static partial class HelmValuesRenderer
{
    public const string ChartName = HelmChartDefaults.ChartName;
    public const string ChartVersion = HelmChartDefaults.ChartVersion;

    private const int HelmMaxNameLength = 63;
    private const int ReleaseNameMaxLength = 53;

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", RegexOptions.CultureInvariant)]
    private static partial Regex ReleaseNamePattern();

    /// <summary>Reads and renders a values file.</summary>
    public static HelmRenderResult RenderFile(string path, string releaseName, string? clusterName = null) =>
        Render(ManifestReader.ReadText(path), releaseName, path, clusterName);

    /// <summary>Renders values text; <paramref name="clusterName"/> acts like --set fullnameOverride=&lt;name&gt;.</summary>
    public static HelmRenderResult Render(string valuesText, string releaseName, string source, string? clusterName = null)
    {
        var documents = ManifestReader.ParseDocuments(valuesText, source);
        var values = documents.Count == 0 || documents[0] is null ? new JsonObject() : documents[0] as JsonObject;
        if (values is null)
        {
            throw Invalid(source, "the values file must be a mapping of keys (head:, worker:, ...) at the top level");
        }
        return Render(values, releaseName, source, clusterName);
    }

    public static HelmRenderResult Render(JsonObject userValues, string releaseName, string source, string? clusterName = null)
    {
        ArgumentNullException.ThrowIfNull(userValues);
        ValidateReleaseName(releaseName);
        var warnings = new List<string>();
        ReportUnknownKeys(userValues, source, warnings);
        var values = Merge(HelmChartDefaults.Values(), (JsonObject)userValues.DeepClone(), string.Empty, source, warnings);
        if (!string.IsNullOrEmpty(clusterName))
        {
            values["fullnameOverride"] = clusterName;
        }

        var renderer = new Renderer(values, releaseName, source, warnings);
        return new HelmRenderResult(renderer.RayCluster(), warnings);
    }

    /// <summary>The chart's "ray-cluster.fullname": the cluster name for a release and values.</summary>
    public static string FullName(string releaseName, JsonObject values)
    {
        if (GoTemplateText.Print(values["fullnameOverride"]) is { Length: > 0 } fullname)
        {
            return TruncName(fullname);
        }
        var name = ChartShortName(values);
        return TruncName(releaseName.Contains(name, StringComparison.Ordinal) ? releaseName : $"{releaseName}-{name}");
    }

    /// <summary>The chart's "ray-cluster.name": nameOverride, else the chart name.</summary>
    internal static string ChartShortName(JsonObject values) =>
        GoTemplateText.Print(values["nameOverride"]) is { Length: > 0 } name ? name : ChartName;

    internal static string TruncName(string name) =>
        (name.Length > HelmMaxNameLength ? name[..HelmMaxNameLength] : name).TrimEnd('-');

    private static void ValidateReleaseName(string releaseName)
    {
        if (string.IsNullOrEmpty(releaseName) || releaseName.Length > ReleaseNameMaxLength || !ReleaseNamePattern().IsMatch(releaseName))
        {
            throw new RayPSException(ErrorIds.InvalidClusterName, RayErrorCategory.InvalidArgument,
                $"'{releaseName}' is not a valid Helm release name: use at most {ReleaseNameMaxLength} lower-case letters, digits, '-' and '.', starting and ending with a letter or digit.",
                releaseName);
        }
    }

    /// <summary>
    /// Helm's coalescing of a values file over chart defaults: maps merge key by key, anything else replaces, and a
    /// null in the user's file deletes the default.
    /// </summary>
    internal static JsonObject Merge(JsonObject defaults, JsonObject user, string path, string source, List<string> warnings)
    {
        foreach (var (key, userValue) in user.ToList())
        {
            user.Remove(key);
            var keyPath = path.Length == 0 ? key : $"{path}.{key}";
            var hasDefault = defaults.TryGetPropertyValue(key, out var defaultValue);
            if (userValue is null)
            {
                defaults.Remove(key);
            }
            else if (hasDefault && defaultValue is JsonObject defaultMap && userValue is JsonObject userMap)
            {
                defaults[key] = Merge(defaultMap, userMap, keyPath, source, warnings);
            }
            else
            {
                if (hasDefault && defaultValue is JsonObject && userValue is not JsonObject)
                {
                    warnings.Add($"{source}: '{keyPath}' replaces a table of chart defaults with a {Kind(userValue)}; the chart expects a mapping there.");
                }
                defaults[key] = userValue;
            }
        }
        return defaults;
    }

    private static void ReportUnknownKeys(JsonObject values, string source, List<string> warnings)
    {
        void Check(JsonNode? section, string path, IReadOnlySet<string> known)
        {
            if (section is not JsonObject map)
            {
                return;
            }
            foreach (var (key, _) in map)
            {
                if (!known.Contains(key))
                {
                    warnings.Add($"{source}: unknown key '{(path.Length == 0 ? key : path + "." + key)}' is not used by the {ChartName} chart {ChartVersion}; it is ignored.");
                }
            }
        }

        Check(values, string.Empty, HelmChartDefaults.TopKeys);
        Check(values["image"], "image", HelmChartDefaults.ImageKeys);
        Check(values["common"], "common", HelmChartDefaults.CommonKeys);
        Check(values["service"], "service", HelmChartDefaults.ServiceKeys);
        Check(values["head"], "head", HelmChartDefaults.HeadKeys);
        Check((values["head"] as JsonObject)?["image"], "head.image", HelmChartDefaults.ImageKeys);
        Check(values["worker"], "worker", HelmChartDefaults.GroupKeys);
        Check((values["worker"] as JsonObject)?["image"], "worker.image", HelmChartDefaults.ImageKeys);
        if (values["additionalWorkerGroups"] is JsonObject groups)
        {
            foreach (var (name, group) in groups)
            {
                var path = $"additionalWorkerGroups.{name}";
                Check(group, path, HelmChartDefaults.GroupKeys);
                Check((group as JsonObject)?["image"], path + ".image", HelmChartDefaults.ImageKeys);
                if (group is JsonObject g && g.ContainsKey("groupName"))
                {
                    warnings.Add($"{source}: '{path}.groupName' is ignored: the chart names an additional worker group after its key ('{name}').");
                }
            }
        }
    }

    internal static RayPSException Invalid(string source, string reason) =>
        new(ErrorIds.InvalidHelmValues, RayErrorCategory.InvalidData, $"{source}: {reason}. Fix the values file and run the command again.", source);

    internal static string Kind(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "mapping",
        JsonArray => "list",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.Number => "number",
            _ => "boolean",
        },
        _ => "value",
    };

    /// <summary>One rendering of the chart's raycluster-cluster.yaml template.</summary>
    private sealed class Renderer
    {
        private readonly JsonObject _values;
        private readonly string _release;
        private readonly string _source;
        private readonly List<string> _warnings;

        public Renderer(JsonObject values, string release, string source, List<string> warnings)
        {
            _values = values;
            _release = release;
            _source = source;
            _warnings = warnings;
        }

        public JsonObject RayCluster()
        {
            var head = Section(_values["head"], "head");
            var metadata = new JsonObject
            {
                ["name"] = FullName(_release, _values),
                ["labels"] = ChartLabels(),
            };
            if (GoTemplateText.IsTruthy(_values["annotations"]))
            {
                metadata["annotations"] = _values["annotations"]!.DeepClone();
            }

            var spec = new JsonObject();
            if (GoTemplateText.IsTruthy(head["rayVersion"]))
            {
                SetIfNotNull(spec, "rayVersion", GoTemplateText.Reparse(head["rayVersion"]));
            }
            if (GoTemplateText.IsTruthy(head["enableInTreeAutoscaling"]))
            {
                SetIfNotNull(spec, "enableInTreeAutoscaling", GoTemplateText.Reparse(head["enableInTreeAutoscaling"]));
            }
            CopyIfTruthy(head, "autoscalerOptions", spec);

            var headGroup = new JsonObject();
            CopyIfTruthy(head, "headService", headGroup);
            SetIfNotNull(headGroup, "serviceType", GoTemplateText.Reparse(Section(_values["service"], "service")["type"]));
            headGroup["rayStartParams"] = RayStartParams(head, "head");
            headGroup["template"] = PodTemplate(head, "head", "ray-head");
            spec["headGroupSpec"] = headGroup;

            var groups = new JsonArray();
            if (_values["additionalWorkerGroups"] is JsonObject additional)
            {
                // Go templates range over a map in key order.
                foreach (var (name, raw) in additional.OrderBy(g => g.Key, StringComparer.Ordinal))
                {
                    var path = $"additionalWorkerGroups.{name}";
                    var group = Section(raw, path);
                    if (IsDisabled(group["disabled"], path, strict: true))
                    {
                        continue;
                    }
                    groups.Add(WorkerGroup(group, path, YamlJson.ResolvePlain(name)));
                }
            }
            else if (_values["additionalWorkerGroups"] is not null)
            {
                throw Invalid(_source, $"'additionalWorkerGroups' must be a mapping of group name to settings, not a {Kind(_values["additionalWorkerGroups"])}");
            }

            var worker = Section(_values["worker"], "worker");
            if (!IsDisabled(GoTemplateText.IsTruthy(worker["disabled"]) ? worker["disabled"] : JsonValue.Create(false), "worker", strict: false))
            {
                groups.Add(WorkerGroup(worker, "worker", GoTemplateText.Reparse(worker["groupName"])));
            }
            spec["workerGroupSpecs"] = groups;

            return new JsonObject
            {
                ["apiVersion"] = ManifestReader.ApiVersion,
                ["kind"] = ManifestReader.Kind,
                ["metadata"] = metadata,
                ["spec"] = spec,
            };
        }

        private JsonObject WorkerGroup(JsonObject group, string path, JsonNode? groupName)
        {
            var result = new JsonObject();
            SetIfNotNull(result, "groupName", groupName);
            SetIfNotNull(result, "replicas", GoTemplateText.Reparse(group["replicas"]));
            result["minReplicas"] = GoTemplateText.IsTruthy(group["minReplicas"]) ? GoTemplateText.Reparse(group["minReplicas"]) : 0;
            result["maxReplicas"] = GoTemplateText.IsTruthy(group["maxReplicas"]) ? GoTemplateText.Reparse(group["maxReplicas"]) : int.MaxValue;
            result["numOfHosts"] = GoTemplateText.IsTruthy(group["numOfHosts"]) ? GoTemplateText.Reparse(group["numOfHosts"]) : 1;
            result["rayStartParams"] = RayStartParams(group, path);
            result["template"] = PodTemplate(group, path, "ray-worker");
            return result;
        }

        private JsonObject RayStartParams(JsonObject section, string path)
        {
            var result = new JsonObject();
            foreach (var key in new[] { "rayStartParams", "initArgs" })
            {
                var entries = section[key];
                if (!GoTemplateText.IsTruthy(entries))
                {
                    continue;
                }
                if (entries is not JsonObject map)
                {
                    throw Invalid(_source, $"'{path}.{key}' must be a mapping of ray start flags to values, not a {Kind(entries)}");
                }
                foreach (var (name, value) in map.OrderBy(e => e.Key, StringComparer.Ordinal))
                {
                    if (value is JsonObject or JsonArray)
                    {
                        throw Invalid(_source, $"'{path}.{key}.{name}' is a {Kind(value)}; ray start flags take single values (write JSON such as resources as a quoted string)");
                    }
                    var text = GoTemplateText.Print(value);
                    if (text is null)
                    {
                        continue;
                    }
                    if (value is JsonValue v && v.GetValueKind() == JsonValueKind.Number && text.Contains('e', StringComparison.Ordinal))
                    {
                        _warnings.Add($"{_source}: '{path}.{key}.{name}' = {v.ToJsonString()} renders as \"{text}\" (Helm prints large numbers in exponent form), which ray start may reject. Quote it in the values file: {name}: \"{v.ToJsonString()}\".");
                    }
                    result[name] = text;
                }
            }
            return result;
        }

        private JsonObject PodTemplate(JsonObject section, string path, string containerName)
        {
            var container = new JsonObject { ["name"] = containerName };
            var image = GoTemplateText.IsTruthy(section["image"]) ? Section(section["image"], path + ".image") : Section(_values["image"], "image");
            SetIfNotNull(container, "image", YamlJson.ResolvePlain($"{GoTemplateText.Print(image["repository"])}:{GoTemplateText.Print(image["tag"])}"));
            SetIfNotNull(container, "imagePullPolicy", GoTemplateText.Reparse(image["pullPolicy"]));
            CopyIfNotNull(section, "resources", container);
            CopyIfNotNull(section, "securityContext", container);
            var env = List(Section(_values["common"], "common")["containerEnv"], "common.containerEnv");
            foreach (var item in List(section["containerEnv"], path + ".containerEnv"))
            {
                env.Add(item?.DeepClone());
            }
            if (env.Count > 0)
            {
                container["env"] = env;
            }
            CopyIfTruthy(section, "envFrom", container);
            CopyIfTruthy(section, "ports", container);
            CopyIfTruthy(section, "lifecycle", container);
            CopyIfTruthy(section, "command", container);
            CopyIfTruthy(section, "args", container);
            CopyIfTruthy(section, "volumeMounts", container);

            var containers = new JsonArray(container);
            if (GoTemplateText.IsTruthy(section["sidecarContainers"]))
            {
                foreach (var sidecar in List(section["sidecarContainers"], path + ".sidecarContainers"))
                {
                    containers.Add(sidecar?.DeepClone());
                }
            }

            var podSpec = new JsonObject();
            CopyIfTruthy(section, "dnsConfig", podSpec);
            CopyIfNotNull(_values, "imagePullSecrets", podSpec);
            if (GoTemplateText.IsTruthy(section["serviceAccountName"]))
            {
                SetIfNotNull(podSpec, "serviceAccountName", GoTemplateText.Reparse(section["serviceAccountName"]));
            }
            if (GoTemplateText.IsTruthy(section["restartPolicy"]))
            {
                SetIfNotNull(podSpec, "restartPolicy", GoTemplateText.Reparse(section["restartPolicy"]));
            }
            CopyIfTruthy(section, "initContainers", podSpec);
            podSpec["containers"] = containers;
            CopyIfTruthy(section, "volumes", podSpec);
            CopyIfTruthy(section, "topologySpreadConstraints", podSpec);
            CopyIfNotNull(section, "affinity", podSpec);
            CopyIfTruthy(section, "priorityClassName", podSpec);
            CopyIfTruthy(section, "priority", podSpec);
            CopyIfNotNull(section, "tolerations", podSpec);
            CopyIfNotNull(section, "nodeSelector", podSpec);
            if (GoTemplateText.IsTruthy(section["podSecurityContext"]))
            {
                podSpec["securityContext"] = section["podSecurityContext"]!.DeepClone();
            }

            var metadata = new JsonObject();
            CopyIfNotNull(section, "annotations", metadata);
            var labels = new JsonObject();
            if (GoTemplateText.IsTruthy(section["labels"]))
            {
                if (section["labels"] is not JsonObject own)
                {
                    throw Invalid(_source, $"'{path}.labels' must be a mapping of label names to values, not a {Kind(section["labels"])}");
                }
                foreach (var (key, value) in own)
                {
                    labels[key] = value?.DeepClone();
                }
            }
            foreach (var (key, value) in ChartLabels())
            {
                labels[key] = value?.DeepClone();
            }
            metadata["labels"] = labels;

            return new JsonObject { ["metadata"] = metadata, ["spec"] = podSpec };
        }

        /// <summary>The chart's "ray-cluster.labels" (chart 1.4.2 sets no appVersion, so there is no version label).</summary>
        private JsonObject ChartLabels() => new()
        {
            ["app.kubernetes.io/name"] = TruncName(ChartShortName(_values)),
            ["helm.sh/chart"] = TruncName($"{ChartName}-{ChartVersion}".Replace('+', '_')),
            ["app.kubernetes.io/instance"] = _release,
            ["app.kubernetes.io/managed-by"] = "Helm",
        };

        private bool IsDisabled(JsonNode? disabled, string path, bool strict)
        {
            if (disabled is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
            {
                return v.GetValue<bool>();
            }
            if (disabled is null && strict)
            {
                return false;
            }
            throw Invalid(_source, $"'{path}.disabled' must be true or false, not a {Kind(disabled)}");
        }

        private JsonObject Section(JsonNode? node, string path) => node switch
        {
            JsonObject map => map,
            null => new JsonObject(),
            _ => throw Invalid(_source, $"'{path}' must be a mapping, not a {Kind(node)}"),
        };

        private JsonArray List(JsonNode? node, string path) => node switch
        {
            JsonArray list => new JsonArray(list.Select(i => i?.DeepClone()).ToArray()),
            null => new JsonArray(),
            _ => throw Invalid(_source, $"'{path}' must be a list, not a {Kind(node)}"),
        };

        private static void CopyIfTruthy(JsonObject from, string key, JsonObject to)
        {
            if (GoTemplateText.IsTruthy(from[key]))
            {
                to[key] = from[key]!.DeepClone();
            }
        }

        private static void CopyIfNotNull(JsonObject from, string key, JsonObject to)
        {
            if (from[key] is { } value)
            {
                to[key] = value.DeepClone();
            }
        }

        private static void SetIfNotNull(JsonObject to, string key, JsonNode? value)
        {
            if (value is not null)
            {
                to[key] = value;
            }
        }
    }
}
