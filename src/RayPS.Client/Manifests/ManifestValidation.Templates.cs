using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using RayPS.Errors;

namespace RayPS.Manifests;

/// <summary>
/// The API server's own checks of labels, node selectors, environment variable names and rayStartParams, run on the
/// built objects before any request, so a bad entry fails here with its own ErrorId and nothing is created half-way.
/// Messages follow Kubernetes' wording and quote at most a prefix of what was typed.
/// </summary>
public static partial class ManifestValidation
{
    private const int MaxQuoted = 64;

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", RegexOptions.CultureInvariant)]
    private static partial Regex Dns1123Subdomain();

    [GeneratedRegex("^[A-Za-z0-9]([-A-Za-z0-9_]*[A-Za-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex RayStartParamKey();

    /// <summary>Text for a message: the value itself, or its first characters and its length when it is long.</summary>
    public static string Quote(string? text) =>
        text is null ? "(null)"
        : text.Length <= MaxQuoted ? $"'{text}'"
        : $"'{text[..MaxQuoted]}...' ({text.Length} characters)";

    /// <summary>
    /// A label key: an optional DNS-1123 subdomain prefix (at most 253 characters) and '/', then a name of at most 63
    /// characters of letters, digits, '-', '_' and '.', starting and ending with a letter or digit.
    /// </summary>
    public static string? LabelKeyProblem(string key)
    {
        var slash = key.LastIndexOf('/');
        var prefix = slash >= 0 ? key[..slash] : null;
        var name = slash >= 0 ? key[(slash + 1)..] : key;
        if (prefix is not null && (prefix.Length == 0 || prefix.Length > 253 || !Dns1123Subdomain().IsMatch(prefix)))
        {
            return "its prefix (before '/') must be a DNS-1123 subdomain: lower-case letters, digits, '-' and '.', at most 253 characters (e.g. 'example.com')";
        }
        if (name.Length == 0)
        {
            return "its name part must be non-empty";
        }
        if (name.Length > 63)
        {
            return "its name part must be no more than 63 characters";
        }
        return LabelValue().IsMatch(name)
            ? null
            : "its name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName', 'my.name' or '123-abc')";
    }

    /// <summary>A label value: empty, or at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit.</summary>
    public static string? LabelValueProblem(string value) =>
        value.Length == 0 ? null
        : value.Length > 63 ? "a label value must be no more than 63 characters"
        : LabelValue().IsMatch(value) ? null
        : "a label value must be empty or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue', 'my_value' or '12345')";

    /// <summary>Every key and value of a label map (metadata.labels, spec.nodeSelector); <paramref name="what"/> names it in the message.</summary>
    public static void ValidateLabels(string what, JsonNode? labels)
    {
        if (labels is not JsonObject map)
        {
            return;
        }
        foreach (var (key, node) in map)
        {
            if (LabelKeyProblem(key) is { } keyProblem)
            {
                throw new RayPSException(ErrorIds.InvalidLabel, RayErrorCategory.InvalidArgument,
                    $"{what}: the key {Quote(key)} is not a valid label key: {keyProblem}. Nothing was sent to the cluster.", key);
            }
            var value = node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : node?.ToJsonString() ?? "";
            if (LabelValueProblem(value) is { } valueProblem)
            {
                throw new RayPSException(ErrorIds.InvalidLabel, RayErrorCategory.InvalidArgument,
                    $"{what}: the value {Quote(value)} of {Quote(key)} is invalid: {valueProblem}. Nothing was sent to the cluster.", key);
            }
        }
    }

    /// <summary>
    /// An environment variable name as the API server checks it: not empty, printable ASCII without '=' (the relaxed
    /// rule of Kubernetes 1.34 and later; older servers also refuse a leading digit and other punctuation).
    /// </summary>
    public static string? EnvNameProblem(string name) =>
        name.Length == 0 ? "it is empty"
        : name.Any(c => c is < ' ' or > '~') ? "it must consist only of printable ASCII characters"
        : name.Contains('=') ? "it must not contain '='"
        : null;

    /// <summary>The pod template's labels, node selector and every container's environment variable names.</summary>
    public static void ValidatePodTemplate(string path, JsonNode? template)
    {
        ValidateLabels($"{path}.template.metadata.labels", template?["metadata"]?["labels"]);
        ValidateLabels($"{path}.template.spec.nodeSelector (-NodeSelector)", template?["spec"]?["nodeSelector"]);
        foreach (var kind in new[] { "initContainers", "containers" })
        {
            var containers = template?["spec"]?[kind] as JsonArray ?? new JsonArray();
            for (var i = 0; i < containers.Count; i++)
            {
                var env = containers[i]?["env"] as JsonArray ?? new JsonArray();
                foreach (var entry in env)
                {
                    var name = entry?["name"] is JsonValue n && n.GetValueKind() == JsonValueKind.String ? n.GetValue<string>() : "";
                    if (EnvNameProblem(name) is { } problem)
                    {
                        throw new RayPSException(ErrorIds.InvalidEnvName, RayErrorCategory.InvalidArgument,
                            $"{path}.template.spec.{kind}[{i}].env: {Quote(name)} is not a valid environment variable name: {problem} (-Env @{{NAME='value'}}). Nothing was sent to the cluster.",
                            name);
                    }
                }
            }
        }
    }

    /// <summary>
    /// rayStartParams: keys are `ray start` flag names (letters, digits, '-' and '_'), values are non-empty strings.
    /// KubeRay turns each entry into --key=value, so an empty value would start Ray with a broken flag.
    /// </summary>
    public static void ValidateRayStartParams(string path, JsonNode? parameters)
    {
        if (parameters is not JsonObject map)
        {
            return;
        }
        foreach (var (key, node) in map)
        {
            if (!RayStartParamKey().IsMatch(key))
            {
                throw new RayPSException(ErrorIds.InvalidRayStartParam, RayErrorCategory.InvalidArgument,
                    $"{path}.rayStartParams: {Quote(key)} is not a `ray start` flag name: use letters, digits, '-' and '_' without the leading '--' (e.g. 'num-cpus'). Nothing was sent to the cluster.",
                    key);
            }
            var value = node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : node?.ToJsonString();
            if (string.IsNullOrWhiteSpace(value))
            {
                throw new RayPSException(ErrorIds.InvalidRayStartParam, RayErrorCategory.InvalidArgument,
                    $"{path}.rayStartParams: '{key}' has no value. Give it one (e.g. @{{'{key}'='4'}}), or leave the key out. Nothing was sent to the cluster.",
                    key);
            }
        }
    }

    /// <summary>The checks of a worker Deployment (New-RayWorkerDeployment) before it is sent.</summary>
    public static void ValidateWorkerDeployment(JsonObject deployment)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        ValidateLabels("metadata.labels", deployment["metadata"]?["labels"]);
        ValidatePodTemplate("spec", deployment["spec"]?["template"]);
    }
}
