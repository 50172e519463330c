using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using RayPS.Errors;
using RayPS.Manifests;

namespace RayPS.Operator;

/// <summary>What to install: the chart version, the namespace and the values (a values file, then the parameters over it).</summary>
public sealed class KubeRayOperatorInstallOptions
{
    public string Version { get; init; } = KubeRayOperatorChart.DefaultVersion;
    public string Namespace { get; init; } = "kube-system";

    /// <summary>The user's values (a parsed values file), merged over the chart's values.yaml like helm -f.</summary>
    public JsonObject? Values { get; init; }

    /// <summary>Where <see cref="Values"/> came from, for messages.</summary>
    public string ValuesSource { get; init; } = "values";

    /// <summary>"repository:tag": sets image.repository and image.tag.</summary>
    public string? Image { get; init; }

    /// <summary>Sets watchNamespace (null keeps the values' own).</summary>
    public IReadOnlyList<string>? WatchNamespaces { get; init; }

    /// <summary>Feature gates to set on top of the chart's list (existing names change, new ones are appended).</summary>
    public IReadOnlyDictionary<string, bool>? FeatureGates { get; init; }
}

/// <summary>The objects the chart renders, CRDs first, in the order they are applied.</summary>
public sealed class KubeRayOperatorManifest
{
    public required string Version { get; init; }
    public required string Namespace { get; init; }
    /// <summary>The CRDs of crds/, parsed on first use (-ManifestOnly prints the files as they are and never needs them parsed).</summary>
    public IReadOnlyList<JsonObject> Crds => CrdSource.Value;

    public required Lazy<IReadOnlyList<JsonObject>> CrdSource { get; init; }

    /// <summary>The names of the CRDs (metadata.name), without parsing them.</summary>
    public required IReadOnlyList<string> CrdNames { get; init; }

    /// <summary>Everything else, in Helm's install order (ServiceAccount, ConfigMap, ClusterRoles, bindings, Roles, Service, Deployment).</summary>
    public required IReadOnlyList<JsonObject> Objects { get; init; }

    /// <summary>The merged values the templates saw.</summary>
    public required JsonObject Values { get; init; }

    public IEnumerable<JsonObject> All => Crds.Concat(Objects);

    /// <summary>The Deployment's name (the chart's fullname).</summary>
    public required string DeploymentName { get; init; }
}

/// <summary>
/// Renders the kuberay-operator chart the way `helm template kuberay-operator kuberay/kuberay-operator --version V -n NS -f values.yaml`
/// does, without Helm: the templates of 1.4.2 and 1.7.0 re-expressed in C#. The RBAC rules are read from the shipped templates
/// themselves (role.consistentRules in _helpers.tpl, the leader-election and editor/viewer roles), so they are the chart's verbatim.
/// One difference from Helm: the managed-by label (.Release.Service) is "RayPS", and there are no meta.helm.sh annotations.
/// </summary>
public static partial class KubeRayOperatorRenderer
{
    public const string ReleaseName = "kuberay-operator";
    public const string ReleaseService = "RayPS";

    [GeneratedRegex("\\{\\{.*?\\}\\}", RegexOptions.CultureInvariant)]
    private static partial Regex TemplateAction();

