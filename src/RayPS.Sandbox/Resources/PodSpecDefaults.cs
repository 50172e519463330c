using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;

namespace RayPS.Sandbox.Resources;

/// <summary>The core/v1 SetDefaults_* functions for PodSpec and its parts (shared by pods and templates).</summary>
internal static class PodSpecDefaults
{
    public static void ApplyToTemplate(JsonObject? template)
    {
        if (template?["spec"] is JsonObject spec)
        {
            Apply(spec);
        }
    }

    public static void Apply(JsonObject spec)
    {
        JsonNodes.SetIfMissing(spec, "restartPolicy", () => "Always");
        JsonNodes.SetIfMissing(spec, "terminationGracePeriodSeconds", () => 30L);
        JsonNodes.SetIfMissing(spec, "dnsPolicy", () => "ClusterFirst");
        JsonNodes.SetIfMissing(spec, "securityContext", () => new JsonObject());
        JsonNodes.SetIfMissing(spec, "schedulerName", () => "default-scheduler");
        if (JsonNodes.GetBool(spec["hostNetwork"]) == true && spec["containers"] is JsonArray hostContainers)
        {
            foreach (var port in hostContainers.OfType<JsonObject>().SelectMany(c => (c["ports"] as JsonArray)?.OfType<JsonObject>() ?? []))
            {
                JsonNodes.SetIfMissing(port, "hostPort", () => port["containerPort"]?.DeepClone());
            }
        }
        foreach (var list in new[] { "initContainers", "containers", "ephemeralContainers" })
        {
            if (spec[list] is JsonArray containers)
            {
                foreach (var c in containers.OfType<JsonObject>())
                {
                    ApplyContainer(c);
                }
            }
        }
        if (spec["volumes"] is JsonArray volumes)
        {
            foreach (var v in volumes.OfType<JsonObject>())
            {
                ApplyVolume(v);
            }
        }
    }

    private static void ApplyContainer(JsonObject c)
    {
        if (c["ports"] is JsonArray ports)
        {
            foreach (var p in ports.OfType<JsonObject>())
            {
                JsonNodes.SetIfMissing(p, "protocol", () => "TCP");
            }
        }
        if (c["env"] is JsonArray env)
        {
            foreach (var e in env.OfType<JsonObject>())
            {
                if (JsonNodes.ObjectAt(e, "valueFrom", "fieldRef") is { } fieldRef)
                {
                    JsonNodes.SetIfMissing(fieldRef, "apiVersion", () => "v1");
                }
            }
        }
        if (c["resources"] is JsonObject resources)
        {
            CanonicalizeResourceList(resources["limits"] as JsonObject);
            CanonicalizeResourceList(resources["requests"] as JsonObject);
        }
        foreach (var probe in new[] { "livenessProbe", "readinessProbe", "startupProbe" })
        {
            if (c[probe] is JsonObject p)
            {
                ApplyProbe(p);
            }
        }
        if (c["lifecycle"] is JsonObject lifecycle)
        {
            foreach (var hook in new[] { "postStart", "preStop" })
            {
                if (JsonNodes.ObjectAt(lifecycle, hook, "httpGet") is { } httpGet)
                {
                    JsonNodes.SetIfMissing(httpGet, "scheme", () => "HTTP");
                }
            }
        }
        JsonNodes.SetIfMissing(c, "terminationMessagePath", () => "/dev/termination-log");
        JsonNodes.SetIfMissing(c, "terminationMessagePolicy", () => "File");
        JsonNodes.SetIfMissing(c, "imagePullPolicy", () => DefaultPullPolicy(JsonNodes.GetString(c["image"]) ?? ""));
    }

    private static void ApplyProbe(JsonObject p)
    {
        JsonNodes.SetIfMissing(p, "timeoutSeconds", () => 1L);
        JsonNodes.SetIfMissing(p, "periodSeconds", () => 10L);
        JsonNodes.SetIfMissing(p, "successThreshold", () => 1L);
        JsonNodes.SetIfMissing(p, "failureThreshold", () => 3L);
        if (p["httpGet"] is JsonObject httpGet)
        {
            JsonNodes.SetIfMissing(httpGet, "path", () => "/");
            JsonNodes.SetIfMissing(httpGet, "scheme", () => "HTTP");
        }
        if (p["grpc"] is JsonObject grpc)
        {
            JsonNodes.SetIfMissing(grpc, "service", () => "");
        }
    }

    private static void ApplyVolume(JsonObject v)
    {
        foreach (var kind in new[] { "configMap", "secret", "downwardAPI", "projected" })
        {
            if (v[kind] is JsonObject source)
            {
                JsonNodes.SetIfMissing(source, "defaultMode", () => 420L);
            }
        }
        if (v["hostPath"] is JsonObject hostPath)
        {
            JsonNodes.SetIfMissing(hostPath, "type", () => "");
        }
        if (v.Count == 1 && v.ContainsKey("name"))
        {
            v["emptyDir"] = new JsonObject();
        }
    }

    /// <summary>Always for ":latest" or untagged images, otherwise IfNotPresent.</summary>
    public static string DefaultPullPolicy(string image)
    {
        if (image.Contains('@', StringComparison.Ordinal))
        {
            return "IfNotPresent";
        }
        var lastSlash = image.LastIndexOf('/');
        var colon = image.IndexOf(':', lastSlash + 1);
        if (colon < 0)
        {
            return "Always";
        }
        return image[(colon + 1)..] == "latest" ? "Always" : "IfNotPresent";
    }

    public static void CanonicalizeResourceList(JsonObject? list)
    {
        if (list is null)
        {
            return;
        }
        foreach (var (key, value) in list.ToList())
        {
            if (Quantity.Canonicalize(value) is { } canonical)
            {
                list[key] = canonical;
            }
        }
    }
}
