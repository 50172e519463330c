using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.Resources;

/// <summary>core/v1 Pod: defaults, the ServiceAccount/DefaultTolerationSeconds/Priority admission plugins, status on create, QoS.</summary>
internal sealed class PodStrategy : ResourceStrategy
{
    public const string ServiceAccountMountPath = "/var/run/secrets/kubernetes.io/serviceaccount";

    public override bool TracksGeneration => true;

    public override bool ReturnDeletedObject => true;

    public override void Default(JsonObject obj)
    {
        if (obj["spec"] is not JsonObject spec)
        {
            return;
        }
        PodSpecDefaults.Apply(spec);
        JsonNodes.SetIfMissing(spec, "enableServiceLinks", () => true);
        // SetDefaults_Pod: requests default to limits when only limits are given.
        foreach (var c in Containers(spec))
        {
            if (JsonNodes.ObjectAt(c, "resources", "limits") is not { Count: > 0 } limits)
            {
                continue;
            }
            var requests = JsonNodes.EnsureObject(JsonNodes.EnsureObject(c, "resources"), "requests");
            foreach (var (name, value) in limits)
            {
                JsonNodes.SetIfMissing(requests, name, () => value?.DeepClone());
            }
        }
    }

    public override void Admit(StrategyContext ctx, JsonObject obj, JsonObject? old)
    {
        if (old is not null || obj["spec"] is not JsonObject spec)
        {
            return;
        }
        var sa = JsonNodes.GetString(spec["serviceAccountName"]);
        if (string.IsNullOrEmpty(sa))
        {
            sa = JsonNodes.GetString(spec["serviceAccount"]);
        }
        if (string.IsNullOrEmpty(sa))
        {
            sa = "default";
        }
        spec["serviceAccountName"] = sa;
        spec["serviceAccount"] = sa;
        // The ServiceAccount admission plugin refuses a pod whose account does not exist. For "default" the real
        // plugin retries for a while, since the namespace's controller is about to create it: accepted here.
        var ns = ObjectMeta.Namespace(obj);
        if (sa != "default" && ns is not null && ctx.Store.TryGet(Gvr.ServiceAccounts, ns, sa) is null)
        {
            var meta = obj["metadata"] as JsonObject;
            var name = !ctx.NameGenerated && JsonNodes.GetString(meta?["name"]) is { Length: > 0 } n ? n : JsonNodes.GetString(meta?["generateName"]) ?? "Unknown";
            throw ApiErrors.Forbidden("pods", "", name, $"error looking up service account {ns}/{sa}: serviceaccount {JsonNodes.Quote(sa)} not found");
        }
        if (JsonNodes.GetBool(spec["automountServiceAccountToken"]) != false)
        {
            MountServiceAccountToken(spec);
        }
        var tolerations = JsonNodes.EnsureArray(spec, "tolerations");
        foreach (var key in new[] { "node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable" })
        {
            if (!tolerations.OfType<JsonObject>().Any(t => JsonNodes.GetString(t["key"]) == key && JsonNodes.GetString(t["effect"]) is null or "NoExecute"))
            {
                tolerations.Add(new JsonObject
                {
                    ["key"] = key,
                    ["operator"] = "Exists",
                    ["effect"] = "NoExecute",
                    ["tolerationSeconds"] = 300L,
                });
            }
        }
        if (string.IsNullOrEmpty(JsonNodes.GetString(spec["priorityClassName"])))
        {
            JsonNodes.SetIfMissing(spec, "priority", () => 0L);
        }
        JsonNodes.SetIfMissing(spec, "preemptionPolicy", () => "PreemptLowerPriority");
    }