    [GeneratedRegex("^\\s*\\{\\{.*\\}\\}\\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex ActionOnlyLine();

    [GeneratedRegex("eq \\.batchSchedulerName \"([^\"]+)\"", RegexOptions.CultureInvariant)]
    private static partial Regex SchedulerNameTest();

    public static KubeRayOperatorManifest Render(KubeRayOperatorInstallOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var version = KubeRayOperatorChart.Normalize(options.Version);
        var values = MergedValues(version, options);
        var r = new Chart(version, options.Namespace, values);
        return new KubeRayOperatorManifest
        {
            Version = version,
            Namespace = options.Namespace,
            CrdSource = new Lazy<IReadOnlyList<JsonObject>>(() => KubeRayOperatorChart.Crds(version)),
            CrdNames = KubeRayOperatorChart.CrdFiles(version).Select(f => f["ray.io_".Length..^".yaml".Length] + ".ray.io").ToList(),
            Objects = r.Objects(),
            Values = values,
            DeploymentName = r.FullName,
        };
    }

    /// <summary>values.yaml, then the user's values file (helm -f), then -Image, -WatchNamespace and -FeatureGate.</summary>
    public static JsonObject MergedValues(string version, KubeRayOperatorInstallOptions options)
    {
        var warnings = new List<string>();
        var values = KubeRayOperatorChart.DefaultValues(version);
        if (options.Values is { } user)
        {
            values = HelmValuesRenderer.Merge(values, (JsonObject)user.DeepClone(), string.Empty, options.ValuesSource, warnings);
        }
        if (options.Image is { Length: > 0 } image)
        {
            var (repository, tag) = SplitImage(image);
            var imageValues = values["image"] as JsonObject ?? new JsonObject();
            imageValues["repository"] = repository;
            imageValues["tag"] = tag;
            values["image"] = imageValues;
        }
        if (options.WatchNamespaces is { } watch)
        {
            values["watchNamespace"] = watch.Count == 0 ? null : new JsonArray(watch.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray());
            if (watch.Count == 0)
            {
                values.Remove("watchNamespace");
            }
        }
        if (options.FeatureGates is { Count: > 0 } gates)
        {
            var list = values["featureGates"] as JsonArray ?? new JsonArray();
            foreach (var (name, enabled) in gates)
            {
                var existing = list.OfType<JsonObject>().FirstOrDefault(g => g["name"] is JsonValue v && v.ToString() == name);
                if (existing is not null)
                {
                    existing["enabled"] = enabled;
                }
                else
                {
                    list.Add(new JsonObject { ["name"] = name, ["enabled"] = enabled });
                }
            }
            values["featureGates"] = list;
        }
        return values;
    }

    /// <summary>"quay.io/kuberay/operator:v1.4.2" into repository and tag (the chart writes "repository:tag").</summary>
    internal static (string Repository, string Tag) SplitImage(string image)
    {
        var slash = image.LastIndexOf('/');
        var colon = image.LastIndexOf(':');
        if (image.Contains('@', StringComparison.Ordinal) || colon <= slash || colon == image.Length - 1 || colon == 0)
        {
            throw new RayPSException(ErrorIds.InvalidOperatorValues, RayErrorCategory.InvalidArgument,
                $"-Image '{image}' must be 'repository:tag' (the chart writes image.repository:image.tag), e.g. quay.io/kuberay/operator:v1.4.2.", image);
        }
        return (image[..colon], image[(colon + 1)..]);
    }

    /// <summary>The chart's templates for one version, values and release bound.</summary>
    private sealed class Chart
    {
        private readonly string _version;
        private readonly string _ns;
        private readonly JsonObject _v;
        private readonly bool _is142;

        public Chart(string version, string ns, JsonObject values)
        {
            _version = version;
            _ns = ns;
            _v = values;
            _is142 = version == "1.4.2";
            Name = Trunc(Print(_v["nameOverride"]) is { Length: > 0 } n ? n : KubeRayOperatorChart.ChartName);
            Component = Trunc(Print(_v["componentOverride"]) is { Length: > 0 } c ? c : KubeRayOperatorChart.ChartName);
            FullName = Print(_v["fullnameOverride"]) is { Length: > 0 } f ? Trunc(f)
                : Trunc(ReleaseName.Contains(Name, StringComparison.Ordinal) ? ReleaseName : $"{ReleaseName}-{Name}");
        }

        public string Name { get; }
        public string Component { get; }
        public string FullName { get; }

        private JsonNode? V(string path) => Get(_v, path);

        private bool Truthy(string path) => GoTemplateText.IsTruthy(V(path));

        private bool HasKey(JsonObject? map, string key) => map is not null && map.ContainsKey(key);

        private string ServiceAccountName => Truthy("serviceAccount.create")
            ? (Print(V("serviceAccount.name")) is { Length: > 0 } a ? a : FullName)
            : (Print(V("serviceAccount.name")) is { Length: > 0 } b ? b : "default");

        private JsonObject Labels() => new()
        {
            ["app.kubernetes.io/name"] = Name,
            ["helm.sh/chart"] = Trunc($"{KubeRayOperatorChart.ChartName}-{_version}".Replace('+', '_')),
            ["app.kubernetes.io/instance"] = ReleaseName,
            ["app.kubernetes.io/managed-by"] = ReleaseService,
        };

        private static JsonObject Meta(string name, string? ns, JsonObject labels)
        {
            var meta = new JsonObject { ["name"] = name };
            if (ns is not null)
            {
                meta["namespace"] = ns;
            }
            meta["labels"] = labels;
            return meta;
        }

        private static JsonObject Obj(string apiVersion, string kind, JsonObject metadata) =>
            new() { ["apiVersion"] = apiVersion, ["kind"] = kind, ["metadata"] = metadata };

        public List<JsonObject> Objects()
        {
            var rbac = Truthy("rbacEnable");
            var single = Truthy("singleNamespaceInstall");
            var objects = new List<JsonObject>();
            if (Truthy("serviceAccount.create"))
            {
                objects.Add(Obj("v1", "ServiceAccount", Meta(ServiceAccountName, _ns, Labels())));
            }
            if (!_is142 && Truthy("configuration.enabled"))
            {
                objects.Add(ConfigMap());
            }
            if (rbac && !single)
            {
                var role = Obj("rbac.authorization.k8s.io/v1", "ClusterRole", Meta(FullName, null, Labels()));
                role["rules"] = ConsistentRules(withSchedulerName: true);
                objects.Add(role);
                foreach (var file in EditorViewerRoleFiles())
                {
                    var r = StaticTemplate("templates/" + file);
                    var name = r["metadata"]?["name"]?.GetValue<string>() ?? file;
                    r["metadata"] = Meta(name, null, Labels());
                    objects.Add(Reorder(r));
                }
                var binding = Obj("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", Meta(FullName, null, Labels()));
                binding["subjects"] = new JsonArray(new JsonObject { ["kind"] = "ServiceAccount", ["name"] = ServiceAccountName, ["namespace"] = _ns });
                binding["roleRef"] = new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "ClusterRole", ["name"] = FullName };
                objects.Add(binding);
            }
            if (rbac)
            {
                var le = StaticTemplate("templates/leader_election_role.yaml");
                le["metadata"] = Meta(FullName + "-leader-election", _ns, Labels());
                objects.Add(Reorder(le));
                var leb = Obj("rbac.authorization.k8s.io/v1", "RoleBinding", Meta(FullName + "-leader-election", _ns, Labels()));
                leb["roleRef"] = new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "Role", ["name"] = FullName + "-leader-election" };
                leb["subjects"] = new JsonArray(new JsonObject { ["kind"] = "ServiceAccount", ["name"] = ServiceAccountName, ["namespace"] = _ns });
                objects.Add(leb);
            }
            if (rbac && single && Truthy("crNamespacedRbacEnable"))
            {
                foreach (var ns in WatchedNamespaceList(defaultToRelease: true))
                {
                    var role = Obj("rbac.authorization.k8s.io/v1", "Role", Meta(FullName, ns, Labels()));
                    role["rules"] = ConsistentRules(withSchedulerName: !_is142);
                    objects.Add(role);
                }
                foreach (var ns in WatchedNamespaceList(defaultToRelease: true))
                {
                    var rb = Obj("rbac.authorization.k8s.io/v1", "RoleBinding", Meta(FullName, ns, Labels()));
                    rb["roleRef"] = new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "Role", ["name"] = FullName };
                    rb["subjects"] = new JsonArray(new JsonObject { ["kind"] = "ServiceAccount", ["name"] = ServiceAccountName, ["namespace"] = _ns });
                    objects.Add(rb);
                }
            }
            objects.Add(Service());
            objects.Add(Deployment());
            if (Truthy("metrics.serviceMonitor.enabled"))
            {
                objects.Add(ServiceMonitor());
            }
            return objects;
        }

