using RayPS.Errors;
using RayPS.Operations;
using RayPS.Sandbox;

namespace RayPS.Client.Tests.WorkerGroups;

/// <summary>The worker-group operations against the sandbox API server: concurrency, request counts, both kinds.</summary>
public sealed class WorkerGroupSandboxTests
{
    private sealed record Call(string Group, int Replicas, long Version, int Attempts);

    /// <summary>Per group, the value of the call whose write the server applied last (the highest resourceVersion).</summary>
    private static Dictionary<string, int> LastWrites(IEnumerable<Call> calls) =>
        calls.GroupBy(c => c.Group).ToDictionary(g => g.Key, g => g.MaxBy(c => c.Version)!.Replicas);

    [Fact]
    public async Task Twenty_concurrent_scales_over_four_groups_lose_no_update()
    {
        await using var env = await WorkerGroupSandbox.StartAsync(SandboxControllers.Deployment);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = Enumerable.Range(0, 20).Select(i => Task.Run(async () =>
        {
            await gate.Task;
            var (group, kind) = WorkerGroupSandbox.Groups[i % 4];
            var replicas = 10 + i;
            // Half the calls know the kind (as when piped from Get-RayWorkerGroup), half find it.
            var result = await env.ScaleAsync(group, replicas, i % 8 < 4 ? kind : null);
            return new Call(group, replicas, WorkerGroupSandbox.Version(result.Group.ResourceVersion), result.Attempts);
        })).ToList();
        gate.SetResult();
        var calls = await Task.WhenAll(tasks);

        var expected = LastWrites(calls);
        var actual = await env.ReplicasAsync();
        Assert.Equal(4, expected.Count);
        foreach (var (group, replicas) in expected)
        {
            Assert.Equal(replicas, actual[group]);
        }
    }

    [Fact]
    public async Task A_naive_read_modify_replace_loses_updates_under_the_same_load()
    {
        await using var env = await WorkerGroupSandbox.StartAsync(SandboxControllers.Deployment);
        using var allRead = new CountdownEvent(10);
        var tasks = Enumerable.Range(0, 10).Select(i => Task.Run(async () =>
        {
            var group = i % 2 == 0 ? "rc-a" : "rc-b";
            var replicas = 10 + i;
            return new Call(group, replicas, await env.NaiveScaleAsync(group, replicas, allRead), 1);
        })).ToList();
        var calls = await Task.WhenAll(tasks);

        var expected = LastWrites(calls);
        var actual = await env.ReplicasAsync();
        var lost = expected.Count(e => actual[e.Key] != e.Value);
        Assert.True(lost >= 1, "the naive helper was expected to lose at least one group's last update");
    }

    [Fact]
    public async Task Requests_per_scale_are_one_patch_plus_the_reads_that_find_the_group()
    {
        await using var env = await WorkerGroupSandbox.StartAsync(SandboxControllers.None);
        var log = env.Sandbox.Requests;

        log.Reset();
        await env.ScaleAsync("rc-a", 3);
        Assert.Equal((1, 1, 2), (log.Count("get", "rayclusters"), log.Count("patch", "rayclusters"), log.Total));

        log.Reset();
        await env.ScaleAsync("rc-b", 3, WorkerGroupKind.RayCluster);
        Assert.Equal((1, 1, 2), (log.Count("get", "rayclusters"), log.Count("patch", "rayclusters"), log.Total));

        log.Reset();
        await env.ScaleAsync("dep-a", 3);
        Assert.Equal((1, 1, 2), (log.Count("get", "rayclusters"), log.Count("patch", "deployments"), log.Total));

        log.Reset();
        await env.ScaleAsync("dep-b", 3, WorkerGroupKind.Deployment);
        Assert.Equal((1, 1), (log.Count("patch", "deployments"), log.Total));

        log.Reset();
        await WorkerGroupOperations.ListAsync(env.Connection, WorkerGroupSandbox.Namespace, WorkerGroupSandbox.Cluster, CancellationToken.None);
        Assert.Equal((1, 1, 1, 3), (log.Count("get", "rayclusters"), log.Count("list", "deployments"), log.Count("list", "pods"), log.Total));

        var replicas = await env.ReplicasAsync();
        Assert.All(new[] { "rc-a", "rc-b", "dep-a", "dep-b" }, g => Assert.Equal(3, replicas[g]));
    }

