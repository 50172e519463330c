using System.Diagnostics;
using RayPS.Sandbox.Cluster;
using Xunit.Abstractions;

namespace RayPS.Sandbox.Tests.Cluster;

/// <summary>Runs only when RAYPS_SCALE_WORKERS is set (e.g. 1000): too slow for the regular suite.</summary>
public sealed class ScaleFactAttribute : FactAttribute
{
    public ScaleFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("RAYPS_SCALE_WORKERS")))
        {
            Skip = "set RAYPS_SCALE_WORKERS=<n> to measure a RayCluster of n workers";
        }
    }
}

/// <summary>
/// Time and memory for a RayCluster of RAYPS_SCALE_WORKERS workers to become ready in a default sandbox
/// (all controllers, default timings, events recorded). The numbers go to the test output.
/// </summary>
public sealed class ScaleMeasurementTests(ITestOutputHelper output)
{
    [ScaleFact]
    public async Task ARayClusterOfManyWorkersBecomesReady()
    {
        var workers = int.Parse(Environment.GetEnvironmentVariable("RAYPS_SCALE_WORKERS")!, System.Globalization.CultureInfo.InvariantCulture);
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