        private IEnumerable<string> EditorViewerRoleFiles() =>
            (_is142 ? new[] { "rayjob", "rayservice" } : new[] { "raycronjob", "rayjob", "rayservice" })
                .SelectMany(k => new[] { $"ray_{k}_editor_role.yaml", $"ray_{k}_viewer_role.yaml" });

        /// <summary>watchNamespace as a list; a single-namespace install without one watches the release namespace.</summary>
        private List<string> WatchedNamespaceList(bool defaultToRelease)
        {
            var list = V("watchNamespace") switch
            {
                JsonArray a => a.Select(Print).Where(s => s is not null).Select(s => s!).ToList(),
                JsonValue v when Print(v) is { Length: > 0 } s => new List<string> { s },
                _ => new List<string>(),
            };
            return list.Count == 0 && defaultToRelease ? new List<string> { _ns } : list;
        }

        /// <summary>The --watch-namespace value the Deployment gets, or null.</summary>
        private string? WatchNamespaceArg()
        {
            if (Truthy("singleNamespaceInstall") && !Truthy("watchNamespace"))
            {
                return _ns;
            }
            return Truthy("watchNamespace") ? string.Join(",", WatchedNamespaceList(defaultToRelease: false)) : null;
        }

        private string FeatureGatesArg()
        {
            if (!Truthy("featureGates") || V("featureGates") is not JsonArray gates)
            {
                return "";
            }
            var parts = gates.Select(g => $"{Print(g?["name"]) ?? "<no value>"}={GoBool(g?["enabled"])}");
            return "--feature-gates=" + string.Join(",", parts);
        }

