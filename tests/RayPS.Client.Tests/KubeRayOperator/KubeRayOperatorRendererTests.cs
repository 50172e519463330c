using System.Text.Json.Nodes;
using RayPS.Errors;
using RayPS.Manifests;
using RayPS.Operator;

namespace RayPS.Client.Tests.KubeRayOperator;

/// <summary>
/// The renderer against what the kuberay-operator chart's templates render (read from charts 1.4.2 and 1.7.0): names, labels,
/// the Deployment's args in each version's order, RBAC per install mode, and every value the templates read.
/// </summary>
public sealed class KubeRayOperatorRendererTests
{
    private static KubeRayOperatorManifest Render(string version, string? valuesYaml = null, string ns = "kube-system",
        string? image = null, IReadOnlyList<string>? watch = null, IReadOnlyDictionary<string, bool>? gates = null) =>
        KubeRayOperatorRenderer.Render(new KubeRayOperatorInstallOptions
        {
            Version = version,
            Namespace = ns,
            Values = valuesYaml is null ? null : (JsonObject)YamlJson.ParseDocuments(valuesYaml, "test-values.yaml")[0]!,
            Image = image,
            WatchNamespaces = watch,
            FeatureGates = gates,
        });

    private static JsonObject One(KubeRayOperatorManifest m, string kind, string? name = null, string? ns = null) =>
        m.Objects.Single(o => o["kind"]!.GetValue<string>() == kind
            && (name is null || o["metadata"]!["name"]!.GetValue<string>() == name)
            && (ns is null || o["metadata"]!["namespace"]?.GetValue<string>() == ns));

    private static List<string> Strings(JsonNode? array) => ((JsonArray)array!).Select(n => n!.GetValue<string>()).ToList();

    private static JsonObject Container(KubeRayOperatorManifest m) =>
        (JsonObject)One(m, "Deployment")["spec"]!["template"]!["spec"]!["containers"]![0]!;

    private static List<string> Ids(KubeRayOperatorManifest m) =>
        m.Objects.Select(o => $"{o["kind"]}/{o["metadata"]!["namespace"]?.GetValue<string>() ?? ""}/{o["metadata"]!["name"]}").ToList();

    [Fact]
    public void Defaults142RenderTheChartsObjectsInInstallOrder()
    {
        var m = Render("1.4.2");
        Assert.Equal(new[]
        {
            "ServiceAccount/kube-system/kuberay-operator",
            "ClusterRole//kuberay-operator",
            "ClusterRole//rayjob-editor-role", "ClusterRole//rayjob-viewer-role",
            "ClusterRole//rayservice-editor-role", "ClusterRole//rayservice-viewer-role",
            "ClusterRoleBinding//kuberay-operator",
            "Role/kube-system/kuberay-operator-leader-election",
            "RoleBinding/kube-system/kuberay-operator-leader-election",
            "Service/kube-system/kuberay-operator",
            "Deployment/kube-system/kuberay-operator",
        }, Ids(m));
        Assert.Equal(new[] { "rayclusters.ray.io", "rayjobs.ray.io", "rayservices.ray.io" }, m.Crds.Select(c => c["metadata"]!["name"]!.GetValue<string>()));
        Assert.Equal("kuberay-operator", m.DeploymentName);
    }

