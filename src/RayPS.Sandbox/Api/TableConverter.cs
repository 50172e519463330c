using System.Globalization;
using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Resources;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.Api;

/// <summary>
/// Server-side printing (meta.k8s.io/v1 Table) for <c>kubectl get</c>: the built-in printers' columns
/// for the common kinds, additionalPrinterColumns for custom resources, Name/Created At otherwise.
/// </summary>
internal static class TableConverter
{
    public const string MediaType = "application/json;as=Table;v=v1;g=meta.k8s.io";

    private sealed record Column(string Name, string Type, int Priority = 0, string Format = "", string Description = "");

    /// <summary>True when the Accept header asks for a Table.</summary>
    public static bool Wanted(string? accept) =>
        accept is not null && accept.Split(',').Any(p => p.Contains("as=Table", StringComparison.Ordinal) && p.Contains("g=meta.k8s.io", StringComparison.Ordinal));

    /// <summary>Builds a Table for <paramref name="objects"/>; <paramref name="includeObject"/> is None, Metadata (default) or Object.</summary>
    public static JsonObject Convert(ResourceType type, string version, IEnumerable<JsonObject> objects, string resourceVersion, string? includeObject, bool headers = true)
    {
        var columns = Columns(type, version);
        var rows = new JsonArray();
        foreach (var obj in objects)
        {
            var row = new JsonObject { ["cells"] = new JsonArray(Cells(type, version, obj, columns).ToArray()) };
            switch (includeObject)
            {
                case "None":
                    break;
                case "Object":
                    row["object"] = obj.DeepClone();
                    break;
                default:
                    row["object"] = new JsonObject
                    {
                        ["kind"] = "PartialObjectMetadata",
                        ["apiVersion"] = "meta.k8s.io/v1",
                        ["metadata"] = obj["metadata"]?.DeepClone(),
                    };
                    break;
            }
            rows.Add(row);
        }
        var table = new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = new JsonObject { ["resourceVersion"] = resourceVersion },
        };
        if (headers)
        {
            var defs = new JsonArray();
            foreach (var c in columns)
            {
                defs.Add(new JsonObject
                {
                    ["name"] = c.Name,
                    ["type"] = c.Type,
                    ["format"] = c.Format,
                    ["description"] = c.Description,
                    ["priority"] = c.Priority,
                });
            }
            table["columnDefinitions"] = defs;
        }
        table["rows"] = rows;
        return table;
    }

    private static readonly Column NameColumn = new("Name", "string", 0, "name",
        "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names");
    private static readonly Column AgeColumn = new("Age", "string", 0, "",
        "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata");

    private static List<Column> Columns(ResourceType type, string version)
    {
        if (type.IsCustom)
        {
            var cols = new List<Column> { NameColumn };
            if (type.PrinterColumns.TryGetValue(version, out var printer))
            {
                foreach (var p in printer.OfType<JsonObject>())
                {
                    cols.Add(new Column(JsonNodes.GetString(p["name"]) ?? "", JsonNodes.GetString(p["type"]) ?? "string",
                        (int)(JsonNodes.GetInteger(p["priority"]) ?? 0), JsonNodes.GetString(p["format"]) ?? "", JsonNodes.GetString(p["description"]) ?? ""));
                }
            }
            else
            {
                cols.Add(new Column("Age", "date", 0, "", AgeColumn.Description));
            }
            return cols;
        }
        return type.Resource switch
        {
            "pods" => [NameColumn, new("Ready", "string"), new("Status", "string"), new("Restarts", "string"), AgeColumn,
                new("IP", "string", 1), new("Node", "string", 1), new("Nominated Node", "string", 1), new("Readiness Gates", "string", 1)],
            "services" => [NameColumn, new("Type", "string"), new("Cluster-IP", "string"), new("External-IP", "string"), new("Port(s)", "string"), AgeColumn, new("Selector", "string", 1)],
            "deployments" => [NameColumn, new("Ready", "string"), new("Up-to-date", "string"), new("Available", "string"), AgeColumn,
                new("Containers", "string", 1), new("Images", "string", 1), new("Selector", "string", 1)],
            "replicasets" => [NameColumn, new("Desired", "integer"), new("Current", "integer"), new("Ready", "integer"), AgeColumn,
                new("Containers", "string", 1), new("Images", "string", 1), new("Selector", "string", 1)],
            "namespaces" => [NameColumn, new("Status", "string"), AgeColumn],
            "endpoints" => [NameColumn, new("Endpoints", "string"), AgeColumn],
            "configmaps" => [NameColumn, new("Data", "integer"), AgeColumn],
            "secrets" => [NameColumn, new("Type", "string"), new("Data", "integer"), AgeColumn],
            "serviceaccounts" => [NameColumn, new("Secrets", "integer"), AgeColumn],
            "nodes" => [NameColumn, new("Status", "string"), new("Roles", "string"), AgeColumn, new("Version", "string")],
            "events" => [new("Last Seen", "string"), new("Type", "string"), new("Reason", "string"), new("Object", "string"), new("Message", "string")],
            _ => [NameColumn, new("Created At", "date", 0, "", AgeColumn.Description)],
        };
    }

    private static IEnumerable<JsonNode?> Cells(ResourceType type, string version, JsonObject obj, List<Column> columns)
    {
        var name = ObjectMeta.Name(obj);
        var age = Age(JsonNodes.StringAt(obj, "metadata", "creationTimestamp"));
        if (type.IsCustom)
        {
            yield return name;
            if (!type.PrinterColumns.TryGetValue(version, out var printer))
            {
                yield return JsonNodes.StringAt(obj, "metadata", "creationTimestamp");
                yield break;
            }
            foreach (var p in printer.OfType<JsonObject>())
            {
                yield return CustomCell(JsonNodes.GetString(p["type"]) ?? "string", SimpleJsonPath(obj, JsonNodes.GetString(p["jsonPath"]) ?? ""));
            }
            yield break;
        }
        var spec = obj["spec"] as JsonObject ?? new JsonObject();
        var status = obj["status"] as JsonObject ?? new JsonObject();
        switch (type.Resource)
        {
            case "pods":
                var (ready, total, restarts, phase) = PodSummary(obj);
                yield return name;
                yield return $"{ready}/{total}";
                yield return phase;
                yield return restarts.ToString(CultureInfo.InvariantCulture);
                yield return age;
                yield return JsonNodes.GetString(status["podIP"]) is { Length: > 0 } ip ? ip : "<none>";
                yield return JsonNodes.GetString(spec["nodeName"]) is { Length: > 0 } node ? node : "<none>";
                yield return JsonNodes.GetString(status["nominatedNodeName"]) is { Length: > 0 } nominated ? nominated : "<none>";
                yield return "<none>";
                break;
            case "services":
                var svcType = JsonNodes.GetString(spec["type"]) ?? "ClusterIP";
                yield return name;
                yield return svcType;
                yield return JsonNodes.GetString(spec["clusterIP"]) is { Length: > 0 } cip ? cip : "<none>";
                yield return svcType == "ExternalName" ? JsonNodes.GetString(spec["externalName"]) ?? "<none>" : "<none>";
                yield return Ports(spec["ports"] as JsonArray);
                yield return age;
                yield return spec["selector"] is JsonObject { Count: > 0 } sel ? string.Join(",", sel.Select(p => p.Key + "=" + JsonNodes.GetString(p.Value))) : "<none>";
                break;
            case "deployments":
                yield return name;
                yield return $"{Int(status, "readyReplicas")}/{Int(spec, "replicas")}";
                yield return Int(status, "updatedReplicas").ToString(CultureInfo.InvariantCulture);
                yield return Int(status, "availableReplicas").ToString(CultureInfo.InvariantCulture);
                yield return age;
                foreach (var cell in TemplateCells(spec))
                {
                    yield return cell;
                }
                break;
            case "replicasets":
                yield return name;
                yield return Int(spec, "replicas");
                yield return Int(status, "replicas");
                yield return Int(status, "readyReplicas");
                yield return age;
                foreach (var cell in TemplateCells(spec))
                {
                    yield return cell;
                }
                break;
            case "namespaces":
                yield return name;
                yield return JsonNodes.GetString(status["phase"]) ?? "Active";
                yield return age;
                break;
            case "endpoints":
                yield return name;
                yield return EndpointsText(obj["subsets"] as JsonArray);
                yield return age;
                break;
            case "configmaps":
                yield return name;
                yield return (long)((obj["data"] as JsonObject)?.Count ?? 0) + ((obj["binaryData"] as JsonObject)?.Count ?? 0);
                yield return age;
                break;
            case "secrets":
                yield return name;
                yield return JsonNodes.GetString(obj["type"]) ?? "Opaque";
                yield return (long)((obj["data"] as JsonObject)?.Count ?? 0);
                yield return age;
                break;
            case "serviceaccounts":
                yield return name;
                yield return (long)((obj["secrets"] as JsonArray)?.Count ?? 0);
                yield return age;
                break;
            case "nodes":
                var readyCondition = (status["conditions"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => JsonNodes.GetString(c["type"]) == "Ready");
                yield return name;
                yield return JsonNodes.GetString(readyCondition?["status"]) == "True" ? "Ready" : "NotReady";
                yield return "<none>";
                yield return age;
                yield return JsonNodes.StringAt(status, "nodeInfo", "kubeletVersion") ?? "";
                break;
            case "events":
                var last = JsonNodes.GetString(obj["lastTimestamp"]) ?? JsonNodes.GetString(obj["eventTime"]) ?? JsonNodes.StringAt(obj, "metadata", "creationTimestamp");
                yield return Age(last);
                yield return JsonNodes.GetString(obj["type"]) ?? "";
                yield return JsonNodes.GetString(obj["reason"]) ?? "";
                yield return (JsonNodes.StringAt(obj, "involvedObject", "kind") ?? "").ToLowerInvariant() + "/" + JsonNodes.StringAt(obj, "involvedObject", "name");
                yield return JsonNodes.GetString(obj["message"]) ?? "";
                break;
            default:
                yield return name;
                yield return JsonNodes.StringAt(obj, "metadata", "creationTimestamp");
                break;
        }
    }

    // The apiextensions table convertor: dates become ages, strings are printed, other types keep their JSON value.
    private static JsonNode? CustomCell(string type, JsonNode? value) => value switch
    {
        null => null,
        _ when type == "date" => JsonNodes.GetString(value) is { } text ? Age(text) : "<invalid>",
        _ when type == "string" => JsonNodes.GetString(value) ?? JsonText.Serialize(value),
        _ => value.DeepClone(),
    };

    private static long Int(JsonObject obj, string key) => JsonNodes.GetInteger(obj[key]) ?? 0;

    private static IEnumerable<JsonNode?> TemplateCells(JsonObject spec)
    {
        var containers = (JsonNodes.At(spec, "template", "spec", "containers") as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        yield return string.Join(",", containers.Select(c => JsonNodes.GetString(c["name"])));
        yield return string.Join(",", containers.Select(c => JsonNodes.GetString(c["image"])));
        yield return SelectorText(spec["selector"] as JsonObject);
    }

    private static string SelectorText(JsonObject? selector)
    {
        try
        {
            return LabelSelector.FromObject(selector).ToString();
        }
        catch (FormatException)
        {
            return "<invalid>";
        }
    }

    private static (int Ready, int Total, long Restarts, string Phase) PodSummary(JsonObject pod)
    {
        var containers = (JsonNodes.At(pod, "spec", "containers") as JsonArray)?.Count ?? 0;
        var statuses = (JsonNodes.At(pod, "status", "containerStatuses") as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        var reason = JsonNodes.StringAt(pod, "status", "reason") ?? JsonNodes.StringAt(pod, "status", "phase") ?? "Pending";
        var ready = 0;
        long restarts = 0;
        foreach (var s in statuses)
        {
            restarts += JsonNodes.GetInteger(s["restartCount"]) ?? 0;
            if (JsonNodes.StringAt(s, "state", "waiting", "reason") is { Length: > 0 } waiting)
            {
                reason = waiting;
            }
            else if (JsonNodes.StringAt(s, "state", "terminated", "reason") is { Length: > 0 } terminated)
            {
                reason = terminated;
            }
            else if (JsonNodes.GetBool(s["ready"]) == true && JsonNodes.At(s, "state", "running") is not null)
            {
                ready++;
            }
        }
        if (ObjectMeta.DeletionTimestamp(pod) is not null)
        {
            reason = "Terminating";
        }
        return (ready, containers, restarts, reason);
    }

    private static string Ports(JsonArray? ports)
    {
        if (ports is not { Count: > 0 })
        {
            return "<none>";
        }
        return string.Join(",", ports.OfType<JsonObject>().Select(p =>
        {
            var port = JsonNodes.GetInteger(p["port"]) ?? 0;
            var protocol = JsonNodes.GetString(p["protocol"]) ?? "TCP";
            return JsonNodes.GetInteger(p["nodePort"]) is { } nodePort ? $"{port}:{nodePort}/{protocol}" : $"{port}/{protocol}";
        }));
    }

    private static string EndpointsText(JsonArray? subsets)
    {
        var list = new List<string>();
        foreach (var subset in subsets?.OfType<JsonObject>() ?? [])
        {
            var ports = (subset["ports"] as JsonArray)?.OfType<JsonObject>().Select(p => JsonNodes.GetInteger(p["port"]) ?? 0).ToList() ?? [];
            foreach (var address in (subset["addresses"] as JsonArray)?.OfType<JsonObject>() ?? [])
            {
                var ip = JsonNodes.GetString(address["ip"]);
                list.AddRange(ports.Count == 0 ? [ip ?? ""] : ports.Select(p => $"{ip}:{p}"));
            }
        }
        return list.Count == 0 ? "<none>" : string.Join(",", list.Take(3)) + (list.Count > 3 ? $" + {list.Count - 3} more..." : "");
    }

    /// <summary>Evaluates printer-column paths like <c>.status.head.podIP</c> or <c>.spec.list[0].name</c>.</summary>
    public static JsonNode? SimpleJsonPath(JsonNode? node, string path)
    {
        var text = path.Trim().TrimStart('{').TrimEnd('}').TrimStart('$');
        foreach (var raw in text.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            var part = raw;
            var bracket = part.IndexOf('[');
            var name = bracket < 0 ? part : part[..bracket];
            if (name.Length > 0)
            {
                node = (node as JsonObject)?[name];
            }
            while (bracket >= 0 && node is not null)
            {
                var close = part.IndexOf(']', bracket);
                var index = int.TryParse(part[(bracket + 1)..close], out var i) ? i : -1;
                node = node is JsonArray arr && index >= 0 && index < arr.Count ? arr[index] : null;
                bracket = part.IndexOf('[', close);
            }
        }
        return node;
    }

    /// <summary>kubectl's HumanDuration since a timestamp.</summary>
    public static string Age(string? timestamp)
    {
        if (timestamp is null || !DateTimeOffset.TryParse(timestamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
        {
            return "<unknown>";
        }
        var d = DateTimeOffset.UtcNow - t;
        var seconds = (long)d.TotalSeconds;
        if (seconds < -1) return "<invalid>";
        if (seconds < 0) return "0s";
        if (seconds < 120) return $"{seconds}s";
        var minutes = seconds / 60;
        if (minutes < 10) return seconds % 60 == 0 ? $"{minutes}m" : $"{minutes}m{seconds % 60}s";
        if (minutes < 180) return $"{minutes}m";
        var hours = minutes / 60;
        if (hours < 8) return minutes % 60 == 0 ? $"{hours}h" : $"{hours}h{minutes % 60}m";
        if (hours < 48) return $"{hours}h";
        if (hours < 24 * 8) return hours % 24 == 0 ? $"{hours / 24}d" : $"{hours / 24}d{hours % 24}h";
        if (hours < 24 * 365 * 2) return $"{hours / 24}d";
        if (hours < 24 * 365 * 8) return (hours / 24) % 365 == 0 ? $"{hours / 24 / 365}y" : $"{hours / 24 / 365}y{(hours / 24) % 365}d";
        return $"{hours / 24 / 365}y";
    }
}