        private List<string> Args()
        {
            var args = new List<string>();
            if (_is142)
            {
                args.Add(FeatureGatesArg());
            }
            if (!_is142 && Truthy("configuration.enabled"))
            {
                args.Add("--config");
                args.Add("/etc/kuberay/config.yaml");
            }
            else
            {
                if (!_is142)
                {
                    ValidateConfig();
                }
                if (Truthy("batchScheduler"))
                {
                    if (Truthy("batchScheduler.enabled"))
                    {
                        args.Add("--enable-batch-scheduler");
                    }
                    if (Truthy("batchScheduler.name"))
                    {
                        args.Add("--batch-scheduler=" + Print(V("batchScheduler.name")));
                    }
                }
                if (WatchNamespaceArg() is { Length: > 0 } watch)
                {
                    args.Add("--watch-namespace");
                    args.Add(watch);
                }
                if (Truthy("logging.baseDir") && Truthy("logging.fileName"))
                {
                    args.Add("--log-file-path");
                    args.Add($"{Print(V("logging.baseDir"))}/{Print(V("logging.fileName"))}");
                }
                if (Truthy("logging.stdoutEncoder"))
                {
                    args.Add("--log-stdout-encoder");
                    args.Add(Print(V("logging.stdoutEncoder"))!);
                }
                if (Truthy("logging.fileEncoder"))
                {
                    args.Add("--log-file-encoder");
                    args.Add(Print(V("logging.fileEncoder"))!);
                }
                if (HasKey(_v, "useKubernetesProxy"))
                {
                    args.Add("--use-kubernetes-proxy=" + GoBool(_v["useKubernetesProxy"]));
                }
                if (HasKey(_v, "leaderElectionEnabled"))
                {
                    args.Add("--enable-leader-election=" + GoBool(_v["leaderElectionEnabled"]));
                }
                if (HasKey(_v, "metrics") && HasKey(_v["metrics"] as JsonObject, "enabled"))
                {
                    args.Add("--enable-metrics=" + GoBool(V("metrics.enabled")));
                }
                if (!_is142)
                {
                    if (HasKey(_v, "reconcileConcurrency"))
                    {
                        args.Add("--reconcile-concurrency=" + (Print(_v["reconcileConcurrency"]) ?? "<nil>"));
                    }
                    if (HasKey(_v, "kubeClient"))
                    {
                        var kc = _v["kubeClient"] as JsonObject;
                        if (HasKey(kc, "qps"))
                        {
                            args.Add("--qps=" + (Print(kc!["qps"]) ?? "<nil>"));
                        }
                        if (HasKey(kc, "burst"))
                        {
                            args.Add("--burst=" + (Print(kc!["burst"]) ?? "<nil>"));
                        }
                    }
                }
            }
            if (!_is142)
            {
                args.Add(FeatureGatesArg());
            }
            return args;
        }