    [Fact]
    public void Defaults142DeploymentIsTheTemplatesWithValuesYaml()
    {
        var m = Render("1.4.2");
        var d = One(m, "Deployment");
        var labels = (JsonObject)d["metadata"]!["labels"]!;
        Assert.Equal("kuberay-operator", labels["app.kubernetes.io/name"]!.GetValue<string>());
        Assert.Equal("kuberay-operator-1.4.2", labels["helm.sh/chart"]!.GetValue<string>());
        Assert.Equal("kuberay-operator", labels["app.kubernetes.io/instance"]!.GetValue<string>());
        Assert.Equal("RayPS", labels["app.kubernetes.io/managed-by"]!.GetValue<string>());
        Assert.False(labels.ContainsKey("app.kubernetes.io/version")); // the chart has no appVersion
        Assert.Equal(1, d["spec"]!["replicas"]!.AsInt());
        Assert.Equal("Recreate", d["spec"]!["strategy"]!["type"]!.GetValue<string>());
        Assert.Equal("kuberay-operator", d["spec"]!["template"]!["metadata"]!["labels"]!["app.kubernetes.io/component"]!.GetValue<string>());
        Assert.Equal("kuberay-operator", d["spec"]!["template"]!["spec"]!["serviceAccountName"]!.GetValue<string>());
        Assert.Null(d["spec"]!["template"]!["spec"]!["volumes"]);
        var c = Container(m);
        Assert.Equal("kuberay-operator", c["name"]!.GetValue<string>());
        Assert.Equal("quay.io/kuberay/operator:v1.4.2", c["image"]!.GetValue<string>());
        Assert.Equal("IfNotPresent", c["imagePullPolicy"]!.GetValue<string>());
        Assert.Equal(new[] { "/manager" }, Strings(c["command"]));
        // 1.4.2 puts --feature-gates first.
        Assert.Equal(new[]
        {
            "--feature-gates=RayClusterStatusConditions=true,RayJobDeletionPolicy=false",
            "--log-stdout-encoder", "json", "--log-file-encoder", "json",
            "--enable-leader-election=true", "--enable-metrics=true",
        }, Strings(c["args"]));
        Assert.Equal(8080, c["ports"]![0]!["containerPort"]!.AsInt());
        Assert.Equal("/metrics", c["livenessProbe"]!["httpGet"]!["path"]!.GetValue<string>());
        Assert.Equal("http", c["readinessProbe"]!["httpGet"]!["port"]!.GetValue<string>());
        Assert.Equal(10, c["readinessProbe"]!["initialDelaySeconds"]!.AsInt());
        Assert.Equal(5, c["livenessProbe"]!["failureThreshold"]!.AsInt());
        Assert.Equal("100m", c["resources"]!["limits"]!["cpu"]!.GetValue<string>());
        Assert.Equal("512Mi", c["resources"]!["limits"]!["memory"]!.GetValue<string>());
        Assert.False(c["securityContext"]!["allowPrivilegeEscalation"]!.GetValue<bool>());
        Assert.Equal(new[] { "ALL" }, Strings(c["securityContext"]!["capabilities"]!["drop"]));
        Assert.Equal("RuntimeDefault", c["securityContext"]!["seccompProfile"]!["type"]!.GetValue<string>());
        Assert.Null(c["env"]);
        Assert.Null(d["spec"]!["template"]!["spec"]!["securityContext"]); // podSecurityContext {} renders nothing

        var svc = One(m, "Service");
        Assert.Equal("ClusterIP", svc["spec"]!["type"]!.GetValue<string>());
        Assert.Equal(8080, svc["spec"]!["ports"]![0]!["port"]!.AsInt());
        Assert.Equal("http", svc["spec"]!["ports"]![0]!["targetPort"]!.GetValue<string>());
    }