    private static void MountServiceAccountToken(JsonObject spec)
    {
        var containers = Containers(spec).ToList();
        if (containers.Any(c => (c["volumeMounts"] as JsonArray)?.OfType<JsonObject>()
                .Any(m => JsonNodes.GetString(m["mountPath"]) == ServiceAccountMountPath) == true))
        {
            return;
        }
        var volumeName = "kube-api-access-" + RandomNames.Suffix();
        JsonNodes.EnsureArray(spec, "volumes").Add(new JsonObject
        {
            ["name"] = volumeName,
            ["projected"] = new JsonObject
            {
                ["sources"] = new JsonArray(
                    new JsonObject { ["serviceAccountToken"] = new JsonObject { ["expirationSeconds"] = 3607L, ["path"] = "token" } },
                    new JsonObject
                    {
                        ["configMap"] = new JsonObject
                        {
                            ["name"] = "kube-root-ca.crt",
                            ["items"] = new JsonArray(new JsonObject { ["key"] = "ca.crt", ["path"] = "ca.crt" }),
                        },
                    },
                    new JsonObject
                    {
                        ["downwardAPI"] = new JsonObject
                        {
                            ["items"] = new JsonArray(new JsonObject
                            {
                                ["path"] = "namespace",
                                ["fieldRef"] = new JsonObject { ["apiVersion"] = "v1", ["fieldPath"] = "metadata.namespace" },
                            }),
                        },
                    }),
                ["defaultMode"] = 420L,
            },
        });
        foreach (var c in containers)
        {
            JsonNodes.EnsureArray(c, "volumeMounts").Add(new JsonObject
            {
                ["name"] = volumeName,
                ["readOnly"] = true,
                ["mountPath"] = ServiceAccountMountPath,
            });
        }
    }

    public override void PrepareForCreate(StrategyContext ctx, JsonObject obj)
    {
        var status = new JsonObject { ["phase"] = "Pending" };
        if (obj["spec"] is JsonObject spec)
        {
            status["qosClass"] = QosClass(spec);
        }
        obj["status"] = status;
    }

    public override List<FieldError> Validate(StrategyContext ctx, JsonObject obj)
    {
        var errs = base.Validate(ctx, obj);
        if (obj["spec"] is not JsonObject spec)
        {
            errs.Add(FieldError.Required("spec.containers"));
            return errs;
        }
        ValidatePodSpec(spec, "spec", errs);
        return errs;
    }

    public override List<FieldError> ValidateUpdate(StrategyContext ctx, JsonObject obj, JsonObject old)
    {
        var errs = base.ValidateUpdate(ctx, obj, old);
        if (!JsonNodes.DeepEquals(MutableStripped(obj), MutableStripped(old)))
        {
            errs.Add(FieldError.Forbidden("spec",
                "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"));
        }
        return errs;
    }

    // The pod spec with the fields a pod update may change removed.
    private static JsonNode? MutableStripped(JsonObject pod)
    {
        if (pod["spec"]?.DeepClone() is not JsonObject spec)
        {
            return null;
        }
        foreach (var field in new[] { "activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds" })
        {
            spec.Remove(field);
        }
        foreach (var c in Containers(spec))
        {
            c.Remove("image");
        }
        return spec;
    }

    /// <summary>Container-level validation shared with pod templates.</summary>
    public static void ValidatePodSpec(JsonObject spec, string path, List<FieldError> errs)
    {
        if (spec["containers"] is not JsonArray { Count: > 0 } containers)
        {
            errs.Add(FieldError.Required(path + ".containers"));
            return;
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < containers.Count; i++)
        {
            var cpath = $"{path}.containers[{i}]";
            if (containers[i] is not JsonObject c)
            {
                continue;
            }
            var name = JsonNodes.GetString(c["name"]) ?? "";
            if (name.Length == 0)
            {
                errs.Add(FieldError.Required(cpath + ".name"));
            }
            else
            {
                foreach (var msg in NameValidation.Dns1123Label(name))
                {
                    errs.Add(FieldError.Invalid(cpath + ".name", JsonValue.Create(name), msg));
                }
                if (!names.Add(name))
                {
                    errs.Add(FieldError.Duplicate(cpath + ".name", JsonNodes.Quote(name)));
                }
            }
            if (string.IsNullOrEmpty(JsonNodes.GetString(c["image"])))
            {
                errs.Add(FieldError.Required(cpath + ".image"));
            }
            if (c["ports"] is JsonArray ports)
            {
                for (var p = 0; p < ports.Count; p++)
                {
                    var port = JsonNodes.GetInteger(JsonNodes.At(ports[p], "containerPort"));
                    if (port is null or < 1 or > 65535)
                    {
                        errs.Add(FieldError.Invalid($"{cpath}.ports[{p}].containerPort", JsonNodes.At(ports[p], "containerPort")?.DeepClone() ?? JsonValue.Create(0L),
                            "must be between 1 and 65535, inclusive"));
                    }
                }
            }
        }
        var restart = JsonNodes.GetString(spec["restartPolicy"]);
        if (restart is not null and not ("Always" or "OnFailure" or "Never"))
        {
            errs.Add(FieldError.NotSupported(path + ".restartPolicy", JsonValue.Create(restart), ["Always", "Never", "OnFailure"]));
        }
    }

