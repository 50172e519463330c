using System.Globalization;
using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Store;
using static RayPS.Sandbox.Cluster.KubeRayConstants;

namespace RayPS.Sandbox.Cluster;

/// <summary>
/// The objects the KubeRay 1.4.2 operator creates for a RayCluster (common/pod.go, common/service.go):
/// head and worker pods (with <c>generateName</c>; the apiserver appends the suffix), the head service,
/// and the headless worker service for multi-host groups.
/// </summary>
internal static class KubeRayBuilder
{
    /// <summary>The labels KubeRay puts on every Ray pod of a group (labelPod).</summary>
    public static Dictionary<string, string> PodLabels(string cluster, RayNodeType type, string groupName) => new(StringComparer.Ordinal)
    {
        [IsRayNodeLabel] = "yes",
        [RayClusterLabel] = cluster,
        [NodeTypeLabel] = TypeName(type),
        [GroupLabel] = groupName,
        [IdentifierLabel] = KubeNames.CheckLabel(cluster + "-" + TypeName(type)),
        [AppNameLabel] = AppName,
        [CreatedByLabel] = ComponentName,
    };

    public static string TypeName(RayNodeType type) => type == RayNodeType.Head ? "head" : "worker";

    public static string HeadPodPrefix(string cluster) => KubeNames.CheckName((cluster + "-head-").ToLowerInvariant());

    public static string WorkerPodPrefix(string cluster, string group) => KubeNames.CheckName((cluster + "-" + group + "-worker-").ToLowerInvariant());

    public static JsonObject BuildHeadPod(RayClusterSpec cluster)
    {
        var template = cluster.HeadTemplate?.DeepClone() as JsonObject ?? new JsonObject();
        var pod = StartPod(cluster, template, RayNodeType.Head, HeadGroupName, HeadPodPrefix(cluster.Name));
        var spec = (JsonObject)pod["spec"]!;
        var containers = JsonNodes.EnsureArray(spec, "containers");
        if (containers.Count == 0 || containers[RayContainerIndex] is not JsonObject ray)
        {
            return pod;
        }
        EnsureContainerPort(ray, MetricsPortName, DefaultMetricsPort);
        AddSharedMemoryVolume(spec, ray);
        if (cluster.Autoscaling)
        {
            AddAutoscalerSidecar(cluster, spec, ray);
        }
        ConfigureRayContainer(cluster, pod, ray, RayNodeType.Head, cluster.HeadStartParams);
        return pod;
    }

    public static JsonObject BuildWorkerPod(RayClusterSpec cluster, WorkerGroup group)
    {
        var template = group.Template?.DeepClone() as JsonObject ?? new JsonObject();
        var pod = StartPod(cluster, template, RayNodeType.Worker, group.GroupName, WorkerPodPrefix(cluster.Name, group.GroupName));
        var spec = (JsonObject)pod["spec"]!;
        var containers = JsonNodes.EnsureArray(spec, "containers");
        if (containers.Count == 0 || containers[RayContainerIndex] is not JsonObject ray)
        {
            return pod;
        }
        EnsureContainerPort(ray, MetricsPortName, DefaultMetricsPort);
        AddWaitGcsReadyInitContainer(cluster, spec, ray);
        AddSharedMemoryVolume(spec, ray);
        ConfigureRayContainer(cluster, pod, ray, RayNodeType.Worker, group.StartParams);
        return pod;
    }