    [Fact]
    public void Defaults170AddRayCronJobAndPutFeatureGatesLast()
    {
        var m = Render("1.7.0");
        Assert.Equal(new[] { "rayclusters.ray.io", "raycronjobs.ray.io", "rayjobs.ray.io", "rayservices.ray.io" }, m.Crds.Select(c => c["metadata"]!["name"]!.GetValue<string>()));
        Assert.Equal(m.Crds.Select(c => c["metadata"]!["name"]!.GetValue<string>()), m.CrdNames);
        Assert.Contains("ClusterRole//raycronjob-editor-role", Ids(m));
        Assert.Contains("ClusterRole//raycronjob-viewer-role", Ids(m));
        Assert.Equal(17 - 4, m.Objects.Count);
        var c = Container(m);
        Assert.Equal("quay.io/kuberay/operator:v1.7.0", c["image"]!.GetValue<string>());
        Assert.Equal(new[]
        {
            "--log-stdout-encoder", "json", "--log-file-encoder", "json",
            "--enable-leader-election=true", "--enable-metrics=true",
            "--reconcile-concurrency=1", "--qps=100", "--burst=200",
            "--feature-gates=RayClusterStatusConditions=true,RayJobDeletionPolicy=true,RayMultiHostIndexing=true,RayServiceIncrementalUpgrade=true," +
            "RayCronJob=false,RayClusterMTLS=false,RayClusterNetworkPolicy=false,RayClusterHistoryServer=false",
        }, Strings(c["args"]));
        Assert.Equal("kuberay-operator-1.7.0", One(m, "Deployment")["metadata"]!["labels"]!["helm.sh/chart"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("1.4.2", 16)]
    [InlineData("1.7.0", 24)]
    public void ClusterRoleRulesAreTheHelpersConsistentRules(string version, int ruleCount)
    {
        var m = Render(version);
        var rules = (JsonArray)One(m, "ClusterRole", "kuberay-operator")["rules"]!;
        Assert.Equal(ruleCount, rules.Count);
        var ray = rules.Single(r => Strings(r!["apiGroups"]).SequenceEqual(new[] { "ray.io" }) && Strings(r!["resources"]).Contains("rayclusters"));
        Assert.Equal(new[] { "create", "delete", "get", "list", "patch", "update", "watch" }, Strings(ray!["verbs"]));
        Assert.DoesNotContain(rules, r => Strings(r!["apiGroups"]).Contains("scheduling.volcano.sh"));
        Assert.Equal(version == "1.7.0", rules.Any(r => Strings(r!["apiGroups"]).Contains("cert-manager.io")));

        var leader = (JsonArray)One(m, "Role", "kuberay-operator-leader-election")["rules"]!;
        Assert.Equal(new[] { "", "", "coordination.k8s.io" }, leader.Select(r => Strings(r!["apiGroups"])[0]));
        var editor = One(m, "ClusterRole", "rayjob-editor-role");
        Assert.Equal("RayPS", editor["metadata"]!["labels"]!["app.kubernetes.io/managed-by"]!.GetValue<string>());
        Assert.Equal(new[] { "rayjobs/status" }, Strings(editor["rules"]![1]!["resources"]));
        var binding = One(m, "ClusterRoleBinding");
        Assert.Equal("kube-system", binding["subjects"]![0]!["namespace"]!.GetValue<string>());
        Assert.Equal("kuberay-operator", binding["roleRef"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public void ValuesFileChangingEveryKeyRendersEachChange142()
    {
        const string values = """
            image:
              repository: registry.example.com/kuberay/operator
              tag: v1.4.2-patched
              pullPolicy: Always
            watchNamespace: [team-a, team-b]
            singleNamespaceInstall: true
            featureGates:
            - name: RayClusterStatusConditions
              enabled: false
            - name: RayJobDeletionPolicy
              enabled: true
            batchScheduler:
              enabled: true
            env:
            - name: ENABLE_INIT_CONTAINER_INJECTION
              value: "false"
            resources:
              limits: {cpu: "1", memory: 1Gi}
              requests: {cpu: 200m, memory: 256Mi}
            leaderElectionEnabled: false
            rbacEnable: true
            labels: {team: ml}
            annotations: {owner: platform}
            podSecurityContext: {fsGroup: 2000}
            securityContext: {runAsNonRoot: true}
            service: {type: NodePort, port: 9090}
            livenessProbe: {initialDelaySeconds: 20, periodSeconds: 7, failureThreshold: 3}
            readinessProbe: {initialDelaySeconds: 15, periodSeconds: 6, failureThreshold: 4}
            logging: {baseDir: /var/log/kuberay, fileName: operator.log, sizeLimit: 1Gi}
            metrics: {enabled: false}
            serviceAccount: {create: true, name: ray-op}
            tolerations: [{key: dedicated, operator: Exists}]
            nodeSelector: {pool: system}
            """;
        var m = Render("1.4.2", values);
        Assert.Equal(new[]
        {
            "ServiceAccount/kube-system/ray-op",
            "Role/kube-system/kuberay-operator-leader-election",
            "RoleBinding/kube-system/kuberay-operator-leader-election",
            "Role/team-a/kuberay-operator", "Role/team-b/kuberay-operator",
            "RoleBinding/team-a/kuberay-operator", "RoleBinding/team-b/kuberay-operator",
            "Service/kube-system/kuberay-operator",
            "Deployment/kube-system/kuberay-operator",
        }, Ids(m));
        var c = Container(m);
        Assert.Equal("registry.example.com/kuberay/operator:v1.4.2-patched", c["image"]!.GetValue<string>());
        Assert.Equal("Always", c["imagePullPolicy"]!.GetValue<string>());
        Assert.Equal(new[]
        {
            "--feature-gates=RayClusterStatusConditions=false,RayJobDeletionPolicy=true",
            "--enable-batch-scheduler",
            "--watch-namespace", "team-a,team-b",
            "--log-file-path", "/var/log/kuberay/operator.log",
            "--log-stdout-encoder", "json", "--log-file-encoder", "json",
            "--enable-leader-election=false", "--enable-metrics=false",
        }, Strings(c["args"]));
        Assert.Equal("ENABLE_INIT_CONTAINER_INJECTION", c["env"]![0]!["name"]!.GetValue<string>());
        Assert.Equal("200m", c["resources"]!["requests"]!["cpu"]!.GetValue<string>());
        // Helm merges maps over the defaults: the chart's other securityContext keys stay.
        Assert.True(c["securityContext"]!["runAsNonRoot"]!.GetValue<bool>());
        Assert.True(c["securityContext"]!["readOnlyRootFilesystem"]!.GetValue<bool>());
        Assert.Equal(20, c["livenessProbe"]!["initialDelaySeconds"]!.AsInt());
        Assert.Equal(4, c["readinessProbe"]!["failureThreshold"]!.AsInt());
        Assert.Equal("/var/log/kuberay", c["volumeMounts"]![0]!["mountPath"]!.GetValue<string>());
        var d = One(m, "Deployment");
        var pod = d["spec"]!["template"]!;
        Assert.Equal("ml", d["metadata"]!["labels"]!["team"]!.GetValue<string>());
        Assert.Equal("ml", pod["metadata"]!["labels"]!["team"]!.GetValue<string>());
        Assert.Equal("platform", pod["metadata"]!["annotations"]!["owner"]!.GetValue<string>());
        Assert.Equal(2000, pod["spec"]!["securityContext"]!["fsGroup"]!.AsInt());
        Assert.Equal("1Gi", pod["spec"]!["volumes"]![0]!["emptyDir"]!["sizeLimit"]!.GetValue<string>());
        Assert.Equal("ray-op", pod["spec"]!["serviceAccountName"]!.GetValue<string>());
        Assert.Equal("dedicated", pod["spec"]!["tolerations"]![0]!["key"]!.GetValue<string>());
        Assert.Equal("system", pod["spec"]!["nodeSelector"]!["pool"]!.GetValue<string>());
        var svc = One(m, "Service");
        Assert.Equal("NodePort", svc["spec"]!["type"]!.GetValue<string>());
        Assert.Equal(9090, svc["spec"]!["ports"]![0]!["port"]!.AsInt());

        // batchScheduler.enabled brings the volcano (with 1.4.2's CRD get) and scheduler-plugins rules into the namespaced Roles.
        var rules = (JsonArray)One(m, "Role", "kuberay-operator", "team-a")["rules"]!;
        Assert.Equal(16 + 3, rules.Count);
        Assert.Contains(rules, r => Strings(r!["apiGroups"]).Contains("scheduling.volcano.sh"));
        Assert.Contains(rules, r => Strings(r!["apiGroups"]).Contains("scheduling.x-k8s.io"));
        Assert.Contains(rules, r => Strings(r!["apiGroups"]).Contains("apiextensions.k8s.io"));
        var rb = One(m, "RoleBinding", "kuberay-operator", "team-b");
        Assert.Equal("ray-op", rb["subjects"]![0]!["name"]!.GetValue<string>());
        Assert.Equal("kube-system", rb["subjects"]![0]!["namespace"]!.GetValue<string>());
    }

    [Fact]
    public void RbacDisabledRendersNoRbacObjects()
    {
        var m = Render("1.7.0", "rbacEnable: false\nserviceAccount: {create: false}\n");
        Assert.Equal(new[] { "Service/kube-system/kuberay-operator", "Deployment/kube-system/kuberay-operator" }, Ids(m));
        // serviceAccount.name keeps the chart's "kuberay-operator" (maps merge), so the pod still names it.
        Assert.Equal("kuberay-operator", One(m, "Deployment")["spec"]!["template"]!["spec"]!["serviceAccountName"]!.GetValue<string>());
        var unnamed = Render("1.7.0", "serviceAccount: {create: false, name: null}\n");
        Assert.Equal("default", One(unnamed, "Deployment")["spec"]!["template"]!["spec"]!["serviceAccountName"]!.GetValue<string>());
    }

    [Fact]
    public void SingleNamespaceInstallWithoutWatchListWatchesTheReleaseNamespace()
    {
        var m = Render("1.7.0", "singleNamespaceInstall: true\n", ns: "ray-system");
        Assert.Contains("Role/ray-system/kuberay-operator", Ids(m));
        Assert.Contains("RoleBinding/ray-system/kuberay-operator", Ids(m));
        Assert.DoesNotContain(m.Objects, o => o["kind"]!.GetValue<string>() is "ClusterRole" or "ClusterRoleBinding");
        var args = Strings(Container(m)["args"]);
        Assert.Equal("ray-system", args[args.IndexOf("--watch-namespace") + 1]);
    }

    [Fact]
    public void Values170KeysReplicasSchedulingConfigurationAndWasGate()
    {
        const string values = """
            replicas: 2
            priorityClassName: system-cluster-critical
            imagePullSecrets: [{name: regcred}]
            affinity: {nodeAffinity: {}}
            reconcileConcurrency: 4
            kubeClient: {qps: 50.5, burst: 80}
            batchScheduler: {name: volcano}
            featureGates:
            - name: KubernetesWAS
              enabled: true
            """;
        var m = Render("1.7.0", values);
        var d = One(m, "Deployment");
        Assert.Equal(2, d["spec"]!["replicas"]!.AsInt());
        var pod = d["spec"]!["template"]!["spec"]!;
        Assert.Equal("system-cluster-critical", pod["priorityClassName"]!.GetValue<string>());
        Assert.Equal("regcred", pod["imagePullSecrets"]![0]!["name"]!.GetValue<string>());
        Assert.NotNull(pod["affinity"]);
        Assert.Equal(new[]
        {
            "--batch-scheduler=volcano",
            "--log-stdout-encoder", "json", "--log-file-encoder", "json",
            "--enable-leader-election=true", "--enable-metrics=true",
            "--reconcile-concurrency=4", "--qps=50.5", "--burst=80",
            "--feature-gates=KubernetesWAS=true",
        }, Strings(Container(m)["args"]));
        var rules = (JsonArray)One(m, "ClusterRole", "kuberay-operator")["rules"]!;
        Assert.Equal(24 + 2, rules.Count); // scheduling.k8s.io (KubernetesWAS) and volcano (by name)
        Assert.Contains(rules, r => Strings(r!["apiGroups"]).Contains("scheduling.k8s.io"));
        Assert.DoesNotContain(rules, r => Strings(r!["apiGroups"]).Contains("scheduling.x-k8s.io"));

        var configured = Render("1.7.0", "configuration: {enabled: true}\nwatchNamespace: [a]\n");
        Assert.Equal(new[] { "--config", "/etc/kuberay/config.yaml", "--feature-gates=RayClusterStatusConditions=true,RayJobDeletionPolicy=true,RayMultiHostIndexing=true,RayServiceIncrementalUpgrade=true,RayCronJob=false,RayClusterMTLS=false,RayClusterNetworkPolicy=false,RayClusterHistoryServer=false" },
            Strings(Container(configured)["args"]));
        var config = One(configured, "ConfigMap", "kuberay-operator-config")["data"]!["config.yaml"]!.GetValue<string>();
        Assert.Contains("enableLeaderElection: true\n", config, StringComparison.Ordinal);
        Assert.Contains("watchNamespace: \"a\"\n", config, StringComparison.Ordinal);
        Assert.Contains("qps: 100\n", config, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidReconcileConcurrencyFailsAsTheChartDoes()
    {
        var ex = Assert.Throws<RayPSException>(() => Render("1.7.0", "reconcileConcurrency: 0\n"));
        Assert.Equal(ErrorIds.InvalidOperatorValues, ex.ErrorId);
        Assert.Contains("values.reconcileConcurrency must be a positive integer", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParametersGoOverTheValuesFile()
    {
        var m = Render("1.4.2", "watchNamespace: [x]\n", image: "mirror.local/kuberay:v9", watch: new[] { "a", "b" },
            gates: new Dictionary<string, bool> { ["RayJobDeletionPolicy"] = true, ["NewGate"] = false });
        var c = Container(m);
        Assert.Equal("mirror.local/kuberay:v9", c["image"]!.GetValue<string>());
        var args = Strings(c["args"]);
        Assert.Equal("--feature-gates=RayClusterStatusConditions=true,RayJobDeletionPolicy=true,NewGate=false", args[0]);
        Assert.Equal("a,b", args[args.IndexOf("--watch-namespace") + 1]);
        var ex = Assert.Throws<RayPSException>(() => Render("1.4.2", image: "no-tag-image"));
        Assert.Equal(ErrorIds.InvalidOperatorValues, ex.ErrorId);
    }

    [Theory]
    [InlineData("1.5.0")]
    [InlineData("latest")]
    public void UnsupportedVersionListsTheSupportedOnes(string version)
    {
        var ex = Assert.Throws<RayPSException>(() => Render(version));
        Assert.Equal(ErrorIds.KubeRayVersionNotSupported, ex.ErrorId);
        Assert.Contains("1.4.2, 1.7.0", ex.Message, StringComparison.Ordinal);
        Assert.Equal("1.7.0", KubeRayOperatorChart.Normalize("v1.7.0"));
    }

    [Theory]
    [InlineData("1.4.2", "ray.io_rayclusters.yaml")]
    [InlineData("1.7.0", "ray.io_raycronjobs.yaml")]
    public void CrdsAreShippedVerbatim(string version, string file)
    {
        // The chart as published (the shared reference data when present, else the copy in the source tree).
        var root = RepoRoot();
        var shared = Path.Combine(Path.GetDirectoryName(root)!, "shared", "kuberay", "v" + version, "kuberay-operator-chart", "crds", file);
        var source = File.Exists(shared) ? shared : Path.Combine(root, "src", "RayPS.Client", "Charts", "kuberay-operator", version, "crds", file);
        Assert.Equal(File.ReadAllText(source), KubeRayOperatorChart.CrdText(version, file));
        Assert.Equal(KubeRayOperatorChart.CrdFiles(version).Count, version == "1.4.2" ? 3 : 4);
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "RayPS.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("repository root not found");
    }
}

internal static class JsonNumberExtensions
{
    /// <summary>An integer node whatever .NET type backs it.</summary>
    public static int AsInt(this JsonNode node) => int.Parse(node.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture);
}