    public override IReadOnlyDictionary<string, string> FieldLabels(JsonObject obj)
    {
        var fields = MetaFields(obj);
        fields["spec.nodeName"] = JsonNodes.StringAt(obj, "spec", "nodeName") ?? "";
        fields["spec.restartPolicy"] = JsonNodes.StringAt(obj, "spec", "restartPolicy") ?? "";
        fields["spec.schedulerName"] = JsonNodes.StringAt(obj, "spec", "schedulerName") ?? "";
        fields["spec.serviceAccountName"] = JsonNodes.StringAt(obj, "spec", "serviceAccountName") ?? "";
        fields["spec.hostNetwork"] = JsonNodes.GetBool(JsonNodes.At(obj, "spec", "hostNetwork")) == true ? "true" : "false";
        fields["status.phase"] = JsonNodes.StringAt(obj, "status", "phase") ?? "";
        fields["status.podIP"] = JsonNodes.StringAt(obj, "status", "podIP") ?? "";
        fields["status.nominatedNodeName"] = JsonNodes.StringAt(obj, "status", "nominatedNodeName") ?? "";
        return fields;
    }

    public override bool SupportsFieldLabel(ResourceType type, string label) =>
        base.SupportsFieldLabel(type, label) || label is "spec.nodeName" or "spec.restartPolicy" or "spec.schedulerName"
            or "spec.serviceAccountName" or "spec.hostNetwork" or "status.phase" or "status.podIP" or "status.podIPs" or "status.nominatedNodeName";

    /// <summary>Unscheduled or finished pods are deleted at once; others wait for the kubelet.</summary>
    public static bool DeletesImmediately(JsonObject pod, long? gracePeriodSeconds)
    {
        if (gracePeriodSeconds == 0)
        {
            return true;
        }
        var phase = JsonNodes.StringAt(pod, "status", "phase");
        return string.IsNullOrEmpty(JsonNodes.StringAt(pod, "spec", "nodeName")) || phase is "Succeeded" or "Failed";
    }

    public static IEnumerable<JsonObject> Containers(JsonObject spec) =>
        new[] { "initContainers", "containers" }.SelectMany(list => (spec[list] as JsonArray)?.OfType<JsonObject>() ?? []);

    /// <summary>Guaranteed, Burstable or BestEffort from cpu/memory requests and limits.</summary>
    public static string QosClass(JsonObject spec)
    {
        var any = false;
        var guaranteed = true;
        foreach (var c in Containers(spec))
        {
            var requests = JsonNodes.ObjectAt(c, "resources", "requests");
            var limits = JsonNodes.ObjectAt(c, "resources", "limits");
            foreach (var resource in new[] { "cpu", "memory" })
            {
                var req = requests?[resource];
                var lim = limits?[resource];
                if (req is not null || lim is not null)
                {
                    any = true;
                }
                if (lim is null || !SameQuantity(req ?? lim, lim))
                {
                    guaranteed = false;
                }
            }
        }
        return !any ? "BestEffort" : guaranteed ? "Guaranteed" : "Burstable";
    }

    private static bool SameQuantity(JsonNode? a, JsonNode? b)
    {
        var ta = JsonNodes.GetString(a) ?? JsonNodes.FormatScalar(a);
        var tb = JsonNodes.GetString(b) ?? JsonNodes.FormatScalar(b);
        return Quantity.TryParse(ta, out var va, out _) && Quantity.TryParse(tb, out var vb, out _) && va == vb;
    }
}
