using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Resources;

namespace RayPS.Sandbox.Cluster;

/// <summary>
/// The <c>ray start</c> command line: KubeRay's generation from rayStartParams and the container's
/// resources (common/pod.go), and the reverse parsing the simulated kubelet uses to learn what a
/// container runs.
/// </summary>
internal static class RayStartCommand
{
    // Options whose "true"/"false" argument is passed as a value rather than as a bare flag.
    private static readonly string[] SpecialParameterOptions = ["log-color", "include-dashboard"];

    // Flags Ray's CLI takes without a value.
    private static readonly HashSet<string> BooleanFlags = new(StringComparer.Ordinal)
    {
        "head", "block", "no-monitor", "disable-usage-stats", "verbose", "ray-debugger-external", "enable-resource-isolation",
    };

    private static readonly (string Resource, string RayName)[] WellKnownAccelerators =
    [
        ("aws.amazon.com/neuroncore", "neuron_cores"),
        ("google.com/tpu", "TPU"),
    ];

    /// <summary>
    /// setMissingRayStartParams plus the resource-derived flags of generateRayStartCommand, on a copy
    /// of the user's parameters.
    /// </summary>
    public static SortedDictionary<string, string> CompleteParams(
        RayNodeType type,
        IReadOnlyDictionary<string, string> userParams,
        JsonObject? containerResources,
        string fqdnHeadService,
        string headPort,
        bool autoscaling)
    {
        var p = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in userParams)
        {
            p[k] = v;
        }
        if (type == RayNodeType.Worker && !p.ContainsKey("address"))
        {
            p["address"] = fqdnHeadService + ":" + headPort;
        }
        if (type == RayNodeType.Head && !p.ContainsKey("dashboard-host"))
        {
            p["dashboard-host"] = "0.0.0.0";
        }
        if (!p.ContainsKey("metrics-export-port"))
        {
            p["metrics-export-port"] = KubeRayConstants.DefaultMetricsPort.ToString(CultureInfo.InvariantCulture);
        }
        p["block"] = "true";
        if (!p.ContainsKey("dashboard-agent-listen-port"))
        {
            p["dashboard-agent-listen-port"] = KubeRayConstants.DefaultDashboardAgentListenPort.ToString(CultureInfo.InvariantCulture);
        }
        if (type == RayNodeType.Head && autoscaling)
        {
            p["no-monitor"] = "true";
        }
        AddResourceParams(p, containerResources);
        return p;
    }

    private static void AddResourceParams(SortedDictionary<string, string> p, JsonObject? resources)
    {
        var limits = resources?["limits"] as JsonObject;
        var requests = resources?["requests"] as JsonObject;
        if (!p.ContainsKey("num-cpus"))
        {
            var cpu = QuantityValue(limits?["cpu"]);
            if (cpu is null or 0)
            {
                cpu = QuantityValue(requests?["cpu"]);
            }
            if (cpu is { } c && c != 0)
            {
                p["num-cpus"] = Ceiling(c);
            }
        }
        if (!p.ContainsKey("memory") && QuantityValue(limits?["memory"]) is { } mem && mem != 0)
        {
            p["memory"] = Ceiling(mem);
        }
        if (limits is null || limits.Count == 0)
        {
            return;
        }
        var sortedLimits = limits.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        if (!p.ContainsKey("num-gpus"))
        {
            foreach (var (name, value) in sortedLimits)
            {
                if (name.EndsWith("gpu", StringComparison.Ordinal) && QuantityValue(value) is { } g && g != 0)
                {
                    p["num-gpus"] = Ceiling(g);
                    break;
                }
            }
        }
        var resourcesMap = ParseResourcesJson(p.GetValueOrDefault("resources")) ?? new SortedDictionary<string, double>(StringComparer.Ordinal);
        if (resourcesMap.Keys.Any(k => WellKnownAccelerators.Any(a => a.RayName == k)))
        {
            return;
        }
        foreach (var (name, value) in sortedLimits)
        {
            var match = WellKnownAccelerators.FirstOrDefault(a => a.Resource == name);
            if (match.RayName is null || QuantityValue(value) is not { } q || q == 0)
            {
                continue;
            }
            resourcesMap[match.RayName] = (double)q;
            var json = new StringBuilder("{");
            var first = true;
            foreach (var (k, v) in resourcesMap)
            {
                if (!first) json.Append(',');
                first = false;
                JsonText.WriteString(json, k);
                json.Append(':').Append(JsonText.FormatDouble(v));
            }
            p["resources"] = "'" + json.Append('}') + "'";
            break;
        }
    }

    /// <summary>generateRayStartCommand's final string, as KubeRay's convertParamMap renders it.</summary>
    public static string Build(RayNodeType type, IReadOnlyDictionary<string, string> completeParams)
    {
        var sb = new StringBuilder(type == RayNodeType.Head ? "ray start --head " : "ray start ");
        foreach (var (option, argument) in completeParams.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var lower = argument.ToLowerInvariant();
            if (lower is "true" or "false" && !SpecialParameterOptions.Contains(option))
            {
                if (lower == "true")
                {
                    sb.Append(" --").Append(option).Append(' ');
                }
            }
            else
            {
                sb.Append(" --").Append(option).Append('=').Append(argument).Append(' ');
            }
        }
        return sb.ToString();
    }

    /// <summary>A quantity's exact value, or null when absent or malformed.</summary>
    public static decimal? QuantityValue(JsonNode? node)
    {
        string? text = JsonNodes.GetString(node);
        if (text is null)
        {
            if (JsonNodes.TryGetInteger(node, out var l))
            {
                return l;
            }
            if (JsonNodes.TryGetDouble(node, out var d))
            {
                return (decimal)d;
            }
            return null;
        }
        return Quantity.TryParse(text, out var value, out _) ? value : null;
    }

    // resource.Quantity.Value(): rounded up to an integer.
    private static string Ceiling(decimal value) => decimal.Ceiling(value).ToString("0", CultureInfo.InvariantCulture);

    /// <summary>
    /// Parses a <c>--resources</c> argument (<c>'{"NPU":1}'</c>, <c>"{\"NPU\": 1}"</c>, <c>{"NPU":1}</c>); null when absent or invalid.
    /// </summary>
    public static SortedDictionary<string, double>? ParseResourcesJson(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        var trimmed = text.Trim().Trim('\'', '"').Replace("\\", "", StringComparison.Ordinal);
        try
        {
            using var doc = JsonDocument.Parse(trimmed);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                return null;
            }
            var result = new SortedDictionary<string, double>(StringComparer.Ordinal);
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (prop.Value.ValueKind == JsonValueKind.Number)
                {
                    result[prop.Name] = prop.Value.GetDouble();
                }
            }
            return result;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Splits a shell command line into words the way bash would for simple commands: quotes and
    /// backslashes are honoured, and unquoted <c>;</c>, <c>&amp;</c>, <c>|</c> and newlines become separate operator tokens.
    /// </summary>
    public static List<string> Tokenize(string commandLine)
    {
        var tokens = new List<string>();
        var current = new StringBuilder();
        var inWord = false;
        var i = 0;
        void Flush()
        {
            if (inWord)
            {
                tokens.Add(current.ToString());
                current.Clear();
                inWord = false;
            }
        }
        while (i < commandLine.Length)
        {
            var c = commandLine[i];
            if (c == '\'')
            {
                var end = commandLine.IndexOf('\'', i + 1);
                if (end < 0) end = commandLine.Length;
                current.Append(commandLine, i + 1, end - i - 1);
                inWord = true;
                i = end + 1;
            }
            else if (c == '"')
            {
                i++;
                while (i < commandLine.Length && commandLine[i] != '"')
                {
                    if (commandLine[i] == '\\' && i + 1 < commandLine.Length && commandLine[i + 1] is '"' or '\\' or '$' or '`')
                    {
                        i++;
                    }
                    current.Append(commandLine[i]);
                    i++;
                }
                inWord = true;
                i++;
            }
            else if (c == '\\' && i + 1 < commandLine.Length)
            {
                if (commandLine[i + 1] != '\n')
                {
                    current.Append(commandLine[i + 1]);
                    inWord = true;
                }
                i += 2;
            }
            else if (c is ';' or '&' or '|' or '\n')
            {
                Flush();
                var op = c.ToString();
                if (c is '&' or '|' && i + 1 < commandLine.Length && commandLine[i + 1] == c)
                {
                    op += c;
                    i++;
                }
                tokens.Add(op);
                i++;
            }
            else if (char.IsWhiteSpace(c))
            {
                Flush();
                i++;
            }
            else
            {
                current.Append(c);
                inWord = true;
                i++;
            }
        }
        Flush();
        return tokens;
    }

    /// <summary>The full command line of a container (command then args, joined by spaces).</summary>
    public static string ContainerCommandLine(JsonObject container)
    {
        var parts = new List<string>();
        foreach (var key in new[] { "command", "args" })
        {
            if (container[key] is JsonArray arr)
            {
                parts.AddRange(arr.Select(n => JsonNodes.GetString(n) ?? ""));
            }
        }
        // "bash -c <script>": the script is what runs.
        for (var i = 0; i < parts.Count - 1; i++)
        {
            if (parts[i].StartsWith('-') && parts[i].Contains('c', StringComparison.Ordinal) && !parts[i].StartsWith("--", StringComparison.Ordinal)
                && i > 0 && parts[i - 1].EndsWith("sh", StringComparison.Ordinal))
            {
                var rest = parts.Skip(i + 1).Where(p => p != "--");
                return string.Join(' ', rest);
            }
        }
        return string.Join(' ', parts);
    }

    /// <summary>
    /// Finds the first <c>ray start</c> in a command line and returns its options (flags map to "true");
    /// null when the command line does not start Ray.
    /// </summary>
    public static ParsedRayStart? Parse(string commandLine)
    {
        var tokens = Tokenize(commandLine);
        for (var i = 0; i + 1 < tokens.Count; i++)
        {
            if (!IsRayExecutable(tokens[i]) || tokens[i + 1] != "start" || (i > 0 && !IsCommandStart(tokens[i - 1])))
            {
                continue;
            }
            var options = new Dictionary<string, string>(StringComparer.Ordinal);
            var j = i + 2;
            while (j < tokens.Count && !IsOperator(tokens[j]))
            {
                var t = tokens[j];
                j++;
                if (!t.StartsWith("--", StringComparison.Ordinal))
                {
                    continue;
                }
                var body = t[2..];
                var eq = body.IndexOf('=', StringComparison.Ordinal);
                if (eq >= 0)
                {
                    options[body[..eq]] = body[(eq + 1)..];
                }
                else if (!BooleanFlags.Contains(body) && j < tokens.Count && !IsOperator(tokens[j]) && !tokens[j].StartsWith("--", StringComparison.Ordinal))
                {
                    options[body] = tokens[j];
                    j++;
                }
                else
                {
                    options[body] = "true";
                }
            }
            return new ParsedRayStart(options);
        }
        return null;
    }

    private static bool IsRayExecutable(string token) => token == "ray" || token.EndsWith("/ray", StringComparison.Ordinal);

    private static bool IsCommandStart(string previous) => IsOperator(previous) || previous is "exec" or "then" or "do" or "nohup" or "time";

    private static bool IsOperator(string token) => token is ";" or "&" or "&&" or "|" or "||" or "\n";
}

/// <summary>The options of a parsed <c>ray start</c> command.</summary>
internal sealed class ParsedRayStart(IReadOnlyDictionary<string, string> options)
{
    public IReadOnlyDictionary<string, string> Options { get; } = options;

    public bool IsHead => Options.TryGetValue("head", out var v) && !string.Equals(v, "false", StringComparison.OrdinalIgnoreCase);

    public string? Address => Options.GetValueOrDefault("address");

    public string? Get(string name) => Options.GetValueOrDefault(name);

    public int GetPort(string name, int fallback) =>
        Options.TryGetValue(name, out var v) && int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var port) && port > 0 ? port : fallback;

    /// <summary>The dashboard is served unless <c>--include-dashboard=false</c>.</summary>
    public bool IncludeDashboard => !(Options.TryGetValue("include-dashboard", out var v) && string.Equals(v, "false", StringComparison.OrdinalIgnoreCase));
}
