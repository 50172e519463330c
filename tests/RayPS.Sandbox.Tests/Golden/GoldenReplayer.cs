using System.Net.Http.Headers;
using System.Text;

namespace RayPS.Sandbox.Tests.Golden;

/// <summary>What the sandbox answered to a scenario's request.</summary>
public sealed record GoldenOutcome(int Status, IReadOnlyDictionary<string, IReadOnlyList<string>> Headers, JsonNode? Body, IReadOnlyList<string> UnhandledSetup);

/// <summary>
/// Replays the recorded scenarios in order against one sandbox started in the recorded state
/// (no CRD, Deployment controller only). Each file's setup is performed idempotently ("ensure"),
/// scenarios of the other set that changed state (gaps in the numbering) are re-enacted, and
/// objects a create scenario made are removed afterwards unless a later scenario refers to them —
/// as the recorder did between scenarios.
/// </summary>
public sealed class GoldenReplayer : IAsyncLifetime
{
    private const string RayClusters = "/apis/ray.io/v1/namespaces/{0}/rayclusters";
    private const string Crd = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/rayclusters.ray.io";
    private const string Deployment = "/apis/apps/v1/namespaces/default/deployments/ray-cluster-npu-workergroup";

    private readonly Dictionary<int, Task<GoldenOutcome>> _outcomes = [];
    private KubeSandbox? _sandbox;
    private SandboxClient? _client;
    private int _lastNumber;
    private string? _staleRv;
    private string? _listRv;

    public IReadOnlyList<GoldenScenario> Scenarios { get; } = SharedData.Directory is null ? [] : GoldenScenario.LoadAll();

    private SandboxClient Client => _client ?? throw new InvalidOperationException("sandbox not started");