        /// <summary>The chart's kuberay-operator.validateConfig (1.7.0): the same checks, the same words.</summary>
        private void ValidateConfig()
        {
            void Check(JsonNode? node, string pattern, string message)
            {
                var text = Print(node) ?? "<nil>";
                if (!Regex.IsMatch(text, pattern, RegexOptions.CultureInvariant))
                {
                    throw new RayPSException(ErrorIds.InvalidOperatorValues, RayErrorCategory.InvalidArgument,
                        $"{message}, got \"{text}\". Fix it in the values file.", text);
                }
            }
            if (HasKey(_v, "reconcileConcurrency"))
            {
                Check(_v["reconcileConcurrency"], "^[1-9][0-9]*$", "values.reconcileConcurrency must be a positive integer");
            }
            if (_v["kubeClient"] is JsonObject kc)
            {
                if (kc.ContainsKey("qps"))
                {
                    Check(kc["qps"], "^[0-9]+(\\.[0-9]+)?$", "values.kubeClient.qps must be a valid float number");
                }
                if (kc.ContainsKey("burst"))
                {
                    Check(kc["burst"], "^[0-9]+$", "values.kubeClient.burst must be a non-negative integer");
                }
            }
        }

        private JsonObject Deployment()
        {
            var labels = Labels();
            MergeInto(labels, V("labels"));
            var deployment = Obj("apps/v1", "Deployment", Meta(FullName, _ns, labels));
            var podLabels = new JsonObject
            {
                ["app.kubernetes.io/name"] = Name,
                ["app.kubernetes.io/instance"] = ReleaseName,
                ["app.kubernetes.io/component"] = Component,
            };
            MergeInto(podLabels, V("labels"));
            var podMeta = new JsonObject { ["labels"] = podLabels };
            if (Truthy("annotations"))
            {
                podMeta["annotations"] = V("annotations")!.DeepClone();
            }

            var logs = Truthy("logging.baseDir") && Truthy("logging.fileName");
            var config = !_is142 && Truthy("configuration.enabled");
            var podSpec = new JsonObject();
            With(podSpec, "imagePullSecrets", "imagePullSecrets");
            podSpec["serviceAccountName"] = ServiceAccountName;
            if (logs || config)
            {
                var volumes = new JsonArray();
                if (logs)
                {
                    volumes.Add(new JsonObject
                    {
                        ["name"] = "kuberay-logs",
                        ["emptyDir"] = Truthy("logging.sizeLimit") ? new JsonObject { ["sizeLimit"] = Reparse(V("logging.sizeLimit")) } : new JsonObject(),
                    });
                }
                if (config)
                {
                    volumes.Add(new JsonObject { ["name"] = "operator-config", ["configMap"] = new JsonObject { ["name"] = FullName + "-config" } });
                }
                podSpec["volumes"] = volumes;
            }
            With(podSpec, "securityContext", "podSecurityContext");
            if (!_is142 && Truthy("priorityClassName"))
            {
                podSpec["priorityClassName"] = Reparse(V("priorityClassName"));
            }

            var container = new JsonObject { ["name"] = KubeRayOperatorChart.ChartName };
            With(container, "securityContext", "securityContext");
            container["image"] = $"{Print(V("image.repository"))}:{Print(V("image.tag"))}";
            if (Truthy("image.pullPolicy"))
            {
                container["imagePullPolicy"] = Reparse(V("image.pullPolicy"));
            }
            if (logs || config)
            {
                var mounts = new JsonArray();
                if (logs)
                {
                    mounts.Add(new JsonObject { ["name"] = "kuberay-logs", ["mountPath"] = Print(V("logging.baseDir")) });
                }
                if (config)
                {
                    mounts.Add(new JsonObject { ["name"] = "operator-config", ["mountPath"] = "/etc/kuberay", ["readOnly"] = true });
                }
                container["volumeMounts"] = mounts;
            }
            container["command"] = new JsonArray(Reparse(V("operatorCommand")));
            container["args"] = new JsonArray(Args().Select(a => (JsonNode?)JsonValue.Create(a)).ToArray());
            container["ports"] = new JsonArray(new JsonObject { ["name"] = "http", ["containerPort"] = 8080, ["protocol"] = "TCP" });
            With(container, "env", "env");
            container["livenessProbe"] = Probe("livenessProbe");
            container["readinessProbe"] = Probe("readinessProbe");
            With(container, "resources", "resources");
            podSpec["containers"] = new JsonArray(container);
            With(podSpec, "nodeSelector", "nodeSelector");
            With(podSpec, "affinity", "affinity");
            With(podSpec, "tolerations", "tolerations");

            deployment["spec"] = new JsonObject
            {
                ["replicas"] = _is142 ? 1 : Reparse(Truthy("replicas") ? V("replicas") : JsonValue.Create(1)),
                ["strategy"] = new JsonObject { ["type"] = "Recreate" },
                ["selector"] = new JsonObject
                {
                    ["matchLabels"] = new JsonObject { ["app.kubernetes.io/name"] = Name, ["app.kubernetes.io/instance"] = ReleaseName },
                },
                ["template"] = new JsonObject { ["metadata"] = podMeta, ["spec"] = podSpec },
            };
            return deployment;
        }

