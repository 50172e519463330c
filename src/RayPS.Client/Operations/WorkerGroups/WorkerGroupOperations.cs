using System.Text.Json.Nodes;
using RayPS.Errors;
using RayPS.Kube;
using RayPS.Model;

namespace RayPS.Operations;

/// <summary>
/// Worker groups of both kinds (RayCluster workerGroupSpecs entries and Deployments labelled ray.io/cluster and
/// ray.io/group): listing, refreshing and the errors that name them. Adding, creating, scaling and waiting are in
/// the other parts of this class.
/// </summary>
public static partial class WorkerGroupOperations
{
    public const string AppsApiPath = KubePaths.AppsApi;

    public static string DeploymentsPath(string ns) => KubePaths.Deployments(ns);

    public static string DeploymentPath(string ns, string name) => KubePaths.Deployment(ns, name);

    public static string DeploymentScalePath(string ns, string name) => DeploymentPath(ns, name) + "/scale";

    public static string PodsPath(string ns) => KubePaths.Pods(ns);

    internal static string WithSelector(string path, string selector) => KubePaths.WithSelector(path, selector);

    internal static string ClusterSelector(string cluster) => KubeRayNames.ClusterSelector(cluster);

    internal static string GroupSelector(string cluster, string group) => KubeRayNames.GroupSelector(cluster, group);

    /// <summary>
    /// Every worker group of a cluster, both kinds, with 3 requests sent together: GET the RayCluster, LIST the
    /// Deployments labelled ray.io/cluster=&lt;cluster&gt;, LIST the pods labelled the same (Ready/Available of
    /// RayCluster groups). A missing RayCluster is an error unless Deployment groups exist for the name; then
    /// <see cref="WorkerGroupListing.ClusterMissing"/> says so and the Deployment groups are returned.
    /// </summary>
    public static async Task<WorkerGroupListing> ListAsync(KubeConnection connection, string ns, string clusterName, CancellationToken ct)
    {
        var clusterTask = TryGetClusterAsync(connection, ns, clusterName, ct);
        var deploymentsTask = ListDeploymentsAsync(connection, ns, clusterName, ct);
        var podsTask = connection.Api.GetAsync(WithSelector(PodsPath(ns), ClusterSelector(clusterName)), ct, $"pods of RayCluster '{clusterName}'");
        await Task.WhenAll(clusterTask, deploymentsTask, podsTask).ConfigureAwait(false);

        var (cluster, missing) = clusterTask.Result;
        var deployments = deploymentsTask.Result;
        var pods = RayPodFacts.ListFromJson(podsTask.Result);
        if (cluster is null && deployments.Count == 0)
        {
            throw missing!;
        }
        return Listing(connection, cluster, missing, deployments, pods);
    }

    internal static WorkerGroupListing Listing(KubeConnection connection, RayCluster? cluster, RayPSException? missing, IReadOnlyList<JsonObject> deployments, IReadOnlyList<RayPodFacts> pods)
    {
        var groups = new List<RayWorkerGroup>();
        if (cluster is not null)
        {
            var count = cluster.Raw["spec"].Items("workerGroupSpecs").Count();
            for (var i = 0; i < count; i++)
            {
                groups.Add(RayWorkerGroup.FromRayCluster(cluster, i, pods));
            }
        }
        groups.AddRange(deployments
            .Select(d => RayWorkerGroup.FromDeployment(d, pods, connection.ContextName))
            .OrderBy(g => g.GroupName, StringComparer.Ordinal)
            .ThenBy(g => g.DeploymentName, StringComparer.Ordinal));
        return new WorkerGroupListing { Cluster = cluster, ClusterMissing = missing, Groups = groups };
    }

    /// <summary>One group by name (any kind), from <see cref="ListAsync"/>; WorkerGroupNotFound lists the groups that exist.</summary>
    public static async Task<RayWorkerGroup> GetAsync(KubeConnection connection, string ns, string clusterName, string groupName, CancellationToken ct)
    {
        var listing = await ListAsync(connection, ns, clusterName, ct).ConfigureAwait(false);
        return listing.Groups.FirstOrDefault(g => g.GroupName == groupName)
            ?? throw GroupNotFound(connection, ns, clusterName, groupName, listing.Groups);
    }

    /// <summary>
    /// Reads one group again: a RayCluster group with GET RayCluster + LIST of the group's pods (sent together),
    /// a Deployment group with one GET of the Deployment.
    /// </summary>
    public static async Task<RayWorkerGroup> RefreshAsync(KubeConnection connection, RayWorkerGroup group, CancellationToken ct)
    {
        if (group.Kind == WorkerGroupKind.Deployment)
        {
            var name = group.DeploymentName ?? throw new ArgumentException("A Deployment worker group needs its DeploymentName.", nameof(group));
            JsonObject deployment;
            try
            {
                deployment = await connection.Api.Raw.GetAsync(DeploymentPath(group.Namespace, name), ct, $"Deployment '{name}'").ConfigureAwait(false);
            }
            catch (KubeApiException ex) when (ex.IsNotFound)
            {
                throw GroupNotFound(connection, group.Namespace, group.ClusterName, group.GroupName, Array.Empty<RayWorkerGroup>(), ex);
            }
            catch (KubeApiException ex)
            {
                throw ex.ToRayPSException();
            }
            return RayWorkerGroup.FromDeployment(deployment, null, connection.ContextName);
        }

        var clusterTask = RayClusterOperations.GetAsync(connection, group.Namespace, group.ClusterName, ct);
        var podsTask = connection.Api.GetAsync(WithSelector(PodsPath(group.Namespace), GroupSelector(group.ClusterName, group.GroupName)), ct, $"pods of worker group '{group.GroupName}'");
        await Task.WhenAll(clusterTask, podsTask).ConfigureAwait(false);
        var cluster = clusterTask.Result;
        var index = IndexOf(cluster, group.GroupName);
        if (index < 0)
        {
            throw GroupNotFound(connection, group.Namespace, group.ClusterName, group.GroupName, Listing(connection, cluster, null, Array.Empty<JsonObject>(), Array.Empty<RayPodFacts>()).Groups);
        }
        return RayWorkerGroup.FromRayCluster(cluster, index, RayPodFacts.ListFromJson(podsTask.Result));
    }

