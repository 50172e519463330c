using System.Security.Cryptography;
using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.Resources;

/// <summary>core/v1 Service: defaults, ClusterIP and NodePort allocation, validation.</summary>
internal sealed class ServiceStrategy : ResourceStrategy
{
    private static readonly string[] Types = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];

    public override bool ReturnDeletedObject => true;

    public override NameValidation.NameRule NameRule => NameValidation.NameRule.Dns1035;

    public override void Default(JsonObject obj)
    {
        if (obj["spec"] is not JsonObject spec)
        {
            return;
        }
        JsonNodes.SetIfMissing(spec, "type", () => "ClusterIP");
        var type = JsonNodes.GetString(spec["type"]);
        JsonNodes.SetIfMissing(spec, "sessionAffinity", () => "None");
        if (JsonNodes.GetString(spec["sessionAffinity"]) == "ClientIP")
        {
            JsonNodes.SetIfMissing(spec, "sessionAffinityConfig", () => new JsonObject
            {
                ["clientIP"] = new JsonObject { ["timeoutSeconds"] = 10800L },
            });
        }
        if (spec["ports"] is JsonArray ports)
        {
            foreach (var p in ports.OfType<JsonObject>())
            {
                JsonNodes.SetIfMissing(p, "protocol", () => "TCP");
                JsonNodes.SetIfMissing(p, "targetPort", () => p["port"]?.DeepClone());
            }
        }
        if (type is "NodePort" or "LoadBalancer")
        {
            JsonNodes.SetIfMissing(spec, "externalTrafficPolicy", () => "Cluster");
        }
        if (type == "LoadBalancer")
        {
            JsonNodes.SetIfMissing(spec, "allocateLoadBalancerNodePorts", () => true);
        }
        if (type != "ExternalName")
        {
            JsonNodes.SetIfMissing(spec, "internalTrafficPolicy", () => "Cluster");
        }
    }

    public override void PrepareForCreate(StrategyContext ctx, JsonObject obj) =>
        obj["status"] = new JsonObject { ["loadBalancer"] = new JsonObject() };

    public override void PrepareForUpdate(StrategyContext ctx, JsonObject obj, JsonObject old)
    {
        base.PrepareForUpdate(ctx, obj, old);
        if (obj["spec"] is not JsonObject spec || old["spec"] is not JsonObject oldSpec)
        {
            return;
        }
        // Allocated values survive updates that omit them.
        foreach (var field in new[] { "clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy" })
        {
            if (!spec.ContainsKey(field) && oldSpec[field] is { } value &&
                JsonNodes.GetString(spec["type"]) != "ExternalName")
            {
                spec[field] = value.DeepClone();
            }
        }
        if (spec["ports"] is JsonArray ports && oldSpec["ports"] is JsonArray oldPorts)
        {
            foreach (var p in ports.OfType<JsonObject>().Where(p => !p.ContainsKey("nodePort")))
            {
                var match = oldPorts.OfType<JsonObject>().FirstOrDefault(o =>
                    JsonNodes.DeepEquals(o["port"], p["port"]) && JsonNodes.DeepEquals(o["protocol"], p["protocol"]));
                if (match?["nodePort"] is { } nodePort)
                {
                    p["nodePort"] = nodePort.DeepClone();
                }
            }
        }
    }

    public override void Admit(StrategyContext ctx, JsonObject obj, JsonObject? old)
    {
        if (obj["spec"] is not JsonObject spec)
        {
            return;
        }
        var type = JsonNodes.GetString(spec["type"]);
        if (type == "ExternalName")
        {
            return;
        }
        var clusterIP = JsonNodes.GetString(spec["clusterIP"]) ?? "";
        if (clusterIP.Length == 0)
        {
            clusterIP = AllocateClusterIP(ctx.Store);
            spec["clusterIP"] = clusterIP;
        }
        JsonNodes.SetIfMissing(spec, "clusterIPs", () => new JsonArray(JsonValue.Create(clusterIP)));
        var headlessWithoutSelector = clusterIP == "None" && spec["selector"] is not JsonObject { Count: > 0 };
        JsonNodes.SetIfMissing(spec, "ipFamilies", () => new JsonArray(JsonValue.Create("IPv4")));
        JsonNodes.SetIfMissing(spec, "ipFamilyPolicy", () => headlessWithoutSelector ? "RequireDualStack" : "SingleStack");
        if (type is "NodePort" or "LoadBalancer" && spec["ports"] is JsonArray ports)
        {
            var used = UsedNodePorts(ctx.Store);
            foreach (var p in ports.OfType<JsonObject>().Where(p => !p.ContainsKey("nodePort")))
            {
                int candidate;
                do
                {
                    candidate = RandomNumberGenerator.GetInt32(30000, 32768);
                }
                while (!used.Add(candidate));
                p["nodePort"] = (long)candidate;
            }
        }
        JsonNodes.OrderKeys(spec, ServiceSpecOrder);
    }

    private static readonly string[] ServiceSpecOrder =
    [
        "ports", "selector", "clusterIP", "clusterIPs", "type", "externalIPs", "sessionAffinity", "loadBalancerIP",
        "loadBalancerSourceRanges", "externalName", "externalTrafficPolicy", "healthCheckNodePort", "publishNotReadyAddresses",
        "sessionAffinityConfig", "ipFamilies", "ipFamilyPolicy", "allocateLoadBalancerNodePorts", "loadBalancerClass",
        "internalTrafficPolicy", "trafficDistribution",
    ];

    private static string AllocateClusterIP(ObjectStore store)
    {
        var used = new HashSet<string>(store.ScanStorage(Gvr.Services)
            .Select(s => JsonNodes.StringAt(s, "spec", "clusterIP") ?? ""), StringComparer.Ordinal);
        while (true)
        {
            var ip = $"10.96.{RandomNumberGenerator.GetInt32(0, 256)}.{RandomNumberGenerator.GetInt32(2, 255)}";
            if (used.Add(ip))
            {
                return ip;
            }
        }
    }

    private static HashSet<int> UsedNodePorts(ObjectStore store) =>
        store.ScanStorage(Gvr.Services)
            .SelectMany(s => (JsonNodes.At(s, "spec", "ports") as JsonArray)?.OfType<JsonObject>() ?? [])
            .Select(p => (int)(JsonNodes.GetInteger(p["nodePort"]) ?? 0))
            .Where(p => p > 0)
            .ToHashSet();

    public override List<FieldError> Validate(StrategyContext ctx, JsonObject obj)
    {
        var errs = base.Validate(ctx, obj);
        var spec = obj["spec"] as JsonObject ?? new JsonObject();
        var type = JsonNodes.GetString(spec["type"]) ?? "ClusterIP";
        if (!Types.Contains(type))
        {
            errs.Add(FieldError.NotSupported("spec.type", JsonValue.Create(type), Types));
        }
        var headless = JsonNodes.GetString(spec["clusterIP"]) == "None";
        var ports = spec["ports"] as JsonArray ?? [];
        if (ports.Count == 0 && type != "ExternalName" && !headless)
        {
            errs.Add(FieldError.Required("spec.ports"));
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < ports.Count; i++)
        {
            var path = $"spec.ports[{i}]";
            var name = JsonNodes.StringAt(ports[i], "name") ?? "";
            if (ports.Count > 1 && name.Length == 0)
            {
                errs.Add(FieldError.Required(path + ".name"));
            }
            else if (name.Length > 0 && !names.Add(name))
            {
                errs.Add(FieldError.Duplicate(path + ".name", JsonNodes.Quote(name)));
            }
            var port = JsonNodes.GetInteger(JsonNodes.At(ports[i], "port"));
            if (port is null or < 1 or > 65535)
            {
                errs.Add(FieldError.Invalid(path + ".port", JsonNodes.At(ports[i], "port")?.DeepClone() ?? JsonValue.Create(0L),
                    "must be between 1 and 65535, inclusive"));
            }
            var protocol = JsonNodes.StringAt(ports[i], "protocol");
            if (protocol is not null and not ("TCP" or "UDP" or "SCTP"))
            {
                errs.Add(FieldError.NotSupported(path + ".protocol", JsonValue.Create(protocol), ["SCTP", "TCP", "UDP"]));
            }
        }
        return errs;
    }

    public override List<FieldError> ValidateUpdate(StrategyContext ctx, JsonObject obj, JsonObject old)
    {
        var errs = base.ValidateUpdate(ctx, obj, old);
        var before = JsonNodes.StringAt(old, "spec", "clusterIP");
        var after = JsonNodes.StringAt(obj, "spec", "clusterIP");
        if (!string.IsNullOrEmpty(before) && before != after && JsonNodes.StringAt(obj, "spec", "type") != "ExternalName")
        {
            errs.Add(FieldError.Invalid("spec.clusterIPs[0]", JsonValue.Create(after ?? ""), "may not change once set"));
        }
        return errs;
    }
}