        private JsonObject Probe(string key) => new()
        {
            ["httpGet"] = new JsonObject { ["path"] = "/metrics", ["port"] = "http" },
            ["initialDelaySeconds"] = Reparse(V(key + ".initialDelaySeconds")),
            ["periodSeconds"] = Reparse(V(key + ".periodSeconds")),
            ["failureThreshold"] = Reparse(V(key + ".failureThreshold")),
        };

        private JsonObject Service()
        {
            var svc = Obj("v1", "Service", Meta(FullName, _ns, Labels()));
            svc["spec"] = new JsonObject
            {
                ["type"] = Reparse(V("service.type")),
                ["ports"] = new JsonArray(new JsonObject
                {
                    ["port"] = Reparse(V("service.port")),
                    ["targetPort"] = "http",
                    ["protocol"] = "TCP",
                    ["name"] = "http",
                }),
                ["selector"] = new JsonObject { ["app.kubernetes.io/name"] = Name, ["app.kubernetes.io/instance"] = ReleaseName },
            };
            return DropNulls(svc);
        }

        private JsonObject ServiceMonitor()
        {
            var meta = new JsonObject
            {
                ["name"] = FullName,
                ["namespace"] = Print(V("metrics.serviceMonitor.namespace")) is { Length: > 0 } n ? n : _ns,
            };
            var extra = V(_is142 ? "metrics.serviceMonitor.selector" : "metrics.serviceMonitor.additionalLabels");
            if (GoTemplateText.IsTruthy(extra))
            {
                meta["labels"] = extra!.DeepClone();
            }
            var sm = Obj("monitoring.coreos.com/v1", "ServiceMonitor", meta);
            sm["spec"] = new JsonObject
            {
                ["endpoints"] = new JsonArray(new JsonObject
                {
                    ["path"] = "/metrics",
                    ["targetPort"] = "http",
                    ["interval"] = Reparse(V("metrics.serviceMonitor.interval")),
                    ["honorLabels"] = Reparse(V("metrics.serviceMonitor.honorLabels")),
                }),
                ["namespaceSelector"] = new JsonObject { ["matchNames"] = new JsonArray(_ns) },
                ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app.kubernetes.io/name"] = Name } },
            };
            return DropNulls(sm);
        }