    /// <summary>The retry policy's wait before attempt <paramref name="attempt"/> + 1 after a write lost a race (<see cref="RetryHandler.ConflictBackoff"/>).</summary>
    internal static TimeSpan RetryDelay(int attempt) => RetryHandler.ConflictBackoff(attempt);

    /// <summary>The position of a group in spec.workerGroupSpecs, or -1.</summary>
    internal static int IndexOf(RayCluster cluster, string groupName)
    {
        var i = 0;
        foreach (var g in cluster.Raw["spec"].Items("workerGroupSpecs"))
        {
            if (g.Str("groupName") == groupName)
            {
                return i;
            }
            i++;
        }
        return -1;
    }

    /// <summary>GET the RayCluster; a missing cluster (or missing CRDs) comes back as the mapped error instead of being thrown.</summary>
    internal static async Task<(RayCluster? Cluster, RayPSException? Missing)> TryGetClusterAsync(KubeConnection connection, string ns, string clusterName, CancellationToken ct)
    {
        try
        {
            return (await RayClusterOperations.GetRawAsync(connection, ns, clusterName, ct).ConfigureAwait(false), null);
        }
        catch (KubeApiException ex) when (RayClusterOperations.IsMissing(ex) || ex.IsCrdMissing)
        {
            return (null, RayClusterOperations.Map(connection, ns, clusterName, ex));
        }
        catch (KubeApiException ex)
        {
            throw ex.ToRayPSException();
        }
    }

    /// <summary>One LIST of the Deployments labelled ray.io/cluster=&lt;cluster&gt; that carry a ray.io/group label.</summary>
    internal static async Task<IReadOnlyList<JsonObject>> ListDeploymentsAsync(KubeConnection connection, string ns, string clusterName, CancellationToken ct)
    {
        var list = await connection.Api.GetAsync(WithSelector(DeploymentsPath(ns), ClusterSelector(clusterName)), ct, $"Deployments of RayCluster '{clusterName}'").ConfigureAwait(false);
        return list.Items("items").OfType<JsonObject>()
            .Where(d =>
            {
                var labels = d.Map("metadata.labels");
                return labels.GetValueOrDefault(KubeRayNames.ClusterLabel) == clusterName
                    && labels.ContainsKey(KubeRayNames.GroupLabel)
                    && labels.GetValueOrDefault(KubeRayNames.NodeTypeLabel, "worker") == "worker";
            })
            .ToList();
    }

    public static RayPSException GroupNotFound(KubeConnection connection, string ns, string clusterName, string groupName, IEnumerable<RayWorkerGroup> existing, Exception? inner = null)
    {
        var names = existing.Select(Describe).ToList();
        var list = names.Count == 0 ? "none" : string.Join(", ", names);
        return new RayPSException(ErrorIds.WorkerGroupNotFound, RayErrorCategory.ObjectNotFound,
            $"Worker group '{groupName}' was not found in Ray cluster '{clusterName}' (namespace '{ns}', context '{connection.ContextName}'). " +
            $"Groups that exist: {list}. List them with Get-RayWorkerGroup -ClusterName {clusterName}, or add one with Add-RayWorkerGroup or New-RayWorkerDeployment.",
            groupName, inner);
    }

    public static RayPSException GroupExists(KubeConnection connection, string ns, string clusterName, RayWorkerGroup existing) =>
        new(ErrorIds.WorkerGroupExists, RayErrorCategory.ResourceExists,
            $"Ray cluster '{clusterName}' (namespace '{ns}', context '{connection.ContextName}') already has a worker group named '{existing.GroupName}': {Describe(existing)}. " +
            "Pick another -GroupName, or change the existing group with Set-RayWorkerReplicas.",
            existing.GroupName);

    private static string Describe(RayWorkerGroup g) =>
        g.Kind == WorkerGroupKind.Deployment ? $"{g.GroupName} (Deployment {g.DeploymentName})" : $"{g.GroupName} (RayCluster)";
}

/// <summary>The worker groups of one cluster, and whether its RayCluster object exists.</summary>
public sealed class WorkerGroupListing
{
    /// <summary>The RayCluster, or null when only Deployment groups exist for the name.</summary>
    public RayCluster? Cluster { get; init; }

    /// <summary>Why <see cref="Cluster"/> is null (RayClusterNotFound or KubeRayCrdMissing); null when it exists.</summary>
    public RayPSException? ClusterMissing { get; init; }

    /// <summary>RayCluster groups in spec order, then Deployment groups by name.</summary>
    public IReadOnlyList<RayWorkerGroup> Groups { get; init; } = Array.Empty<RayWorkerGroup>();
}
