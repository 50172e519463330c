using System.Text.Json.Nodes;
using RayPS.Errors;
using RayPS.Kube;
using RayPS.Model;

namespace RayPS.Operations;

public static partial class WorkerGroupOperations
{
    /// <summary>
    /// Creates a worker group as a Deployment (seed §3). GET RayCluster + LIST Deployments (together), then POST.
    /// The RayCluster must exist, since its head service is the workers' address, unless <paramref name="force"/>;
    /// then <paramref name="warn"/> is told. <paramref name="build"/> makes the Deployment from the cluster as read
    /// (null when forced without one); a group name the cluster already uses, in either kind, or an existing
    /// Deployment of that name, is WorkerGroupExists.
    /// </summary>
    public static async Task<RayWorkerGroup> CreateDeploymentAsync(KubeConnection connection, string ns, string clusterName, string groupName,
        Func<RayCluster?, JsonObject> build, bool force, Action<string>? warn, CancellationToken ct)
    {
        var clusterTask = TryGetClusterAsync(connection, ns, clusterName, ct);
        var deploymentsTask = ListDeploymentsAsync(connection, ns, clusterName, ct);
        await Task.WhenAll(clusterTask, deploymentsTask).ConfigureAwait(false);
        var (cluster, missing) = clusterTask.Result;
        if (cluster is null)
        {
            if (!force)
            {
                throw missing!;
            }
            warn?.Invoke($"RayCluster '{clusterName}' does not exist in namespace '{ns}' (context '{connection.ContextName}'); the workers will retry " +
                $"{KubeRayNames.HeadServiceHost(clusterName, ns)}:{KubeRayNames.GcsPort} until a head with that name appears.");
        }

        var existing = Listing(connection, cluster, missing, deploymentsTask.Result, Array.Empty<RayPodFacts>()).Groups.FirstOrDefault(g => g.GroupName == groupName);
        if (existing is not null)
        {
            throw GroupExists(connection, ns, clusterName, existing);
        }

        var deployment = build(cluster);
        var name = deployment.Str("metadata.name") ?? "";
        try
        {
            var created = await connection.Api.Raw.PostAsync(DeploymentsPath(ns), deployment, ct, $"Deployment '{name}'").ConfigureAwait(false);
            return RayWorkerGroup.FromDeployment(created, null, connection.ContextName);
        }
        catch (KubeApiException ex) when (!ex.IsConflict)
        {
            throw ex.ToRayPSException();
        }
        catch (KubeApiException ex)
        {
            throw new RayPSException(ErrorIds.WorkerGroupExists, RayErrorCategory.ResourceExists,
                $"A Deployment named '{name}' already exists in namespace '{ns}' (context '{connection.ContextName}'). " +
                "Pass another -Name, or remove it first (kubectl delete deployment " + name + " -n " + ns + ").",
                name, ex);
        }
    }
}