        /// <summary>The 1.7.0 ConfigMap of configuration.enabled: config.yaml as the template writes it.</summary>
        private JsonObject ConfigMap()
        {
            ValidateConfig();
            var labels = Labels();
            MergeInto(labels, V("labels"));
            var text = new StringBuilder();
            text.Append("apiVersion: config.ray.io/v1alpha1\nkind: Configuration\n");
            void Line(string key, string? value) => text.Append(key).Append(": ").Append(value ?? "<no value>").Append('\n');
            if (HasKey(_v, "leaderElectionEnabled"))
            {
                Line("enableLeaderElection", Print(_v["leaderElectionEnabled"]));
            }
            if (HasKey(_v, "metrics") && HasKey(_v["metrics"] as JsonObject, "enabled"))
            {
                Line("enableMetrics", Print(V("metrics.enabled")));
            }
            if (HasKey(_v, "reconcileConcurrency"))
            {
                Line("reconcileConcurrency", Print(_v["reconcileConcurrency"]));
            }
            if (HasKey(_v, "useKubernetesProxy"))
            {
                Line("useKubernetesProxy", Print(_v["useKubernetesProxy"]));
            }
            if (_v["kubeClient"] is JsonObject kc)
            {
                if (kc.ContainsKey("qps"))
                {
                    Line("qps", Print(kc["qps"]));
                }
                if (kc.ContainsKey("burst"))
                {
                    Line("burst", Print(kc["burst"]));
                }
            }
            if (Truthy("watchNamespace"))
            {
                Line("watchNamespace", Quote(string.Join(",", WatchedNamespaceList(false))));
            }
            else if (Truthy("singleNamespaceInstall"))
            {
                Line("watchNamespace", Quote(_ns));
            }
            if (Truthy("logging.baseDir") && Truthy("logging.fileName"))
            {
                Line("logFile", Quote($"{Print(V("logging.baseDir"))}/{Print(V("logging.fileName"))}"));
            }
            if (Truthy("logging.stdoutEncoder"))
            {
                Line("logStdoutEncoder", Quote(Print(V("logging.stdoutEncoder"))!));
            }
            if (Truthy("logging.fileEncoder"))
            {
                Line("logFileEncoder", Quote(Print(V("logging.fileEncoder"))!));
            }
            if (Truthy("batchScheduler"))
            {
                if (Truthy("batchScheduler.enabled"))
                {
                    Line("enableBatchScheduler", "true");
                }
                if (Truthy("batchScheduler.name"))
                {
                    Line("batchScheduler", Quote(Print(V("batchScheduler.name"))!));
                }
            }
            foreach (var key in new[] { "headSidecarContainers", "workerSidecarContainers", "defaultContainerEnvs", "defaultPodAnnotations", "defaultPodLabels" })
            {
                if (Truthy("configuration." + key))
                {
                    text.Append(key).Append(":\n");
                    var indent = key.StartsWith("defaultPod", StringComparison.Ordinal) ? "  " : "";
                    foreach (var line in ManifestYaml.Write(V("configuration." + key)!.DeepClone()).TrimEnd('\n').Split('\n'))
                    {
                        text.Append(indent).Append(line).Append('\n');
                    }
                }
            }
            var cm = Obj("v1", "ConfigMap", Meta(FullName + "-config", _ns, labels));
            cm["data"] = new JsonObject { ["config.yaml"] = text.ToString() };
            return cm;
        }

        /// <summary>role.consistentRules of _helpers.tpl, its if-blocks decided by the values.</summary>
        private JsonArray ConsistentRules(bool withSchedulerName)
        {
            var text = KubeRayOperatorChart.ReadFile(_version, "templates/_helpers.tpl");
            var start = text.IndexOf("{{- define \"role.consistentRules\" -}}", StringComparison.Ordinal);
            var lines = text[start..].Split('\n').Skip(1);
            var enabled = Truthy("batchScheduler.enabled");
            var schedulerName = withSchedulerName ? Print(V("batchScheduler.name")) : null;
            var was = !_is142 && V("featureGates") is JsonArray gates &&
                gates.Any(g => Print(g?["name"]) == "KubernetesWAS" && GoTemplateText.IsTruthy(g?["enabled"]));
            var kept = new StringBuilder();
            var skipping = new Stack<bool>();
            foreach (var raw in lines)
            {
                var line = raw.Trim();
                if (line.StartsWith("{{- if ", StringComparison.Ordinal))
                {
                    var condition = line["{{- if ".Length..].TrimEnd('}', ' ', '-');
                    skipping.Push(!Evaluate(condition, enabled, schedulerName, was));
                    continue;
                }
                if (line.StartsWith("{{- end", StringComparison.Ordinal))
                {
                    if (skipping.Count == 0)
                    {
                        break;
                    }
                    skipping.Pop();
                    continue;
                }
                if (skipping.Any(s => s))
                {
                    continue;
                }
                kept.Append(raw).Append('\n');
            }
            var parsed = YamlJson.ParseDocuments(kept.ToString(), "_helpers.tpl role.consistentRules").FirstOrDefault() as JsonObject;
            return (JsonArray)parsed!["rules"]!.DeepClone();
        }