    private static JsonObject StartPod(RayClusterSpec cluster, JsonObject template, RayNodeType type, string group, string generateName)
    {
        var templateMeta = template["metadata"] as JsonObject ?? new JsonObject();
        var labels = new JsonObject();
        foreach (var (k, v) in ObjectMeta.ToStringMap(templateMeta["labels"] as JsonObject))
        {
            labels[k] = v;
        }
        foreach (var (k, v) in PodLabels(cluster.Name, type, group))
        {
            labels[k] = v;
        }
        var annotations = new JsonObject();
        foreach (var (k, v) in ObjectMeta.ToStringMap(templateMeta["annotations"] as JsonObject))
        {
            annotations[k] = v;
        }
        if (type == RayNodeType.Head)
        {
            annotations[FtEnabledAnnotation] = cluster.FaultToleranceEnabled ? "true" : "false";
        }
        var meta = new JsonObject
        {
            ["generateName"] = generateName,
            ["namespace"] = cluster.Namespace,
            ["labels"] = labels,
        };
        if (annotations.Count > 0)
        {
            meta["annotations"] = annotations;
        }
        meta["ownerReferences"] = new JsonArray(cluster.OwnerReference());
        var spec = template["spec"] as JsonObject ?? new JsonObject();
        template.Remove("spec");
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = meta,
            ["spec"] = spec,
        };
    }

    private static void ConfigureRayContainer(RayClusterSpec cluster, JsonObject pod, JsonObject ray, RayNodeType type, Dictionary<string, string> userParams)
    {
        var completeParams = RayStartCommand.CompleteParams(type, userParams, ray["resources"] as JsonObject, cluster.FqdnHeadService, cluster.HeadPort,
            cluster.Autoscaling);
        var rayStartCmd = RayStartCommand.Build(type, completeParams);
        var annotations = ObjectMeta.ToStringMap(JsonNodes.ObjectAt(pod, "metadata", "annotations"));
        var overwrite = cluster.Annotations.TryGetValue(OverwriteContainerCmdAnnotation, out var ov) && string.Equals(ov, "true", StringComparison.OrdinalIgnoreCase)
            || annotations.TryGetValue(OverwriteContainerCmdAnnotation, out var pov) && string.Equals(pov, "true", StringComparison.OrdinalIgnoreCase);
        if (!overwrite)
        {
            var userCmd = new List<string>();
            foreach (var key in new[] { "command", "args" })
            {
                if (ray[key] is JsonArray arr)
                {
                    userCmd.AddRange(arr.Select(n => JsonNodes.GetString(n) ?? ""));
                }
            }
            var prefix = userCmd.Count > 0 ? string.Join(' ', userCmd) + " && " : "";
            ray["command"] = new JsonArray("/bin/bash", "-c", "--");
            ray["args"] = new JsonArray(prefix + "ulimit -n 65536; " + rayStartCmd);
        }
        SetEnv(cluster, ray, type, rayStartCmd);
        InjectProbes(ray, type, completeParams);
    }

    private static void SetEnv(RayClusterSpec cluster, JsonObject ray, RayNodeType type, string rayStartCmd)
    {
        var env = JsonNodes.EnsureArray(ray, "env");
        void Add(string name, string value)
        {
            if (!Exists(env, name))
            {
                env.Add(new JsonObject { ["name"] = name, ["value"] = value });
            }
        }
        void AddField(string name, string fieldPath)
        {
            if (!Exists(env, name))
            {
                env.Add(new JsonObject
                {
                    ["name"] = name,
                    ["valueFrom"] = new JsonObject { ["fieldRef"] = new JsonObject { ["apiVersion"] = "v1", ["fieldPath"] = fieldPath } },
                });
            }
        }
        if (type == RayNodeType.Worker)
        {
            // The worker's own FQ_RAY_IP/RAY_IP come first (the wait-gcs-ready container's copy is made before).
            Add("FQ_RAY_IP", cluster.FqdnHeadService);
            Add("RAY_IP", cluster.HeadServiceName);
        }
        AddField("RAY_CLUSTER_NAME", $"metadata.labels['{RayClusterLabel}']");
        AddField("RAY_CLOUD_INSTANCE_ID", "metadata.name");
        AddField("RAY_NODE_TYPE_NAME", $"metadata.labels['{GroupLabel}']");
        Add("KUBERAY_GEN_RAY_START_CMD", rayStartCmd);
        Add("RAY_PORT", cluster.HeadPort);
        Add("RAY_ADDRESS", (type == RayNodeType.Head ? "127.0.0.1" : cluster.FqdnHeadService) + ":" + cluster.HeadPort);
        Add("RAY_USAGE_STATS_KUBERAY_IN_USE", "1");
        if (type == RayNodeType.Head)
        {
            Add("RAY_USAGE_STATS_EXTRA_TAGS", $"kuberay_version={OperatorVersion};kuberay_crd=RayCluster");
        }
        // RAY_timeout_ms_task_wait_for_death_info, RAY_gcs_server_request_timeout_seconds and RAY_SERVE_KV_TIMEOUT_S
        // are set for RayService clusters only.
        Add("RAY_DASHBOARD_ENABLE_K8S_DISK_USAGE", "1");
    }

    private static bool Exists(JsonArray env, string name) => env.OfType<JsonObject>().Any(e => JsonNodes.GetString(e["name"]) == name);

    /// <summary>The exec probe KubeRay injects when the Ray container has none (ENABLE_PROBES_INJECTION).</summary>
    public static string HealthCommand(RayNodeType type, int agentPort, int dashboardPort)
    {
        var raylet = WgetCommand(agentPort, RayletHealthPath, DefaultProbeTimeoutSeconds);
        return type == RayNodeType.Head ? raylet + " && " + WgetCommand(dashboardPort, GcsHealthPath, HeadGcsHealthTimeoutSeconds) : raylet;
    }

    private static string WgetCommand(int port, string path, int timeoutSeconds) =>
        $"wget --tries 1 -T {timeoutSeconds.ToString(CultureInfo.InvariantCulture)} -q -O- http://localhost:{port.ToString(CultureInfo.InvariantCulture)}/{path} | grep success";

    private static void InjectProbes(JsonObject ray, RayNodeType type, IReadOnlyDictionary<string, string> completeParams)
    {
        var agentPort = ParsePort(completeParams.GetValueOrDefault("dashboard-agent-listen-port"), DefaultDashboardAgentListenPort);
        var dashboardPort = ParsePort(completeParams.GetValueOrDefault("dashboard-port"), DefaultDashboardPort);
        var command = HealthCommand(type, agentPort, dashboardPort);
        // The head's probe also waits up to 10 s for the dashboard, so its timeout is longer.
        var timeout = type == RayNodeType.Head ? HeadProbeTimeoutSeconds : DefaultProbeTimeoutSeconds;
        if (ray["livenessProbe"] is null)
        {
            ray["livenessProbe"] = ExecProbe(command, LivenessInitialDelaySeconds, timeout, LivenessPeriodSeconds,
                LivenessSuccessThreshold, LivenessFailureThreshold);
        }
        if (ray["readinessProbe"] is null)
        {
            ray["readinessProbe"] = ExecProbe(command, ReadinessInitialDelaySeconds, timeout, ReadinessPeriodSeconds,
                ReadinessSuccessThreshold, ReadinessFailureThreshold);
        }
    }

    private static int ParsePort(string? text, int fallback) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) && p > 0 ? p : fallback;

    private static JsonObject ExecProbe(string command, int initialDelay, int timeout, int period, int success, int failure) => new()
    {
        ["exec"] = new JsonObject { ["command"] = new JsonArray("bash", "-c", command) },
        ["initialDelaySeconds"] = initialDelay,
        ["timeoutSeconds"] = timeout,
        ["periodSeconds"] = period,
        ["successThreshold"] = success,
        ["failureThreshold"] = failure,
    };

    private static void EnsureContainerPort(JsonObject container, string name, int port)
    {
        var ports = JsonNodes.EnsureArray(container, "ports");
        if (!ports.OfType<JsonObject>().Any(p => JsonNodes.GetString(p["name"]) == name))
        {
            ports.Add(new JsonObject { ["name"] = name, ["containerPort"] = port });
        }
    }

    /// <summary>
    /// An in-memory emptyDir at /dev/shm for Ray's object store, sized to the Ray container's memory limit
    /// (skipped when something is mounted there already).
    /// </summary>
    private static void AddSharedMemoryVolume(JsonObject spec, JsonObject ray)
    {
        var containers = (spec["containers"] as JsonArray)?.OfType<JsonObject>() ?? [];
        if (containers.Any(c => (c["volumeMounts"] as JsonArray)?.OfType<JsonObject>().Any(m => JsonNodes.GetString(m["mountPath"]) == SharedMemoryMountPath) == true))
        {
            return;
        }
        var volumes = JsonNodes.EnsureArray(spec, "volumes");
        if (!volumes.OfType<JsonObject>().Any(v => JsonNodes.GetString(v["name"]) == SharedMemoryVolumeName))
        {
            var emptyDir = new JsonObject { ["medium"] = "Memory" };
            if (JsonNodes.At(ray, "resources", "limits", "memory") is { } limit && JsonNodes.GetString(limit) is not ("0" or ""))
            {
                emptyDir["sizeLimit"] = limit.DeepClone();
            }
            volumes.Add(new JsonObject { ["name"] = SharedMemoryVolumeName, ["emptyDir"] = emptyDir });
        }
        JsonNodes.EnsureArray(ray, "volumeMounts").Add(new JsonObject { ["name"] = SharedMemoryVolumeName, ["mountPath"] = SharedMemoryMountPath });
    }

    private static void AddWaitGcsReadyInitContainer(RayClusterSpec cluster, JsonObject spec, JsonObject ray)
    {
        var address = cluster.FqdnHeadService + ":" + cluster.HeadPort;
        var script = $$"""

					SECONDS=0
					while true; do
						if (( SECONDS <= 120 )); then
							if ray health-check --address {{address}} > /dev/null 2>&1; then
								echo "GCS is ready."
								break
							fi
							echo "$SECONDS seconds elapsed: Waiting for GCS to be ready."
						else
							if ray health-check --address {{address}}; then
								echo "GCS is ready. Any error messages above can be safely ignored."
								break
							fi
							echo "$SECONDS seconds elapsed: Still waiting for GCS to be ready. For troubleshooting, refer to the FAQ at https://github.com/ray-project/kuberay/blob/master/docs/guidance/FAQ.md."
						fi
						sleep 5
					done
				
""";
        var env = ray["env"]?.DeepClone() as JsonArray ?? new JsonArray();
        if (!Exists(env, "FQ_RAY_IP"))
        {
            env.Add(new JsonObject { ["name"] = "FQ_RAY_IP", ["value"] = cluster.FqdnHeadService });
        }
        if (!Exists(env, "RAY_IP"))
        {
            env.Add(new JsonObject { ["name"] = "RAY_IP", ["value"] = cluster.HeadServiceName });
        }
        var init = new JsonObject
        {
            ["name"] = WaitGcsReadyInitContainerName,
            ["image"] = ray["image"]?.DeepClone(),
            ["command"] = new JsonArray("/bin/bash", "-c", "--"),
            ["args"] = new JsonArray(script),
            ["env"] = env,
            ["resources"] = new JsonObject
            {
                ["limits"] = new JsonObject { ["cpu"] = "200m", ["memory"] = "256Mi" },
                ["requests"] = new JsonObject { ["cpu"] = "200m", ["memory"] = "256Mi" },
            },
        };
        if (ray["imagePullPolicy"] is { } pull)
        {
            init["imagePullPolicy"] = pull.DeepClone();
        }
        if (ray["volumeMounts"] is JsonArray mounts)
        {
            init["volumeMounts"] = mounts.DeepClone();
        }
        if (ray["securityContext"] is JsonObject sc)
        {
            init["securityContext"] = sc.DeepClone();
        }
        JsonNodes.EnsureArray(spec, "initContainers").Add(init);
    }

    private static void AddAutoscalerSidecar(RayClusterSpec cluster, JsonObject spec, JsonObject ray)
    {
        var options = cluster.Spec["autoscalerOptions"] as JsonObject;
        var image = JsonNodes.GetString(options?["image"]) ?? JsonNodes.GetString(ray["image"]) ?? "rayproject/ray:" + cluster.RayVersion;
        // The head and the autoscaler share the Ray log directory.
        var rayMounts = JsonNodes.EnsureArray(ray, "volumeMounts");
        if (!rayMounts.OfType<JsonObject>().Any(m => JsonNodes.GetString(m["mountPath"]) == "/tmp/ray"))
        {
            rayMounts.Add(new JsonObject { ["name"] = "ray-logs", ["mountPath"] = "/tmp/ray" });
            JsonNodes.EnsureArray(spec, "volumes").Add(new JsonObject { ["name"] = "ray-logs", ["emptyDir"] = new JsonObject() });
        }
        var logMount = rayMounts.OfType<JsonObject>().First(m => JsonNodes.GetString(m["mountPath"]) == "/tmp/ray");
        var autoscaler = new JsonObject
        {
            ["name"] = AutoscalerContainerName,
            ["image"] = image,
            ["imagePullPolicy"] = JsonNodes.GetString(options?["imagePullPolicy"]) ?? "IfNotPresent",
            ["command"] = new JsonArray("/bin/bash", "-c", "--"),
            ["args"] = new JsonArray("ray kuberay-autoscaler --cluster-name $(RAY_CLUSTER_NAME) --cluster-namespace $(RAY_CLUSTER_NAMESPACE)"),
            ["env"] = new JsonArray(
                FieldEnv("RAY_CLUSTER_NAME", $"metadata.labels['{RayClusterLabel}']"),
                FieldEnv("RAY_CLUSTER_NAMESPACE", "metadata.namespace"),
                FieldEnv("RAY_HEAD_POD_NAME", "metadata.name"),
                new JsonObject { ["name"] = "KUBERAY_CRD_VER", ["value"] = "v1" }),
            ["resources"] = options?["resources"]?.DeepClone() ?? new JsonObject
            {
                ["limits"] = new JsonObject { ["cpu"] = "500m", ["memory"] = "512Mi" },
                ["requests"] = new JsonObject { ["cpu"] = "500m", ["memory"] = "512Mi" },
            },
            ["volumeMounts"] = new JsonArray(new JsonObject { ["name"] = logMount["name"]?.DeepClone(), ["mountPath"] = "/tmp/ray" }),
        };
        if (options?["env"] is JsonArray { Count: > 0 } extraEnv)
        {
            foreach (var e in extraEnv)
            {
                ((JsonArray)autoscaler["env"]!).Add(e?.DeepClone());
            }
        }
        if (options?["envFrom"] is JsonArray { Count: > 0 } envFrom)
        {
            autoscaler["envFrom"] = envFrom.DeepClone();
        }
        if (options?["securityContext"] is JsonObject securityContext)
        {
            autoscaler["securityContext"] = securityContext.DeepClone();
        }
        JsonNodes.EnsureArray(spec, "containers").Add(autoscaler);
        if (string.IsNullOrEmpty(JsonNodes.GetString(spec["serviceAccountName"])))
        {
            spec["serviceAccountName"] = cluster.Name;
        }
    }

    private static JsonObject FieldEnv(string name, string path) => new()
    {
        ["name"] = name,
        ["valueFrom"] = new JsonObject { ["fieldRef"] = new JsonObject { ["apiVersion"] = "v1", ["fieldPath"] = path } },
    };

    /// <summary>getServicePorts: the head container's named ports, else the four defaults; metrics always present.</summary>
    public static List<(string Name, int Port)> HeadServicePorts(RayClusterSpec cluster)
    {
        var result = new List<(string Name, int Port)>();
        if (cluster.HeadRayContainer?["ports"] is JsonArray ports)
        {
            foreach (var p in ports.OfType<JsonObject>())
            {
                var name = JsonNodes.GetString(p["name"]);
                var port = JsonNodes.GetInteger(p["containerPort"]);
                if (!string.IsNullOrEmpty(name) && port is > 0 && result.All(r => r.Name != name))
                {
                    result.Add((name, (int)port.Value));
                }
            }
        }
        if (result.Count == 0)
        {
            result.Add((GcsServerPortName, DefaultGcsServerPort));
            result.Add((DashboardPortName, DefaultDashboardPort));
            result.Add((ClientPortName, DefaultClientPort));
        }
        if (result.All(r => r.Name != MetricsPortName))
        {
            result.Add((MetricsPortName, DefaultMetricsPort));
        }
        return result;
    }

    /// <summary>BuildServiceForHeadPod: headless (clusterIP None) when the type is ClusterIP.</summary>
    public static JsonObject BuildHeadService(RayClusterSpec cluster)
    {
        var custom = cluster.Head["headService"] as JsonObject;
        var labels = new JsonObject();
        foreach (var (k, v) in ObjectMeta.ToStringMap(JsonNodes.ObjectAt(custom, "metadata", "labels")))
        {
            labels[k] = v;
        }
        labels[RayClusterLabel] = cluster.Name;
        labels[NodeTypeLabel] = "head";
        labels[IdentifierLabel] = KubeNames.CheckLabel(cluster.Name + "-head");
        labels[AppNameLabel] = AppName;
        labels[CreatedByLabel] = ComponentName;
        var annotations = new JsonObject();
        foreach (var (k, v) in ObjectMeta.ToStringMap(JsonNodes.ObjectAt(custom, "metadata", "annotations")))
        {
            annotations[k] = v;
        }
        foreach (var (k, v) in ObjectMeta.ToStringMap(cluster.Spec["headServiceAnnotations"] as JsonObject))
        {
            annotations[k] = v;
        }
        var type = JsonNodes.GetString(cluster.Head["serviceType"]) is { Length: > 0 } t ? t
            : JsonNodes.StringAt(custom, "spec", "type") is { Length: > 0 } ct ? ct : "ClusterIP";
        var ports = new JsonArray();
        // KubeRay collects the ports in a map and sorts them by name.
        foreach (var (name, port) in HeadServicePorts(cluster).OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            ports.Add(new JsonObject { ["name"] = name, ["port"] = port, ["appProtocol"] = DefaultServiceAppProtocol });
        }
        var selector = new JsonObject();
        foreach (var (k, v) in PodLabels(cluster.Name, RayNodeType.Head, HeadGroupName).Where(l => l.Key is not (IsRayNodeLabel or GroupLabel)))
        {
            selector[k] = v;
        }
        var spec = new JsonObject
        {
            ["ports"] = ports,
            ["selector"] = selector,
            ["type"] = type,
        };
        if (type == "ClusterIP")
        {
            spec["clusterIP"] = "None";
            spec["publishNotReadyAddresses"] = true;
        }
        var meta = new JsonObject
        {
            ["name"] = cluster.HeadServiceName,
            ["namespace"] = cluster.Namespace,
            ["labels"] = labels,
            ["ownerReferences"] = new JsonArray(cluster.OwnerReference()),
        };
        if (annotations.Count > 0)
        {
            meta["annotations"] = annotations;
        }
        return new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Service", ["metadata"] = meta, ["spec"] = spec };
    }

    /// <summary>The head pod's ServiceAccount: the template's, else one named after the cluster (created for the autoscaler).</summary>
    public static string AutoscalerServiceAccountName(RayClusterSpec cluster) =>
        JsonNodes.StringAt(cluster.HeadTemplate, "spec", "serviceAccountName") is { Length: > 0 } named ? named : KubeNames.CheckName(cluster.Name);

    private static JsonObject AutoscalerMeta(RayClusterSpec cluster, string name) => new()
    {
        ["name"] = name,
        ["namespace"] = cluster.Namespace,
        ["labels"] = new JsonObject
        {
            [RayClusterLabel] = cluster.Name,
            [AppNameLabel] = AppName,
            [CreatedByLabel] = ComponentName,
        },
        ["ownerReferences"] = new JsonArray(cluster.OwnerReference()),
    };

    /// <summary>BuildServiceAccount: the autoscaler's identity.</summary>
    public static JsonObject BuildAutoscalerServiceAccount(RayClusterSpec cluster) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "ServiceAccount",
        ["metadata"] = AutoscalerMeta(cluster, AutoscalerServiceAccountName(cluster)),
    };

    /// <summary>BuildRole: what the autoscaler may do (watch the pods, read and patch its RayCluster).</summary>
    public static JsonObject BuildAutoscalerRole(RayClusterSpec cluster) => new()
    {
        ["apiVersion"] = "rbac.authorization.k8s.io/v1",
        ["kind"] = "Role",
        ["metadata"] = AutoscalerMeta(cluster, KubeNames.CheckName(cluster.Name)),
        ["rules"] = new JsonArray(
            new JsonObject { ["apiGroups"] = new JsonArray(""), ["resources"] = new JsonArray("pods"), ["verbs"] = new JsonArray("get", "list", "watch") },
            new JsonObject { ["apiGroups"] = new JsonArray("ray.io"), ["resources"] = new JsonArray("rayclusters"), ["verbs"] = new JsonArray("get", "patch") }),
    };

    /// <summary>BuildRoleBinding: the Role granted to the autoscaler's ServiceAccount.</summary>
    public static JsonObject BuildAutoscalerRoleBinding(RayClusterSpec cluster) => new()
    {
        ["apiVersion"] = "rbac.authorization.k8s.io/v1",
        ["kind"] = "RoleBinding",
        ["metadata"] = AutoscalerMeta(cluster, KubeNames.CheckName(cluster.Name)),
        ["subjects"] = new JsonArray(new JsonObject
        {
            ["kind"] = "ServiceAccount",
            ["name"] = AutoscalerServiceAccountName(cluster),
            ["namespace"] = cluster.Namespace,
        }),
        ["roleRef"] = new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "Role", ["name"] = KubeNames.CheckName(cluster.Name) },
    };

    /// <summary>Name of the headless service KubeRay creates for multi-host worker groups.</summary>
    public static string HeadlessWorkerServiceName(string cluster) => KubeNames.CheckName(cluster + "-headless");

    public static JsonObject BuildHeadlessWorkerService(RayClusterSpec cluster) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Service",
        ["metadata"] = new JsonObject
        {
            ["name"] = HeadlessWorkerServiceName(cluster.Name),
            ["namespace"] = cluster.Namespace,
            ["labels"] = new JsonObject { [HeadlessWorkerServiceLabel] = cluster.Name },
            ["ownerReferences"] = new JsonArray(cluster.OwnerReference()),
        },
        ["spec"] = new JsonObject
        {
            ["clusterIP"] = "None",
            ["selector"] = new JsonObject { [RayClusterLabel] = cluster.Name, [NodeTypeLabel] = "worker" },
            ["publishNotReadyAddresses"] = true,
        },
    };

    /// <summary>The Deployment the KubeRay Helm chart installs (kube-system/kuberay-operator).</summary>
    public static JsonObject BuildOperatorDeployment()
    {
        var labels = new JsonObject
        {
            ["app.kubernetes.io/name"] = OperatorName,
            ["app.kubernetes.io/instance"] = OperatorName,
            ["app.kubernetes.io/component"] = "kuberay-operator",
            ["app.kubernetes.io/managed-by"] = "Helm",
            ["helm.sh/chart"] = "kuberay-operator-1.4.2",
        };
        var selector = new JsonObject
        {
            ["app.kubernetes.io/name"] = OperatorName,
            ["app.kubernetes.io/instance"] = OperatorName,
        };
        var podLabels = new JsonObject
        {
            ["app.kubernetes.io/name"] = OperatorName,
            ["app.kubernetes.io/instance"] = OperatorName,
            ["app.kubernetes.io/component"] = "kuberay-operator",
        };
        return new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = "Deployment",
            ["metadata"] = new JsonObject
            {
                ["name"] = OperatorName,
                ["namespace"] = OperatorNamespace,
                ["labels"] = labels,
                ["annotations"] = new JsonObject { ["meta.helm.sh/release-name"] = OperatorName, ["meta.helm.sh/release-namespace"] = OperatorNamespace },
            },
            ["spec"] = new JsonObject
            {
                ["replicas"] = 1,
                ["strategy"] = new JsonObject { ["type"] = "Recreate" },
                ["selector"] = new JsonObject { ["matchLabels"] = selector },
                ["template"] = new JsonObject
                {
                    ["metadata"] = new JsonObject { ["labels"] = podLabels },
                    ["spec"] = new JsonObject
                    {
                        ["containers"] = new JsonArray(new JsonObject
                        {
                            ["name"] = OperatorName,
                            ["image"] = OperatorImage,
                            ["imagePullPolicy"] = "IfNotPresent",
                            ["command"] = new JsonArray("/manager"),
                            ["args"] = new JsonArray("--feature-gates=RayClusterStatusConditions=true", "--enable-leader-election=true"),
                            ["ports"] = new JsonArray(
                                new JsonObject { ["name"] = "http", ["containerPort"] = 8080, ["protocol"] = "TCP" }),
                            ["resources"] = new JsonObject
                            {
                                ["limits"] = new JsonObject { ["cpu"] = "100m", ["memory"] = "512Mi" },
                                ["requests"] = new JsonObject { ["cpu"] = "100m", ["memory"] = "512Mi" },
                            },
                            ["livenessProbe"] = new JsonObject
                            {
                                ["httpGet"] = new JsonObject { ["path"] = "/metrics", ["port"] = "http" },
                                ["initialDelaySeconds"] = 10,
                                ["periodSeconds"] = 5,
                                ["failureThreshold"] = 5,
                            },
                            ["readinessProbe"] = new JsonObject
                            {
                                ["httpGet"] = new JsonObject { ["path"] = "/metrics", ["port"] = "http" },
                                ["initialDelaySeconds"] = 10,
                                ["periodSeconds"] = 5,
                                ["failureThreshold"] = 5,
                            },
                        }),
                    },
                },
            },
        };
    }
}