    [Fact]
    public async Task A_group_piped_from_a_listing_scales_with_one_patch_and_a_stale_one_is_read_again()
    {
        await using var env = await WorkerGroupSandbox.StartAsync(SandboxControllers.None);
        var log = env.Sandbox.Requests;
        var listing = await WorkerGroupOperations.ListAsync(env.Connection, WorkerGroupSandbox.Namespace, WorkerGroupSandbox.Cluster, CancellationToken.None);
        var groups = listing.Groups.ToDictionary(g => g.GroupName);
        Task<WorkerGroupScaleResult> Scale(string group, int replicas) => WorkerGroupOperations.ScaleAsync(env.Connection, new WorkerGroupScaleRequest
        {
            Namespace = WorkerGroupSandbox.Namespace, ClusterName = WorkerGroupSandbox.Cluster, GroupName = group, Replicas = replicas,
            Kind = groups[group].Kind, KnownGroup = groups[group],
        }, null, CancellationToken.None);

        log.Reset();
        var rc = await Scale("rc-a", 4);
        Assert.Equal((1, 1), (log.Count("patch", "rayclusters"), log.Total));
        Assert.Equal((4, 1), (rc.Group.Replicas, rc.Attempts));

        log.Reset();
        var dep = await Scale("dep-a", 4);
        Assert.Equal((1, 1), (log.Count("patch", "deployments/scale"), log.Total));
        Assert.Equal(4, dep.Group.Replicas);

        // The cluster's spec changed after the listing (rc-a was scaled above): the piped rc-b is stale, its patch's
        // generation test fails, and the group is read and patched again rather than written blind.
        log.Reset();
        var stale = await Scale("rc-b", 5);
        Assert.Equal((2, 1, 3), (log.Count("patch", "rayclusters"), log.Count("get", "rayclusters"), log.Total));
        Assert.Equal((5, 2), (stale.Group.Replicas, stale.Attempts));

        var replicas = await env.ReplicasAsync();
        Assert.Equal((4, 5, 4), (replicas["rc-a"], replicas["rc-b"], replicas["dep-a"]));
    }

    [Fact]
    public async Task Bounds_autoscaler_and_unknown_groups_are_refused_by_the_real_patch_path()
    {
        await using var env = await WorkerGroupSandbox.StartAsync(SandboxControllers.None);
        Assert.Equal(ErrorIds.ReplicasOutOfRange, (await Assert.ThrowsAsync<RayPSException>(() => env.ScaleAsync("rc-a", 101))).ErrorId);
        var missing = await Assert.ThrowsAsync<RayPSException>(() => env.ScaleAsync("nope", 1));
        Assert.Equal(ErrorIds.WorkerGroupNotFound, missing.ErrorId);
        Assert.Contains("dep-a (Deployment ray-cluster-dep-a)", missing.Message);

        var adjusted = await WorkerGroupOperations.ScaleAsync(env.Connection, new WorkerGroupScaleRequest
        {
            Namespace = WorkerGroupSandbox.Namespace, ClusterName = WorkerGroupSandbox.Cluster, GroupName = "rc-a", Replicas = 150, AdjustBounds = true,
        }, null, CancellationToken.None);
        Assert.Equal((150, 150), (adjusted.Group.Replicas, adjusted.Group.MaxReplicas));
    }

    [Fact]
    public async Task Groups_of_both_kinds_become_ready_and_scale_down_settles()
    {
        await using var env = await WorkerGroupSandbox.StartAsync();
        var listing = await WorkerGroupOperations.ListAsync(env.Connection, WorkerGroupSandbox.Namespace, WorkerGroupSandbox.Cluster, CancellationToken.None);
        foreach (var group in listing.Groups)
        {
            var settled = await WorkerGroupOperations.WaitSettledAsync(env.Connection, group, TimeSpan.FromSeconds(30), null, CancellationToken.None, TimeSpan.FromMilliseconds(100));
            Assert.Equal((1, 1), (settled.DesiredWorkers, settled.ReadyWorkers));
        }

        foreach (var (group, kind) in WorkerGroupSandbox.Groups)
        {
            var up = await env.ScaleAsync(group, 3, kind);
            var settled = await WorkerGroupOperations.WaitSettledAsync(env.Connection, up.Group, TimeSpan.FromSeconds(30), null, CancellationToken.None, TimeSpan.FromMilliseconds(100));
            Assert.Equal((3, 3, 3), (settled.DesiredWorkers, settled.CurrentWorkers, settled.ReadyWorkers));
            var down = await env.ScaleAsync(group, 0, kind);
            settled = await WorkerGroupOperations.WaitSettledAsync(env.Connection, down.Group, TimeSpan.FromSeconds(30), null, CancellationToken.None, TimeSpan.FromMilliseconds(100));
            Assert.Equal((0, 0), (settled.CurrentWorkers, settled.ReadyWorkers));
        }
    }

    [Fact]
    public async Task Scaling_an_autoscaled_group_down_names_the_pods_the_operator_removes()
    {
        await using var env = await WorkerGroupSandbox.StartAsync(autoscaling: true);
        Assert.Equal(ErrorIds.AutoscalerOwnsReplicas, (await Assert.ThrowsAsync<RayPSException>(() => env.ScaleAsync("rc-a", 3))).ErrorId);

        var up = await env.ScaleAsync("rc-a", 3, force: true);
        var before = await WorkerGroupOperations.WaitSettledAsync(env.Connection, up.Group, TimeSpan.FromSeconds(30), null, CancellationToken.None, TimeSpan.FromMilliseconds(100));
        Assert.Equal(3, before.Pods.Count);

        var down = await env.ScaleAsync("rc-a", 1, force: true);
        Assert.Equal(2, down.WorkersToDelete.Count);
        Assert.All(down.WorkersToDelete, pod => Assert.Contains(pod, before.Pods));
        Assert.Equal(down.WorkersToDelete, down.Group.WorkersToDelete);

        var after = await WorkerGroupOperations.WaitSettledAsync(env.Connection, down.Group, TimeSpan.FromSeconds(30), null, CancellationToken.None, TimeSpan.FromMilliseconds(100));
        Assert.Equal((1, 1), (after.CurrentWorkers, after.ReadyWorkers));
        Assert.DoesNotContain(after.Pods, pod => down.WorkersToDelete.Contains(pod));
    }
}
