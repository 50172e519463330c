using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using RayPS.Errors;
using RayPS.Kube;
using RayPS.Model;
using RayPS.Ray;

namespace RayPS.Operations;

/// <summary>
/// Checks the health of every Ray node of one or more clusters, without port-forwards or exec: everything goes
/// through the API server. Per call: 1 pod LIST and 1 Deployment LIST (label ray.io/cluster) for all the clusters;
/// per cluster, 1 GCS check and 1 node list through the head service's proxy, and 1 raylet probe per running pod
/// through the pod proxy. Probes run in parallel under one bound, each with its own timeout.
/// </summary>
public static partial class NodeHealthOperations
{
    public const string RayletHealthPath = "/api/local_raylet_healthz";
    public const string GcsHealthPath = "/api/gcs_healthz";
    public const string NodeSummaryPath = "/nodes?view=summary";

    /// <summary>The state API's node list: every node GCS remembers, with start/end times; the server-side timeout in whole seconds (at least 2).</summary>
    public static string StateApiNodesPath(TimeSpan timeout) =>
        $"/api/v0/nodes?limit=10000&detail=true&timeout={Math.Max(2, (int)Math.Ceiling(timeout.TotalSeconds))}";

    [GeneratedRegex(@"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex LabelValue();

    /// <summary>Checks the clusters of <paramref name="request"/>; yields one report per cluster, in namespace and name order.</summary>
    public static async IAsyncEnumerable<ClusterHealthReport> CheckAsync(KubeConnection connection, NodeHealthRequest request,
        [EnumeratorCancellation] CancellationToken ct)
    {
        var names = request.ClusterNames?.Distinct(StringComparer.Ordinal).ToList();
        foreach (var bad in names?.Where(n => n.Length is 0 or > 63 || !LabelValue().IsMatch(n)).ToList() ?? new List<string>())
        {
            names!.Remove(bad);
            yield return new ClusterHealthReport { ClusterName = bad, Failure = InvalidName(bad) };
        }
        if (names is { Count: 0 })
        {
            yield break;
        }

        var scope = await ListScopeAsync(connection, request, names, ct).ConfigureAwait(false);
        var progress = new ProgressCounter(request.Progress);
        var prober = new NodeHealthProber(request.ThrottleLimit, progress.Done);
        var checks = new List<Task<IReadOnlyList<ClusterHealthReport>>>();
        foreach (var (ns, name) in Targets(scope, names))
        {
            var pods = scope.Pods.Where(p => p.Namespace == ns && p.ClusterName == name).ToList();
            var deployments = scope.Deployments.Where(d => d.Str("metadata.namespace") == ns && d.Map("metadata.labels").GetValueOrDefault(KubeRayNames.ClusterLabel) == name).ToList();
            if (pods.Count > 0 || deployments.Count > 0)
            {
                checks.Add(One(CheckClusterAsync(connection, request, prober, progress, ns, name, pods, deployments, ct)));
            }
            else if (scope.Clusters.FirstOrDefault(c => c.Namespace == ns && c.Name == name) is { } cluster)
            {
                checks.Add(Task.FromResult<IReadOnlyList<ClusterHealthReport>>(new[] { WithoutPods(cluster, request.Clock(), connection.ContextName) }));
            }
        }
        foreach (var missing in names?.Where(n => !scope.Pods.Any(p => p.ClusterName == n) && !scope.Deployments.Any(d => d.Map("metadata.labels").GetValueOrDefault(KubeRayNames.ClusterLabel) == n)) ?? Enumerable.Empty<string>())
        {
            checks.Add(MissingAsync(connection, request, missing, ct));
        }

        foreach (var check in checks)
        {
            foreach (var report in await check.ConfigureAwait(false))
            {
                yield return report;
            }
        }
    }

    private static async Task<IReadOnlyList<ClusterHealthReport>> One(Task<ClusterHealthReport> task) => new[] { await task.ConfigureAwait(false) };

    private sealed record Scope(IReadOnlyList<RayPodFacts> Pods, IReadOnlyList<JsonObject> Deployments, IReadOnlyList<RayCluster> Clusters);

    /// <summary>The pod LIST and Deployment LIST (plus, when no names are given, the RayCluster LIST), sent together.</summary>
    private static async Task<Scope> ListScopeAsync(KubeConnection connection, NodeHealthRequest request, IReadOnlyList<string>? names, CancellationToken ct)
    {
        var ns = request.Namespace;
        var selector = names is null ? KubeRayNames.ClusterLabel
            : names.Count == 1 ? $"{KubeRayNames.ClusterLabel}={names[0]}"
            : $"{KubeRayNames.ClusterLabel} in ({string.Join(",", names)})";
        var query = "?labelSelector=" + Uri.EscapeDataString(selector);
        var podsPath = KubePaths.Pods(ns) + query;
        var deploymentsPath = KubePaths.Deployments(ns) + query;

        const string listPods = "list pods", listDeployments = "list deployments (apps)";
        var podsTask = ListRawAsync(connection, podsPath, listPods, ct);
        var deploymentsTask = ListRawAsync(connection, deploymentsPath, listDeployments, ct);
        var clustersTask = names is null ? ListClustersAsync(connection, ns, ct) : Task.FromResult<IReadOnlyList<RayCluster>>(Array.Empty<RayCluster>());
        await Task.WhenAll(new Task[] { podsTask, deploymentsTask, clustersTask }.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default))).ConfigureAwait(false);

        IReadOnlyList<JsonObject> podObjects;
        try
        {
            podObjects = await podsTask.ConfigureAwait(false);
        }
        catch (KubeApiException ex)
        {
            throw ex.IsForbidden ? Forbidden(connection, ns, listPods, ex) : ex.ToRayPSException();
        }
        var clusters = await clustersTask.ConfigureAwait(false);

        IReadOnlyList<JsonObject> deployments;
        try
        {
            deployments = await deploymentsTask.ConfigureAwait(false);
        }
        catch (KubeApiException ex) when (ex.IsForbidden)
        {
            // Deployments only add group names and "fewer pods than wanted" warnings: go on without them.
            request.Warning?.Invoke(Forbidden(connection, ns, listDeployments, ex).Message + " Deployment-managed workers are still checked through their pods.");
            deployments = Array.Empty<JsonObject>();
        }
        catch (KubeApiException ex)
        {
            throw ex.ToRayPSException();
        }

        var pods = podObjects.Select(RayPodFacts.FromJson).Where(IsRayNodePod).ToList();
        return new Scope(pods, deployments, clusters);
    }