    /// <summary>Starts the sandbox and replays every scenario in file order, keeping each outcome (or failure).</summary>
    public async Task InitializeAsync()
    {
        if (Scenarios.Count == 0)
        {
            return;
        }
        _sandbox = await KubeSandbox.StartAsync(new SandboxOptions { InstallKubeRayCrd = false, Controllers = SandboxControllers.Deployment });
        _client = new SandboxClient(_sandbox);
        foreach (var scenario in Scenarios)
        {
            try
            {
                _outcomes[scenario.Number] = Task.FromResult(await PlayAsync(scenario));
            }
            catch (Exception ex)
            {
                _outcomes[scenario.Number] = Task.FromException<GoldenOutcome>(ex);
            }
        }
    }

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_sandbox is not null)
        {
            await _sandbox.StopAsync();
        }
    }

    /// <summary>The sandbox's answer to a scenario (replayed in order with all the others at fixture start).</summary>
    public Task<GoldenOutcome> OutcomeAsync(GoldenScenario scenario) => _outcomes[scenario.Number];

    private async Task<GoldenOutcome> PlayAsync(GoldenScenario scenario)
    {
        for (var gap = _lastNumber + 1; gap < scenario.Number; gap++)
        {
            if (Scenarios.All(s => s.Number != gap))
            {
                await ReenactGapAsync(gap);
            }
        }
        _lastNumber = scenario.Number;
        _listRv = null;
        var unhandled = new List<string>();
        var concurrentWrites = false;
        foreach (var step in scenario.Setup)
        {
            if (step.StartsWith("concurrently:", StringComparison.Ordinal))
            {
                concurrentWrites = true;
            }
            else if (!await SetupAsync(step))
            {
                unhandled.Add(step);
            }
        }
        var outcome = await SendAsync(scenario, concurrentWrites, unhandled);
        await Settle();
        await CleanUpAfterAsync(scenario, outcome);
        return outcome;
    }

    private Task Settle() => _sandbox!.WaitForIdleAsync(TimeSpan.FromSeconds(10));

    // ---- setup -------------------------------------------------------------------------------

    private async Task<bool> SetupAsync(string step)
    {
        switch (step)
        {
            case var s when s.StartsWith("fresh server", StringComparison.Ordinal) || s.StartsWith("CRD deleted and gone", StringComparison.Ordinal):
                await EnsureCrdAbsentAsync();
                return true;
            case var s when s.StartsWith("RayCluster CRD v1.4.2", StringComparison.Ordinal):
                await EnsureCrdAsync();
                return true;
            case var s when s.StartsWith("RayCluster default/ray-cluster created", StringComparison.Ordinal):
                await EnsureExistsAsync(string.Format(RayClusters, "default"), Manifests.RayCluster());
                return true;
            case var s when s.StartsWith("RayCluster default/ray-cluster-esc:", StringComparison.Ordinal):
                await EnsureExistsAsync(string.Format(RayClusters, "default"), EscapedStringsCluster());
                return true;
            case "namespace ray-test created":
                await EnsureExistsAsync("/api/v1/namespaces", new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = "ray-test" } });
                return true;
            case var s when s.StartsWith("RayCluster ray-test/ray-cluster-b", StringComparison.Ordinal):
                await EnsureExistsAsync(string.Format(RayClusters, "ray-test"),
                    Manifests.RayCluster("ray-cluster-b", "ray-test", new JsonObject { ["env"] = "staging" }, workers: 1));
                return true;
            case var s when s.StartsWith("client GETs ray-cluster", StringComparison.Ordinal):
                var (_, current, _) = await Client.GetAsync(string.Format(RayClusters, "default") + "/ray-cluster");
                _staleRv = JsonNodes.StringAt(current, "metadata", "resourceVersion");
                return true;
            case var s when s.StartsWith("another writer merge-patches metadata.annotations.touched=yes", StringComparison.Ordinal):
                await Expect(Client.PatchAsync(string.Format(RayClusters, "default") + "/ray-cluster", "application/merge-patch+json",
                    """{"metadata":{"annotations":{"touched":"yes"}}}"""), 200);
                return true;
            case var s when s.StartsWith("request body = ", StringComparison.Ordinal):
                return true;
            case "status.state=ready":
                await Expect(Client.PatchAsync(string.Format(RayClusters, "default") + "/ray-cluster/status", "application/merge-patch+json",
                    """{"status":{"state":"ready"}}"""), 200);
                return true;
            case var s when s.StartsWith("ray-cluster-ssa applied by fieldManager rayps (replicas ", StringComparison.Ordinal):
                var replicas = long.Parse(s["ray-cluster-ssa applied by fieldManager rayps (replicas ".Length..].TrimEnd(')'));
                var (_, live, _) = await Client.GetAsync(string.Format(RayClusters, "default") + "/ray-cluster-ssa");
                if (JsonNodes.GetInteger(JsonNodes.At(live, "spec", "workerGroupSpecs")?[0]?["replicas"]) != replicas)
                {
                    await ApplySsaAsync("rayps", replicas);
                }
                return true;
            case "ray-cluster-ssa exists":
                if ((await Client.GetAsync(string.Format(RayClusters, "default") + "/ray-cluster-ssa")).Status == 404)
                {
                    await ApplySsaAsync("rayps", 2);
                }
                return true;
            case "ray-cluster deleted":
                await EnsureDeletedAsync(string.Format(RayClusters, "default") + "/ray-cluster");
                return true;
            case var s when s.StartsWith("<rv> in the path = metadata.resourceVersion of a LIST of default/rayclusters", StringComparison.Ordinal):
                var (_, list, _) = await Client.GetAsync(string.Format(RayClusters, "default"));
                foreach (var item in (list?["items"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    await EnsureDeletedAsync(string.Format(RayClusters, "default") + "/" + JsonNodes.StringAt(item, "metadata", "name"));
                }
                (_, list, _) = await Client.GetAsync(string.Format(RayClusters, "default"));
                _listRv = JsonNodes.StringAt(list, "metadata", "resourceVersion");
                return true;
            case var s when s.StartsWith("Deployment default/ray-cluster-npu-workergroup created", StringComparison.Ordinal):
                await EnsureExistsAsync("/apis/apps/v1/namespaces/default/deployments", Manifests.WorkerDeployment());
                await Settle();
                return true;
            case "scaled to 4":
                await Expect(Client.PatchAsync(Deployment + "/scale", "application/merge-patch+json", """{"spec":{"replicas":4}}"""), 200);
                await Settle();
                return true;
            case "template patched (new ReplicaSet)":
                await Expect(Client.PatchAsync(Deployment, "application/strategic-merge-patch+json",
                    """{"spec":{"template":{"spec":{"containers":[{"name":"ray-worker","env":[{"name":"RAY_LOG_LEVEL","value":"debug"}]}]}}}}"""), 200);
                await Settle();
                return true;
            case var s when s.Contains("waited until", StringComparison.Ordinal) || s.Contains("ReplicaSets and Pods", StringComparison.Ordinal) ||
                            s.Contains("has ReplicaSets/Pods", StringComparison.Ordinal):
                await Settle();
                return true;
            case var s when s.StartsWith("Pod default/ray-cluster-head-abc created", StringComparison.Ordinal):
                await EnsureExistsAsync("/api/v1/namespaces/default/pods", Manifests.HeadPod());
                return true;
            case "headless Service default/ray-cluster-head-svc created":
                await EnsureExistsAsync("/api/v1/namespaces/default/services", Manifests.HeadService());
                await Settle();
                return true;
            case "ClusterRole raycluster-editor-golden exists, not bound":
                await EnsureExistsAsync("/apis/rbac.authorization.k8s.io/v1/clusterroles", RecordedBody(91));
                return true;
            case "RoleBinding default/viewer-raycluster-editor binds the ClusterRole to viewer":
                await EnsureExistsAsync("/apis/rbac.authorization.k8s.io/v1/clusterroles", RecordedBody(91));
                await EnsureExistsAsync("/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings", RecordedBody(93));
                return true;
            case "Node golden-node-1 exists (no kubelet behind it)":
                await EnsureExistsAsync("/api/v1/nodes", new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Node", ["metadata"] = new JsonObject { ["name"] = "golden-node-1" } });
                return true;
            case "Pod default/bound-pod with spec.nodeName golden-node-1":
                var bound = Manifests.HeadPod();
                bound["metadata"] = new JsonObject { ["name"] = "bound-pod", ["namespace"] = "default", ["labels"] = bound["metadata"]!["labels"]?.DeepClone() };
                bound["spec"]!["nodeName"] = "golden-node-1";
                await EnsureExistsAsync("/api/v1/namespaces/default/pods", bound);
                return true;
            case "Pod default/unbound-pod (no nodeName) was just deleted":
                var unbound = Manifests.HeadPod();
                unbound["metadata"] = new JsonObject { ["name"] = "unbound-pod", ["namespace"] = "default" };
                await EnsureExistsAsync("/api/v1/namespaces/default/pods", unbound);
                await Expect(Client.SendAsync(HttpMethod.Delete, "/api/v1/namespaces/default/pods/unbound-pod"), 200);
                return true;
            case "RayCluster ray-test/ray-cluster-b still exists":
                await EnsureExistsAsync(string.Format(RayClusters, "ray-test"),
                    Manifests.RayCluster("ray-cluster-b", "ray-test", new JsonObject { ["env"] = "staging" }, workers: 1));
                return true;
            default:
                return false;
        }
    }

    // Golden 83-86: strings that .NET and Go escape differently, and a head cpu request that is a number.
    private static JsonObject EscapedStringsCluster() => (JsonObject)JsonText.Parse("""
        {"apiVersion":"ray.io/v1","kind":"RayCluster",
         "metadata":{"name":"ray-cluster-esc","namespace":"default","labels":{"app.kubernetes.io/managed-by":"rayps","env":"test"},
                     "annotations":{"note":"a&b<c>é\u2028x"}},
         "spec":{"rayVersion":"2.46.0",
           "headGroupSpec":{"rayStartParams":{"dashboard-host":"0.0.0.0"},"template":{"spec":{"containers":[{"name":"ray-head","image":"rayproject/ray:2.46.0",
             "ports":[{"containerPort":6379,"name":"gcs-server"},{"containerPort":8265,"name":"dashboard"},{"containerPort":10001,"name":"client"},{"containerPort":8080,"name":"metrics"}],
             "resources":{"limits":{"cpu":4,"memory":"8Gi"},"requests":{"cpu":4,"memory":"8Gi"}}}]}}},
           "workerGroupSpecs":[{"groupName":"workergroup","replicas":2,"minReplicas":0,"maxReplicas":2147483647,
             "rayStartParams":{"resources":"'{\"ascend\":20}'"},
             "template":{"spec":{"containers":[{"name":"ray-worker","image":"rayproject/ray:2.46.0",
               "resources":{"limits":{"cpu":12,"memory":"40Gi","huawei.com/Ascend910B":"1","huawei.com/Ascend910B-memory":"16384"},
                            "requests":{"cpu":12,"memory":"40Gi","huawei.com/Ascend910B":"1","huawei.com/Ascend910B-memory":"16384"}}}]}}}]}}
        """)!;
    /// <summary>The request body another scenario sent (to re-create its object when a later one needs it).</summary>
    private JsonObject RecordedBody(int number) => (JsonObject)Scenarios.Single(s => s.Number == number).RequestBody!.DeepClone();

    // Scenarios of the other set that changed what later files compare (generation and replicas of default/ray-cluster).
    private async Task ReenactGapAsync(int gap)
    {
        var path = string.Format(RayClusters, "default") + "/ray-cluster";
        switch (gap)
        {
            case 30:
                // A JSON patch of replicas that succeeded (generation 2 -> 3).
                await Expect(Client.PatchAsync(path, "application/json-patch+json",
                    """[{"op":"replace","path":"/spec/workerGroupSpecs/0/replicas","value":4}]"""), 200);
                break;
            case 42:
                // The conditional PUT with the current resourceVersion and replicas 6 (generation 3 -> 4).
                var (_, current, _) = await Client.GetAsync(path);
                var body = (JsonObject)current!;
                body["spec"]!["workerGroupSpecs"]![0]!["replicas"] = 6L;
                await Expect(Client.SendAsync(HttpMethod.Put, path, JsonText.Serialize(body)), 200);
                break;
        }
    }

    private async Task EnsureCrdAsync()
    {
        if ((await Client.GetAsync(Crd)).Status == 200)
        {
            return;
        }
        await Expect(Client.SendAsync(HttpMethod.Post, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
            File.ReadAllText(SharedData.Path("kuberay", "v1.4.2", "ray.io_rayclusters.yaml")), "application/yaml"), 201);
        for (var i = 0; i < 200; i++)
        {
            var (_, crd, _) = await Client.GetAsync(Crd);
            if ((JsonNodes.At(crd, "status", "conditions") as JsonArray)?.OfType<JsonObject>()
                .Any(c => JsonNodes.GetString(c["type"]) == "Established" && JsonNodes.GetString(c["status"]) == "True") == true)
            {
                return;
            }
            await Task.Delay(25);
        }
        throw new TimeoutException("the RayCluster CRD did not become Established");
    }

    private async Task EnsureCrdAbsentAsync()
    {
        await EnsureDeletedAsync(Crd);
    }

    private async Task EnsureExistsAsync(string collection, JsonObject obj)
    {
        var name = JsonNodes.StringAt(obj, "metadata", "name");
        if ((await Client.GetAsync(collection + "/" + name)).Status == 200)
        {
            return;
        }
        await Expect(Client.PostAsync(collection, obj), 201);
    }

    private async Task EnsureDeletedAsync(string path)
    {
        if ((await Client.GetAsync(path)).Status == 404)
        {
            return;
        }
        await Client.SendAsync(HttpMethod.Delete, path);
        for (var i = 0; i < 400 && (await Client.GetAsync(path)).Status != 404; i++)
        {
            await Task.Delay(25);
        }
        await Settle();
    }

    private async Task ApplySsaAsync(string manager, long replicas)
    {
        var config = Manifests.RayCluster("ray-cluster-ssa");
        ((JsonObject)config["metadata"]!).Remove("namespace");
        config["spec"]!["workerGroupSpecs"]![0]!["replicas"] = replicas;
        var (status, _, _) = await Client.PatchAsync(string.Format(RayClusters, "default") + "/ray-cluster-ssa?fieldManager=" + manager + "&force=true",
            "application/apply-patch+yaml", JsonText.Serialize(config));
        if (status is not (200 or 201))
        {
            throw new InvalidOperationException("setup apply failed with " + status);
        }
    }

    private static async Task Expect(Task<(int Status, JsonNode? Body, HttpResponseMessage Response)> call, int status)
    {
        var (actual, body, _) = await call;
        if (actual != status)
        {
            throw new InvalidOperationException($"setup step answered {actual} (expected {status}): {JsonText.Serialize(body)}");
        }
    }

    // ---- the recorded request ----------------------------------------------------------------

    private async Task<GoldenOutcome> SendAsync(GoldenScenario scenario, bool concurrentWrites, List<string> unhandled)
    {
        var path = scenario.Path;
        if (path.Contains("<rv>", StringComparison.Ordinal))
        {
            var rv = _listRv;
            if (rv is null)
            {
                var (_, list, _) = await Client.GetAsync(path[..path.IndexOf('?')]);
                rv = JsonNodes.StringAt(list, "metadata", "resourceVersion");
            }
            path = path.Replace("<rv>", rv, StringComparison.Ordinal);
        }
        var request = new HttpRequestMessage(new HttpMethod(scenario.Method), path) { Version = new Version(1, 1) };
        string? contentType = null;
        foreach (var (name, value) in scenario.RequestHeaders)
        {
            var text = JsonNodes.GetString(value);
            if (text is null)
            {
                continue;
            }
            switch (name)
            {
                case "Authorization":
                    var token = text.Replace("Bearer ", "", StringComparison.Ordinal) switch
                    {
                        "<admin>" => _sandbox!.AdminToken,
                        "<viewer>" => _sandbox!.ViewerToken,
                        _ => "not-a-sandbox-token",
                    };
                    request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
                    break;
                case "Content-Type":
                    contentType = text;
                    break;
                default:
                    request.Headers.TryAddWithoutValidation(name, text);
                    break;
            }
        }
        if (scenario.RequestBody is not null)
        {
            var body = scenario.RequestBody is JsonValue v && JsonNodes.GetString(v) is { } raw ? raw : JsonText.Serialize(scenario.RequestBody);
            if (body.Contains("<stale-rv>", StringComparison.Ordinal))
            {
                body = body.Replace("<stale-rv>", _staleRv, StringComparison.Ordinal);
            }
            if (body.Contains("<rv>", StringComparison.Ordinal))
            {
                var (_, current, _) = await Client.GetAsync(path.Split('?')[0]);
                body = body.Replace("<rv>", JsonNodes.StringAt(current, "metadata", "resourceVersion"), StringComparison.Ordinal);
            }
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            if (contentType is not null)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            }
        }
        var send = Client.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (concurrentWrites)
        {
            await Task.Delay(300);
            await WatchedWritesAsync();
        }
        using var response = await send;
        var text2 = await response.Content.ReadAsStringAsync();
        var headers = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in scenario.ResponseHeaders.Select(p => p.Key))
        {
            headers[name] = SandboxClient.HeaderValues(response, name);
        }
        return new GoldenOutcome((int)response.StatusCode, headers, ParseBody(text2, scenario.IsWatch), unhandled);
    }

    private async Task WatchedWritesAsync()
    {
        var collection = string.Format(RayClusters, "default");
        await Expect(Client.PostAsync(collection, Manifests.RayCluster("ray-cluster-watch")), 201);
        await Expect(Client.PatchAsync(collection + "/ray-cluster-watch", "application/merge-patch+json", """{"spec":{"suspend":true}}"""), 200);
        await Expect(Client.SendAsync(HttpMethod.Delete, collection + "/ray-cluster-watch"), 200);
    }

    private static JsonNode? ParseBody(string text, bool watch)
    {
        if (watch)
        {
            return new JsonArray(text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonText.Parse(line)).ToArray());
        }
        try
        {
            return text.Length == 0 ? JsonValue.Create("") : JsonText.Parse(text);
        }
        catch (FormatException)
        {
            return JsonValue.Create(text);
        }
    }

    // The recorder deleted what a create scenario made unless a later scenario used it.
    private async Task CleanUpAfterAsync(GoldenScenario scenario, GoldenOutcome outcome)
    {
        if (outcome.Status != 201 || scenario.Method is not ("POST" or "PATCH") || outcome.Body is not JsonObject created)
        {
            return;
        }
        var name = JsonNodes.StringAt(created, "metadata", "name");
        if (name is null || JsonNodes.GetString(created["kind"]) == "Status")
        {
            return;
        }
        var later = Scenarios.Where(s => s.Number > scenario.Number)
            .Any(s => s.Setup.Any(l => l.Contains(name, StringComparison.Ordinal)) || s.Path.Contains(name, StringComparison.Ordinal));
        if (later)
        {
            return;
        }
        var basePath = scenario.Path.Split('?')[0];
        var objectPath = scenario.Method == "POST" ? basePath + "/" + name : basePath;
        await EnsureDeletedAsync(objectPath);
    }
}
