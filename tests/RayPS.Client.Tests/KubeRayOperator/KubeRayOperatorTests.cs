using RayPS.Client.Tests.Support;
using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using RayPS.Errors;
using RayPS.Kube;
using RayPS.Operations;

namespace RayPS.Client.Tests.KubeRayOperator;

public sealed class KubeRayOperatorTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-03-01T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Answers the five requests of Get-KubeRayOperator from canned objects; thread-safe.</summary>
    private sealed class FakeKube : DelegatingHandler
    {
        public List<JsonObject> Deployments { get; } = new();
        public List<JsonObject> Pods { get; } = new();
        public Dictionary<string, JsonObject> Crds { get; } = new();
        public int? DeploymentStatus { get; set; }
        public int? CrdStatus { get; set; }
        public ConcurrentQueue<string> Requests { get; } = new();

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var path = Uri.UnescapeDataString(request.RequestUri!.PathAndQuery);
            Requests.Enqueue(path);
            var abs = request.RequestUri.AbsolutePath;
            if (abs.EndsWith("/deployments", StringComparison.Ordinal))
            {
                return Task.FromResult(DeploymentStatus is { } s ? Status(s, "deployments.apps is forbidden: User \"dev\" cannot list resource \"deployments\" in API group \"apps\" at the cluster scope") : List(Deployments));
            }
            if (abs.EndsWith("/pods", StringComparison.Ordinal))
            {
                return Task.FromResult(List(Pods));
            }
            var name = abs.Split('/')[^1];
            if (CrdStatus is { } crdStatus)
            {
                return Task.FromResult(Status(crdStatus, "forbidden"));
            }
            return Task.FromResult(Crds.TryGetValue(name, out var crd) ? Json(200, crd.ToJsonString())
                : Status(404, $"customresourcedefinitions.apiextensions.k8s.io \"{name}\" not found"));
        }

        private static HttpResponseMessage List(List<JsonObject> items) =>
            Json(200, new JsonObject { ["items"] = new JsonArray(items.Select(i => (JsonNode)i.DeepClone()).ToArray()) }.ToJsonString());

        private static HttpResponseMessage Status(int code, string message) =>
            Json(code, new JsonObject { ["kind"] = "Status", ["apiVersion"] = "v1", ["status"] = "Failure", ["message"] = message, ["reason"] = code == 403 ? "Forbidden" : "NotFound", ["code"] = code }.ToJsonString());

        private static HttpResponseMessage Json(int status, string body) =>
            new((HttpStatusCode)status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };

        public KubeConnection Connect() =>
            KubeConnection.Create(new KubernetesClientConfiguration { Host = "https://fake.example:6443", AccessToken = "t" }, "fake-context", new RetryHandler { BaseDelay = TimeSpan.FromMilliseconds(1) }, this);
    }

    private static JsonObject Operator(string ns = "kube-system", string name = "kuberay-operator", int desired = 1, int ready = 1,
        string image = "quay.io/kuberay/operator:v1.4.2", string appName = "kuberay-operator", string? component = null, string? args = null) => new()
    {
        ["metadata"] = new JsonObject
        {
            ["name"] = name, ["namespace"] = ns,
            ["labels"] = new JsonObject { ["app.kubernetes.io/name"] = appName, ["app.kubernetes.io/component"] = component, ["helm.sh/chart"] = "kuberay-operator-1.4.2" },
        },
        ["spec"] = new JsonObject
        {
            ["replicas"] = desired,
            ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app.kubernetes.io/name"] = appName, ["app.kubernetes.io/instance"] = name } },
            ["template"] = new JsonObject { ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject
            {
                ["name"] = "kuberay-operator", ["image"] = image, ["args"] = args is null ? new JsonArray() : new JsonArray(args),
            }) } },
        },
        ["status"] = new JsonObject { ["replicas"] = desired, ["readyReplicas"] = ready },
    };

    private static JsonObject OperatorPod(string name, string ns = "kube-system", int restarts = 0, bool crashLoop = false, string appName = "kuberay-operator", string instance = "kuberay-operator") => new()
    {
        ["metadata"] = new JsonObject
        {
            ["name"] = name, ["namespace"] = ns,
            ["labels"] = new JsonObject { ["app.kubernetes.io/name"] = appName, ["app.kubernetes.io/instance"] = instance },
        },
        ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "kuberay-operator", ["image"] = "quay.io/kuberay/operator:v1.4.2" }) },
        ["status"] = new JsonObject
        {
            ["phase"] = "Running",
            ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = crashLoop ? "False" : "True" }),
            ["containerStatuses"] = new JsonArray(new JsonObject
            {
                ["name"] = "kuberay-operator", ["ready"] = !crashLoop, ["restartCount"] = restarts,
                ["state"] = crashLoop ? new JsonObject { ["waiting"] = new JsonObject { ["reason"] = "CrashLoopBackOff", ["message"] = "back-off 40s" } } : new JsonObject { ["running"] = new JsonObject() },
            }),
        },
    };

    /// <summary>The golden CRD (77-crd-get.json), renamed for rayjobs and rayservices.</summary>
    private static JsonObject Crd(string plural, string kind)
    {
        var golden = JsonNode.Parse(File.ReadAllText(SharedData.Path("kube-golden", "77-crd-get.json")))!["response"]!["body"]!.AsObject();
        golden["metadata"]!["name"] = $"{plural}.ray.io";
        golden["spec"]!["names"]!["kind"] = kind;
        return golden;
    }

    private static FakeKube AllCrds(FakeKube fake)
    {
        fake.Crds["rayclusters.ray.io"] = Crd("rayclusters", "RayCluster");
        fake.Crds["rayjobs.ray.io"] = Crd("rayjobs", "RayJob");
        fake.Crds["rayservices.ray.io"] = Crd("rayservices", "RayService");
        return fake;
    }

    private static Task<OperatorReport> Get(FakeKube fake, string? ns = null) =>
        KubeRayOperatorOperations.GetAsync(fake.Connect(), ns, CancellationToken.None, () => Now);

    [Fact]
    public async Task Healthy_helm_install_with_five_requests()
    {
        var fake = AllCrds(new FakeKube());
        fake.Deployments.Add(Operator());
        fake.Pods.Add(OperatorPod("kuberay-operator-5d8f9c-abcde", restarts: 1));
        fake.Pods.Add(OperatorPod("unrelated", ns: "default"));
        var report = await Get(fake);

        var op = Assert.Single(report.Operators);
        Assert.Equal(KubeRayOperatorStatus.Healthy, op.Status);
        Assert.Equal("", op.Hint);
        Assert.Equal("kube-system", op.Namespace);
        Assert.Equal("kuberay-operator", op.Name);
        Assert.Equal("1/1", op.Ready);
        Assert.Equal("v1.4.2", op.Version);
        Assert.Equal("quay.io/kuberay/operator:v1.4.2", op.Image);
        Assert.Equal(1, op.Restarts);
        Assert.Equal(new[] { "kuberay-operator-5d8f9c-abcde" }, op.Pods);
        Assert.Equal("rayclusters(v1,v1alpha1) rayjobs(v1,v1alpha1) rayservices(v1,v1alpha1)", op.CrdSummary);
        Assert.Equal("v1", op.Crds[0].StorageVersion);
        Assert.True(op.Crds[0].Established);
        Assert.Empty(report.Warnings);

        var requests = fake.Requests.ToList();
        Assert.Equal(5, requests.Count);
        Assert.Contains("/apis/apps/v1/deployments?labelSelector=app.kubernetes.io/name in (kuberay-operator,kuberay)", requests);
        Assert.Contains("/api/v1/pods?labelSelector=app.kubernetes.io/name in (kuberay-operator,kuberay)", requests);
        Assert.Contains("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/rayclusters.ray.io", requests);
        Assert.Contains("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/rayjobs.ray.io", requests);
        Assert.Contains("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/rayservices.ray.io", requests);
    }

    [Fact]
    public async Task Nothing_found_is_one_NotInstalled_object_with_the_install_command()
    {
        var report = await Get(new FakeKube());
        var op = Assert.Single(report.Operators);
        Assert.Equal(KubeRayOperatorStatus.NotInstalled, op.Status);
        Assert.Equal("", op.Name);
        Assert.Equal("", op.Ready);
        Assert.StartsWith("KubeRay is not installed: no Deployment labelled app.kubernetes.io/name=kuberay-operator (or kuberay) in any namespace and no ray.io CRDs.", op.Hint);
        Assert.Contains("helm install kuberay-operator kuberay/kuberay-operator", op.Hint);
        Assert.Equal("rayclusters(missing) rayjobs(missing) rayservices(missing)", op.CrdSummary);
    }

    [Fact]
    public async Task Crds_without_operator_say_so()
    {
        var report = await Get(AllCrds(new FakeKube()), "ray-system");
        var op = Assert.Single(report.Operators);
        Assert.Equal(KubeRayOperatorStatus.NotInstalled, op.Status);
        Assert.Contains("The ray.io CRDs are installed (rayclusters(v1,v1alpha1)", op.Hint);
        Assert.Contains("in namespace 'ray-system'", op.Hint);
        Assert.Contains("Search every namespace by leaving out -Namespace", op.Hint);
    }

    [Fact]
    public async Task Crash_looping_operator_and_missing_crd_are_degraded_with_hints()
    {
        var fake = AllCrds(new FakeKube());
        fake.Crds.Remove("rayjobs.ray.io");
        fake.Deployments.Add(Operator(ready: 0));
        fake.Pods.Add(OperatorPod("kuberay-operator-5d8f9c-abcde", restarts: 7, crashLoop: true));
        var op = Assert.Single((await Get(fake)).Operators);

        Assert.Equal(KubeRayOperatorStatus.Degraded, op.Status);
        Assert.Contains("0/1 replicas ready", op.Hint);
        Assert.Contains("pod kuberay-operator-5d8f9c-abcde: CrashLoopBackOff (back-off 40s), 7 restarts; see kubectl logs kuberay-operator-5d8f9c-abcde -n kube-system --previous", op.Hint);
        Assert.Contains("CRD rayjobs.ray.io is missing, so RayJob objects cannot be created", op.Hint);
        Assert.Equal("rayclusters(v1,v1alpha1) rayjobs(missing) rayservices(v1,v1alpha1)", op.CrdSummary);
    }

    [Fact]
    public async Task Missing_rayjobs_crd_is_a_note_but_missing_rayclusters_crd_degrades()
    {
        var fake = AllCrds(new FakeKube());
        fake.Crds.Remove("rayjobs.ray.io");
        fake.Deployments.Add(Operator());
        var op = Assert.Single((await Get(fake)).Operators);
        Assert.Equal(KubeRayOperatorStatus.Healthy, op.Status);
        Assert.StartsWith("CRD rayjobs.ray.io is missing, so RayJob objects cannot be created", op.Hint);

        fake.Crds.Remove("rayclusters.ray.io");
        op = Assert.Single((await Get(fake)).Operators);
        Assert.Equal(KubeRayOperatorStatus.Degraded, op.Status);
        Assert.StartsWith("CRD rayclusters.ray.io is missing, so RayCluster objects cannot be created", op.Hint);
    }

    [Fact]
    public async Task Scaled_to_zero_is_degraded()
    {
        var fake = AllCrds(new FakeKube());
        fake.Deployments.Add(Operator(desired: 0, ready: 0));
        var op = Assert.Single((await Get(fake)).Operators);
        Assert.Equal(KubeRayOperatorStatus.Degraded, op.Status);
        Assert.StartsWith("scaled to 0 replicas", op.Hint);
    }

    [Fact]
    public async Task Crd_without_v1_is_degraded()
    {
        var fake = AllCrds(new FakeKube());
        fake.Crds["rayclusters.ray.io"]["spec"]!["versions"] = new JsonArray(new JsonObject { ["name"] = "v1alpha1", ["served"] = true, ["storage"] = true });
        fake.Deployments.Add(Operator(image: "kuberay/operator:v0.6.0"));
        var op = Assert.Single((await Get(fake)).Operators);
        Assert.Equal(KubeRayOperatorStatus.Degraded, op.Status);
        Assert.Equal("v0.6.0", op.Version);
        Assert.Contains("does not serve ray.io/v1 (served: v1alpha1)", op.Hint);
    }

    [Fact]
    public async Task Kustomize_labels_find_the_operator_but_not_the_apiserver()
    {
        var fake = AllCrds(new FakeKube());
        fake.Deployments.Add(Operator(ns: "ray-system", appName: "kuberay", component: "kuberay-operator", image: "quay.io/kuberay/operator@sha256:abc"));
        fake.Deployments.Add(Operator(ns: "ray-system", name: "kuberay-apiserver", appName: "kuberay", component: "kuberay-apiserver"));
        var op = Assert.Single((await Get(fake)).Operators);
        Assert.Equal("ray-system", op.Namespace);
        Assert.Equal("1.4.2", op.Version);
    }

    [Fact]
    public async Task Two_operators_without_watch_namespace_compete()
    {
        var fake = AllCrds(new FakeKube());
        fake.Deployments.Add(Operator());
        fake.Deployments.Add(Operator(ns: "ray-system"));
        var ops = (await Get(fake)).Operators;
        Assert.Equal(2, ops.Count);
        Assert.All(ops, o => Assert.Equal(KubeRayOperatorStatus.Degraded, o.Status));
        Assert.Contains("another KubeRay operator runs too (ray-system/kuberay-operator)", ops[0].Hint);

        var scoped = AllCrds(new FakeKube());
        scoped.Deployments.Add(Operator(args: "--watch-namespace=team-a"));
        scoped.Deployments.Add(Operator(ns: "ray-system"));
        Assert.All((await Get(scoped)).Operators, o => Assert.Equal(KubeRayOperatorStatus.Healthy, o.Status));
    }

    [Fact]
    public async Task Forbidden_cluster_wide_list_suggests_namespace()
    {
        var fake = new FakeKube { DeploymentStatus = 403 };
        var ex = await Assert.ThrowsAsync<RayPSException>(() => Get(fake));
        Assert.Equal(ErrorIds.KubeApiForbidden, ex.ErrorId);
        Assert.Contains("cannot list deployments (apps) across all namespaces", ex.Message);
        Assert.Contains("pass -Namespace", ex.Message);
    }

    [Fact]
    public async Task Unreadable_crds_are_unknown_with_a_warning()
    {
        var fake = new FakeKube { CrdStatus = 403 };
        fake.Deployments.Add(Operator());
        var report = await Get(fake);
        var op = Assert.Single(report.Operators);
        Assert.All(op.Crds, c => Assert.Null(c.Installed));
        Assert.Equal(KubeRayOperatorStatus.Healthy, op.Status);
        Assert.Contains("not checked: no permission to get customresourcedefinitions", op.Hint);
        Assert.Contains(report.Warnings, w => w.Contains("customresourcedefinitions", StringComparison.Ordinal));
        Assert.Equal("rayclusters(?) rayjobs(?) rayservices(?)", op.CrdSummary);
    }

    [Theory]
    [InlineData("quay.io/kuberay/operator:v1.4.2", "v1.4.2")]
    [InlineData("localhost:5000/kuberay/operator:v1.5.0-rc.1", "v1.5.0-rc.1")]
    [InlineData("localhost:5000/kuberay/operator", null)]
    [InlineData("quay.io/kuberay/operator:v1.4.2@sha256:abc", "v1.4.2")]
    public void Version_is_the_image_tag(string image, string? version) =>
        Assert.Equal(version, KubeRayOperatorFacts.VersionOf(image));
}