    /// <summary>Head and worker pods (ray.io/node-type), and pods of Deployments; not KubeRay's helper Job pods.</summary>
    private static bool IsRayNodePod(RayPodFacts pod) =>
        pod.ClusterName is { Length: > 0 }
        && (pod.Labels.GetValueOrDefault(KubeRayNames.NodeTypeLabel) is KubeRayNames.HeadNodeType or KubeRayNames.WorkerNodeType || pod.OwnerKind == "ReplicaSet");

    /// <summary>One LIST; a refusal throws the unmapped KubeApiException (the caller decides what a 403 means).</summary>
    private static async Task<IReadOnlyList<JsonObject>> ListRawAsync(KubeConnection connection, string path, string verb, CancellationToken ct)
    {
        var list = await connection.Api.Raw.GetAsync(path, ct, verb).ConfigureAwait(false);
        return list.Items("items").OfType<JsonObject>().ToList();
    }

    private static async Task<IReadOnlyList<RayCluster>> ListClustersAsync(KubeConnection connection, string? ns, CancellationToken ct)
    {
        try
        {
            return await RayClusterOperations.ListRawAsync(connection, ns, ct).ConfigureAwait(false);
        }
        catch (KubeApiException ex) when (ex.IsCrdMissing || ex.IsForbidden)
        {
            // Clusters made only of Deployments still have pods to find; RayClusters without pods are then not listed.
            return Array.Empty<RayCluster>();
        }
        catch (KubeApiException ex)
        {
            throw ex.ToRayPSException();
        }
    }

    private static IEnumerable<(string Namespace, string Name)> Targets(Scope scope, IReadOnlyList<string>? names) =>
        scope.Pods.Select(p => (p.Namespace, p.ClusterName!))
            .Concat(scope.Deployments.Select(d => (d.Str("metadata.namespace") ?? "", d.Map("metadata.labels").GetValueOrDefault(KubeRayNames.ClusterLabel) ?? "")))
            .Concat(scope.Clusters.Select(c => (c.Namespace, c.Name)))
            .Where(t => t.Item2.Length > 0 && (names is null || names.Contains(t.Item2)))
            .Distinct()
            .OrderBy(t => t.Item1, StringComparer.Ordinal)
            .ThenBy(t => t.Item2, StringComparer.Ordinal);

