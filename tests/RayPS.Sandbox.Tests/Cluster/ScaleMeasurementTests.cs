using System.Diagnostics;
using RayPS.Sandbox.Cluster;
using Xunit.Abstractions;

namespace RayPS.Sandbox.Tests.Cluster;

/// <summary>
/// A RayCluster of many workers becomes ready in a default sandbox (all controllers, default timings, events recorded):
/// 50 workers in the regular suite, RAYPS_SCALE_WORKERS (e.g. 1000) to measure a larger one. Time and memory go to the
/// test output as information only; speed targets live in the benchmarks.
/// </summary>
public sealed class ScaleMeasurementTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ARayClusterOfManyWorkersBecomesReady()
    {
        var requested = Environment.GetEnvironmentVariable("RAYPS_SCALE_WORKERS");
        var workers = string.IsNullOrEmpty(requested) ? 50 : int.Parse(requested, System.Globalization.CultureInfo.InvariantCulture);
        await using var sandbox = await KubeSandbox.StartAsync(new SandboxOptions());
        var raw = KubeRayE2ETests.SampleCluster("scale", replicas: workers);
        TestClusters.Group(raw)["maxReplicas"] = workers;
        GC.Collect();
        var managedBefore = GC.GetTotalMemory(forceFullCollection: true);
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        sandbox.Store.Create(Gvr.RayClusters, raw);
        while (JsonNodes.StringAt(sandbox.Store.TryGet(Gvr.RayClusters, "default", "scale"), "status", "state") != "ready")
        {
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(5), "not ready after 5 minutes");
            await Task.Delay(100);
        }
        var elapsed = clock.Elapsed;
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpuBefore;
        var managed = GC.GetTotalMemory(forceFullCollection: true) - managedBefore;
        process.Refresh();
        Assert.Equal(workers + 1, sandbox.Cluster.Ray.Find("default", "scale")!.AliveNodes.Count);
        output.WriteLine($"{workers} workers ready in {elapsed.TotalSeconds:F1} s (CPU {cpu.TotalSeconds:F1} s, {Environment.ProcessorCount} cores); "
            + $"managed heap +{managed >> 20} MB, working set {process.WorkingSet64 >> 20} MB, peak {process.PeakWorkingSet64 >> 20} MB");
    }
}