        private static bool Evaluate(string condition, bool schedulerEnabled, string? schedulerName, bool was)
        {
            if (condition == ".kubernetesWASEnabled")
            {
                return was;
            }
            if (condition.Contains(".batchSchedulerEnabled", StringComparison.Ordinal) && SchedulerNameTest().Match(condition) is { Success: true } m)
            {
                return schedulerEnabled || schedulerName == m.Groups[1].Value;
            }
            throw new InvalidOperationException($"Unknown condition in role.consistentRules: {condition}");
        }

        /// <summary>A template without logic: lines that are only actions dropped, inline actions emptied (the caller fills those fields).</summary>
        private JsonObject StaticTemplate(string file)
        {
            var text = KubeRayOperatorChart.ReadFile(_version, file);
            var kept = string.Join('\n', text.Split('\n').Where(l => !ActionOnlyLine().IsMatch(l)).Select(l => TemplateAction().Replace(l, "\"\"")));
            return (JsonObject)YamlJson.ParseDocuments(kept, file).OfType<JsonObject>().First().DeepClone();
        }

        private static JsonObject Reorder(JsonObject obj)
        {
            var ordered = new JsonObject();
            foreach (var key in new[] { "apiVersion", "kind", "metadata" }.Concat(obj.Select(p => p.Key)).Distinct().ToList())
            {
                if (obj.TryGetPropertyValue(key, out var value))
                {
                    obj.Remove(key);
                    ordered[key] = value;
                }
            }
            return ordered;
        }

        /// <summary>{{- with .Values.X }} key: {{ toYaml . }} {{- end }}.</summary>
        private void With(JsonObject target, string key, string valuesPath)
        {
            if (Truthy(valuesPath))
            {
                target[key] = V(valuesPath)!.DeepClone();
            }
        }

        private static void MergeInto(JsonObject labels, JsonNode? extra)
        {
            if (extra is JsonObject map)
            {
                foreach (var (k, v) in map)
                {
                    labels[k] = v?.DeepClone();
                }
            }
        }
    }

    internal static JsonNode? Get(JsonObject values, string path)
    {
        JsonNode? node = values;
        foreach (var part in path.Split('.'))
        {
            node = node is JsonObject o && o.TryGetPropertyValue(part, out var next) ? next : null;
            if (node is null)
            {
                return null;
            }
        }
        return node;
    }

    private static string? Print(JsonNode? node) => GoTemplateText.Print(node);

    private static JsonNode? Reparse(JsonNode? node) => GoTemplateText.Reparse(node);

    private static string Quote(string s) => JsonSerializer.Serialize(s);

    private static string GoBool(JsonNode? node) => node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False
        ? (v.GetValueKind() == JsonValueKind.True ? "true" : "false")
        : $"%!t({(node is null ? "<nil>" : Print(node) ?? "?")})";

    private static string Trunc(string name) => (name.Length > 63 ? name[..63] : name).TrimEnd('-');

    private static JsonObject DropNulls(JsonObject obj)
    {
        foreach (var (k, v) in obj.ToList())
        {
            if (v is null)
            {
                obj.Remove(k);
            }
            else if (v is JsonObject child)
            {
                DropNulls(child);
            }
        }
        return obj;
    }
}