    private static async Task<ClusterHealthReport> CheckClusterAsync(KubeConnection connection, NodeHealthRequest request, NodeHealthProber prober,
        ProgressCounter progress, string ns, string name, IReadOnlyList<RayPodFacts> pods, IReadOnlyList<JsonObject> deploymentObjects, CancellationToken ct)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var timeout = request.ProbeTimeout;
        var ray = new RayHttpClient(connection, ns, name);
        var probeable = pods.Where(p => p.Running && !p.Terminating && !string.IsNullOrEmpty(p.PodIP)).ToList();
        progress.Add(2 + probeable.Count);

        var gcsTask = prober.RunAsync(() => ray.TryGetAsync(GcsHealthPath, timeout, ct), ct);
        var nodesTask = ReadNodesAsync(prober, progress, ray, timeout * 2, ct);
        var rayletTasks = probeable.Select(p => (Pod: p, Task: prober.RunAsync(() => ray.TryGetPodAsync(p.Name, p.AgentPort, RayletHealthPath, timeout, ct), ct))).ToList();
        await Task.WhenAll(rayletTasks.Select(t => (Task)t.Task).Append(gcsTask).Append(nodesTask)).ConfigureAwait(false);

        var now = request.Clock();
        var gcs = HealthCheckResult.From(gcsTask.Result);
        var nodes = nodesTask.Result;
        var raylets = rayletTasks.ToDictionary(t => t.Pod, t => HealthCheckResult.From(t.Task.Result));
        var rayletsUnanswered = NodeHealthRules.NoRayletAnswered(raylets.Select(r => (r.Key, r.Value)).ToList());
        var pathBlocked = rayletsUnanswered && NodeHealthRules.GotNoAnswer(gcs);
        var known = nodes.Known && gcs.Passed;
        var match = NodeHealthMatcher.Match(pods, known ? nodes.Nodes : Array.Empty<RayNodeRecord>());
        var deployments = new NodeHealthDeployments(deploymentObjects);

        var rows = new List<RayNodeHealth>();
        foreach (var pod in pods)
        {
            rows.Add(NodeHealthRows.Build(name, ns, new NodeEvidence
            {
                Pod = pod,
                Raylet = raylets.GetValueOrDefault(pod),
                Gcs = gcs,
                RayStateKnown = known,
                RayNode = match.ByPod.GetValueOrDefault(pod),
                ProxyPathBlocked = pathBlocked,
                Now = now,
            }, deployments, connection.ContextName));
        }

        var notes = new List<string>();
        var hidden = 0;
        foreach (var node in match.Unmatched)
        {
            if (node.IsDead && !request.IncludeDeparted && !NodeHealthRules.IsRecentDeparture(node, now))
            {
                hidden++;
                continue;
            }
            rows.Add(NodeHealthRows.Build(name, ns, new NodeEvidence { Gcs = gcs, RayStateKnown = true, RayNode = node, Now = now }, deployments, connection.ContextName));
        }
        if (hidden > 0)
        {
            notes.Add($"Cluster '{name}': {hidden} DEAD Ray nodes whose pods are gone died over {NodeHealthRules.RecentWindow.TotalHours:0} h ago and are not shown; -IncludeDeparted shows them.");
        }

        var warnings = new List<string>();
        if (rayletsUnanswered)
        {
            warnings.Add($"Cluster '{name}' in namespace '{ns}': no raylet probe got an answer ({raylets.Values.First().Detail}) although Kubernetes reports every probed pod Ready. " +
                "The API server probably cannot reach the pods (a NetworkPolicy, or a firewall between the control plane and the nodes, e.g. on GKE private clusters, blocking the agent port)" +
                (pathBlocked ? "; the raylet and GCS results are reported as Unknown." : "."));
        }
        if (!nodes.Known && gcs.Passed)
        {
            warnings.Add($"Cluster '{name}' in namespace '{ns}': Ray node state is unknown because {nodes.Problem}. Raylet and GCS checks still ran.");
        }
        warnings.AddRange(deployments.Warnings(pods));

