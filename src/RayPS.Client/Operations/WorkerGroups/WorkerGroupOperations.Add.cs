using System.Text.Json.Nodes;
using RayPS.Errors;
using RayPS.Kube;
using RayPS.Model;

namespace RayPS.Operations;

public static partial class WorkerGroupOperations
{
    /// <summary>
    /// Adds a worker group to an existing RayCluster (what `kubectl ray create workergroup` does with GET + PUT) as
    /// ONE JSON patch (<see cref="WorkerGroupPatches.AddGroup"/>) that cannot overwrite a concurrent change or add a
    /// duplicate. <paramref name="build"/> makes the group from the cluster as read (its head image is the
    /// default image). A group name already used by the RayCluster or by one of its Deployment groups is
    /// WorkerGroupExists. Requests: GET RayCluster + LIST Deployments (together) + PATCH; a failed test (someone
    /// changed the groups meanwhile) re-reads the RayCluster and tries again, at most <paramref name="maxAttempts"/> times.
    /// </summary>
    public static async Task<RayWorkerGroup> AddAsync(KubeConnection connection, string ns, string clusterName, string groupName,
        Func<RayCluster, JsonObject> build, CancellationToken ct, int maxAttempts = 8)
    {
        var clusterTask = RayClusterOperations.GetAsync(connection, ns, clusterName, ct);
        var deploymentsTask = ListDeploymentsAsync(connection, ns, clusterName, ct);
        await Task.WhenAll(clusterTask, deploymentsTask).ConfigureAwait(false);
        var cluster = clusterTask.Result;
        var deployments = deploymentsTask.Result;
        var clash = deployments.FirstOrDefault(d => d.Map("metadata.labels").GetValueOrDefault(KubeRayNames.GroupLabel) == groupName);
        if (clash is not null)
        {
            throw GroupExists(connection, ns, clusterName, RayWorkerGroup.FromDeployment(clash, null, connection.ContextName));
        }

        JsonObject? group = null;
        for (var attempt = 1; ; attempt++)
        {
            var index = IndexOf(cluster, groupName);
            if (index >= 0)
            {
                throw GroupExists(connection, ns, clusterName, RayWorkerGroup.FromRayCluster(cluster, index, Array.Empty<RayPodFacts>()));
            }
            group ??= build(cluster);
            var patch = WorkerGroupPatches.AddGroup(cluster.Raw, group);
            try
            {
                var patched = await connection.Api.Raw.PatchAsync(RayClusterOperations.ItemPath(ns, clusterName), patch, KubeApi.JsonPatch, ct,
                    $"RayCluster '{clusterName}'").ConfigureAwait(false);
                var after = RayCluster.FromJson(patched, connection.ContextName);
                return RayWorkerGroup.FromRayCluster(after, IndexOf(after, groupName), Array.Empty<RayPodFacts>());
            }
            catch (KubeApiException ex) when (ex.IsFailedTest && attempt < maxAttempts)
            {
                await Task.Delay(RetryDelay(attempt), ct).ConfigureAwait(false);
            }
            catch (KubeApiException ex) when (ex.IsFailedTest)
            {
                throw new RayPSException(ErrorIds.ScaleConflict, RayErrorCategory.ResourceUnavailable,
                    $"The worker groups of RayCluster '{clusterName}' (namespace '{ns}', context '{connection.ContextName}') changed between read and write on each of {attempt} attempts. " +
                    "Nothing was added; run the command again.", groupName, ex);
            }
            catch (KubeApiException ex)
            {
                throw RayClusterOperations.Map(connection, ns, clusterName, ex);
            }
            cluster = await RayClusterOperations.GetAsync(connection, ns, clusterName, ct).ConfigureAwait(false);
        }
    }
}
