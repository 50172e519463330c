using System.Globalization;
using System.Text.Json.Nodes;
using RayPS.Kube;
using RayPS.Manifests;
using RayPS.Operations;
using RayPS.Sandbox;

namespace RayPS.Client.Tests.WorkerGroups;

/// <summary>
/// A sandbox API server holding RayCluster "ray-cluster" with worker groups rc-a and rc-b (bounds 0..100) and two
/// Deployment groups of it, dep-a and dep-b, each with 1 replica.
/// </summary>
internal sealed class WorkerGroupSandbox : IAsyncDisposable
{
    public const string Namespace = "default";
    public const string Cluster = "ray-cluster";

    public static readonly (string Group, WorkerGroupKind Kind)[] Groups =
    {
        ("rc-a", WorkerGroupKind.RayCluster),
        ("rc-b", WorkerGroupKind.RayCluster),
        ("dep-a", WorkerGroupKind.Deployment),
        ("dep-b", WorkerGroupKind.Deployment),
    };

    private WorkerGroupSandbox(KubeSandbox sandbox, KubeConnection connection)
    {
        Sandbox = sandbox;
        Connection = connection;
    }

    public KubeSandbox Sandbox { get; }
    public KubeConnection Connection { get; }

    public static async Task<WorkerGroupSandbox> StartAsync(SandboxControllers controllers = SandboxControllers.All, bool autoscaling = false)
    {
        var sandbox = await KubeSandbox.StartAsync(new SandboxOptions { Controllers = controllers });
        try
        {
            var connection = KubeConnection.Get(new KubeConnectionOptions(sandbox.KubeConfigPath));
            // A long idle timeout: the simulated autoscaler must not shrink the groups these tests scale.
            var options = new RayClusterOptions { Name = Cluster, Namespace = Namespace, HeadCpu = "1", HeadMemory = "1Gi", EnableAutoscaling = autoscaling, IdleTimeoutSeconds = autoscaling ? 100000 : null };
            foreach (var name in new[] { "rc-a", "rc-b" })
            {
                options.WorkerGroups.Add(new WorkerGroupOptions { GroupName = name, Replicas = 1, MinReplicas = 0, MaxReplicas = 100, Cpu = "1", Memory = "1Gi" });
            }
            await RayClusterLifecycle.CreateAsync(connection, Namespace, RayClusterManifestBuilder.Build(options), false, CancellationToken.None);
            foreach (var name in new[] { "dep-a", "dep-b" })
            {
                await WorkerGroupOperations.CreateDeploymentAsync(connection, Namespace, Cluster, name, cluster =>
                {
                    var deployment = new WorkerDeploymentOptions { ClusterName = Cluster, Namespace = Namespace };
                    deployment.Worker.GroupName = name;
                    deployment.Worker.Image = cluster!.Image!;
                    deployment.Worker.Cpu = "1";
                    deployment.Worker.Memory = "1Gi";
                    return WorkerDeploymentBuilder.Build(deployment);
                }, false, null, CancellationToken.None);
            }
            return new WorkerGroupSandbox(sandbox, connection);
        }
        catch
        {
            await sandbox.DisposeAsync();
            throw;
        }
    }

    public Task<WorkerGroupScaleResult> ScaleAsync(string group, int replicas, WorkerGroupKind? kind = null, bool force = false) =>
        WorkerGroupOperations.ScaleAsync(Connection, new WorkerGroupScaleRequest
        {
            Namespace = Namespace,
            ClusterName = Cluster,
            GroupName = group,
            Replicas = replicas,
            Kind = kind,
            Force = force,
        }, null, CancellationToken.None);

    public async Task<IReadOnlyDictionary<string, int>> ReplicasAsync()
    {
        var listing = await WorkerGroupOperations.ListAsync(Connection, Namespace, Cluster, CancellationToken.None);
        return listing.Groups.ToDictionary(g => g.GroupName, g => g.Replicas);
    }

    /// <summary>
    /// A deliberately naive scale: GET the RayCluster, change one group's replicas in the copy, wait until every other
    /// naive writer has read too, and merge-patch the whole workerGroupSpecs array back (what `kubectl edit` or a
    /// read-modify-write script does). Returns the resourceVersion of its write.
    /// </summary>
    public async Task<long> NaiveScaleAsync(string group, int replicas, CountdownEvent allRead)
    {
        var path = RayClusterOperations.ItemPath(Namespace, Cluster);
        var cluster = await Connection.Api.GetAsync(path, CancellationToken.None);
        var groups = cluster["spec"]!["workerGroupSpecs"]!.DeepClone().AsArray();
        foreach (var g in groups)
        {
            if (g!["groupName"]!.GetValue<string>() == group)
            {
                g["replicas"] = replicas;
            }
        }
        allRead.Signal();
        await Task.Run(() => allRead.Wait(TimeSpan.FromSeconds(10)));
        var written = await Connection.Api.PatchAsync(path, new JsonObject { ["spec"] = new JsonObject { ["workerGroupSpecs"] = groups } },
            KubeApi.MergePatch, CancellationToken.None);
        return Version(written["metadata"]!["resourceVersion"]!.GetValue<string>());
    }

    public static long Version(string? resourceVersion) => long.Parse(resourceVersion!, CultureInfo.InvariantCulture);

    public ValueTask DisposeAsync() => Sandbox.DisposeAsync();
}