        var errors = new List<RayPSException>();
        var refused = raylets.Values.Count(r => r.Outcome == HealthCheckOutcome.Forbidden);
        if (refused > 0)
        {
            var detail = raylets.Values.First(r => r.Outcome == HealthCheckOutcome.Forbidden).Detail;
            errors.Add(ProxyForbidden(connection, ns, "pods/proxy", detail, $"the raylets of {refused} pods of cluster '{name}' were not checked"));
        }
        if (gcs.Outcome == HealthCheckOutcome.Forbidden || nodes.Forbidden)
        {
            errors.Add(ProxyForbidden(connection, ns, "services/proxy", gcs.Outcome == HealthCheckOutcome.Forbidden ? gcs.Detail : nodes.Problem ?? "",
                $"GCS health and Ray node state of cluster '{name}' are unknown"));
        }

        var sorted = NodeHealthRows.Sort(rows);
        notes.Add($"Cluster '{name}' in namespace '{ns}': {pods.Count} pods, {probeable.Count} raylet probes, {(known ? nodes.Nodes.Count + " Ray nodes" : "Ray node state unknown")}, checked in {System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms.");
        return new ClusterHealthReport
        {
            ClusterName = name,
            Namespace = ns,
            Nodes = sorted,
            Summary = Summary(name, ns, sorted, NodeHealthRules.Summarize(sorted), connection.ContextName, now),
            Warnings = warnings,
            Errors = errors,
            Notes = notes,
        };
    }

    /// <summary>The state API's node list; on Ray versions without it (404 from Ray), the dashboard's node summary.</summary>
    private static async Task<RayNodesResult> ReadNodesAsync(NodeHealthProber prober, ProgressCounter progress, RayHttpClient ray, TimeSpan timeout, CancellationToken ct)
    {
        var answer = await prober.RunAsync(() => ray.TryGetAsync(StateApiNodesPath(timeout), timeout, ct), ct).ConfigureAwait(false);
        var result = RayNodesResult.Read(answer, summaryView: false);
        if (!result.RouteMissing)
        {
            return result;
        }
        progress.Add(1);
        answer = await prober.RunAsync(() => ray.TryGetAsync(NodeSummaryPath, timeout, ct), ct).ConfigureAwait(false);
        return RayNodesResult.Read(answer, summaryView: true);
    }

    /// <summary>A requested name with no pods and no Deployments: a RayCluster without pods yet, or not found.</summary>
    private static async Task<IReadOnlyList<ClusterHealthReport>> MissingAsync(KubeConnection connection, NodeHealthRequest request, string name, CancellationToken ct)
    {
        var ns = request.Namespace;
        try
        {
            if (ns is not null)
            {
                var cluster = await RayClusterOperations.GetRawAsync(connection, ns, name, ct).ConfigureAwait(false);
                return new[] { WithoutPods(cluster, request.Clock(), connection.ContextName) };
            }
            var list = await connection.Api.Raw.GetAsync($"{RayClusterOperations.CollectionPath(null)}?fieldSelector={Uri.EscapeDataString("metadata.name=" + name)}", ct, $"RayCluster '{name}'").ConfigureAwait(false);
            var clusters = list.Items("items").OfType<JsonObject>().Select(o => RayCluster.FromJson(o, connection.ContextName)).ToList();
            if (clusters.Count > 0)
            {
                return clusters.OrderBy(c => c.Namespace, StringComparer.Ordinal).Select(c => WithoutPods(c, request.Clock(), connection.ContextName)).ToList();
            }
        }
        catch (KubeApiException ex) when (RayClusterOperations.IsMissing(ex) || ex.IsCrdMissing)
        {
        }
        catch (KubeApiException ex)
        {
            return new[] { new ClusterHealthReport { ClusterName = name, Namespace = ns ?? "", Failure = ex.ToRayPSException() } };
        }
        catch (RayPSException ex)
        {
            // No answer at all (unreachable, timed out): the report says so.
            return new[] { new ClusterHealthReport { ClusterName = name, Namespace = ns ?? "", Failure = ex } };
        }
        return new[] { new ClusterHealthReport { ClusterName = name, Namespace = ns ?? "", Failure = NotFound(connection, ns, name) } };
    }

    /// <summary>A RayCluster that exists but has no pods: suspended on purpose, or not being reconciled.</summary>
    private static ClusterHealthReport WithoutPods(RayCluster cluster, DateTimeOffset now, string? context)
    {
        var suspended = string.Equals(cluster.State, "suspended", StringComparison.OrdinalIgnoreCase) || cluster.Raw["spec"].Bool("suspend") == true;
        var verdict = suspended
            ? new NodeVerdict(RayHealthStatus.Unknown, "the RayCluster is suspended: it has no pods")
            : new NodeVerdict(RayHealthStatus.Unhealthy,
                $"no pods exist for the RayCluster (state: {cluster.State ?? "not set"}{(cluster.Reason is { Length: > 0 } r ? ", reason: " + r : "")}); check the KubeRay operator with Get-KubeRayOperator");
        return new ClusterHealthReport
        {
            ClusterName = cluster.Name,
            Namespace = cluster.Namespace,
            Summary = Summary(cluster.Name, cluster.Namespace, Array.Empty<RayNodeHealth>(), verdict, context, now),
            Warnings = suspended ? Array.Empty<string>() : new[] { $"RayCluster '{cluster.Name}' in namespace '{cluster.Namespace}': {verdict.Reason}." },
        };
    }

    private static RayClusterHealthSummary Summary(string name, string ns, IReadOnlyList<RayNodeHealth> rows, NodeVerdict verdict, string? context, DateTimeOffset now) => new()
    {
        ClusterName = name,
        Namespace = ns,
        Total = rows.Count,
        Healthy = rows.Count(r => r.Status == RayHealthStatus.Healthy),
        Degraded = rows.Count(r => r.Status == RayHealthStatus.Degraded),
        Unhealthy = rows.Count(r => r.Status == RayHealthStatus.Unhealthy),
        Unknown = rows.Count(r => r.Status == RayHealthStatus.Unknown),
        Status = verdict.Status,
        Reason = verdict.Reason,
        Context = context,
        CheckedAt = now,
    };

    private const string NeededRole = "Get-RayNodeHealth needs, in the cluster's namespace: list on pods, list on deployments (apps), get on pods/proxy and get on services/proxy.";

    private static RayPSException Forbidden(KubeConnection connection, string? ns, string verb, KubeApiException inner)
    {
        var server = inner.ServerMessage ?? inner.Message;
        var where = ns is null ? "across all namespaces (that needs a ClusterRole; or pass -Namespace)" : $"in namespace '{ns}'";
        return new RayPSException(ErrorIds.KubeApiForbidden, RayErrorCategory.PermissionDenied,
            $"Permission denied in context '{connection.ContextName}': cannot {verb} {where}: {server}. {NeededRole} Ask a cluster admin for that Role; check with: kubectl auth can-i {verb.Split(' ')[0]} {verb.Split(' ')[1]}{(ns is null ? " -A" : " -n " + ns)}.",
            verb, inner) { StatusCode = 403 };
    }

    private static RayPSException ProxyForbidden(KubeConnection connection, string ns, string resource, string server, string consequence) =>
        new(ErrorIds.KubeApiForbidden, RayErrorCategory.PermissionDenied,
            $"Permission denied in context '{connection.ContextName}': cannot get {resource} in namespace '{ns}' ({server}), so {consequence}. " +
            $"{NeededRole} Ask a cluster admin for get on {resource}; check with: kubectl auth can-i get {resource} -n {ns}.",
            resource) { StatusCode = 403 };

    private static RayPSException NotFound(KubeConnection connection, string? ns, string name) =>
        new(ErrorIds.RayClusterNotFound, RayErrorCategory.ObjectNotFound,
            $"RayCluster '{name}' was not found {(ns is null ? "in any namespace" : $"in namespace '{ns}'")} (context '{connection.ContextName}'), and no pods or Deployments there are labelled {KubeRayNames.ClusterLabel}={name}. " +
            "List clusters with Get-RayCluster -AllNamespaces" + (ns is null ? "." : ", or pass -Namespace or -AllNamespaces."),
            name);

    private static RayPSException InvalidName(string name) =>
        new(ErrorIds.InvalidClusterName, RayErrorCategory.InvalidArgument,
            $"'{name}' is not a valid RayCluster name: use at most 63 lower-case letters, digits, '-' or '.', starting and ending with a letter or digit.",
            name);

    /// <summary>Counts finished and expected proxy requests for the progress bar; thread-safe.</summary>
    private sealed class ProgressCounter
    {
        private readonly Action<int, int>? _report;
        private int _done;
        private int _total;

        public ProgressCounter(Action<int, int>? report) => _report = report;

        public void Add(int count) => Interlocked.Add(ref _total, count);

        public void Done() => _report?.Invoke(Interlocked.Increment(ref _done), Volatile.Read(ref _total));
    }
}
