using System.Management.Automation;
using RayPS.Errors;
using RayPS.Kube;
using RayPS.Sandbox;
using RayPS.Internal;

namespace RayPS.Commands;

/// <summary>Starts a loopback Kubernetes API server with simulated KubeRay, Deployment and kubelet controllers.</summary>
[Cmdlet(VerbsLifecycle.Start, "RaySandbox", HelpUri = HelpLinks.Cmdlets + "Start-RaySandbox.md", SupportsShouldProcess = true)]
[OutputType(typeof(RaySandbox))]
public sealed class StartRaySandboxCommand : RayAsyncCmdlet
{
    private string? _kubeConfigPath;

    /// <summary>The port on 127.0.0.1; 0 picks a free one.</summary>
    [Parameter]
    [ValidateRange(0, 65535)]
    public int Port { get; set; }

    /// <summary>Where to write the sandbox's kubeconfig; default: a new file in the temp folder.</summary>
    [Parameter]
    public string? KubeConfigPath { get; set; }

    /// <summary>
    /// Starts without the RayCluster CRD and the KubeRay operator (a cluster where KubeRay is not installed); the simulated operator
    /// then runs only while an installed operator Deployment (Install-KubeRayOperator) has a ready pod.
    /// </summary>
    [Parameter]
    public SwitchParameter WithoutKubeRay { get; set; }

    /// <summary>Which simulated controllers run; default: all.</summary>
    [Parameter]
    public SandboxControllers[]? Controllers { get; set; }

    /// <summary>Milliseconds from a pod's creation to its containers running; default 100 (fast, for tests).</summary>
    [Parameter]
    [ValidateRange(0, 3600000)]
    public int? PodStartDelayMs { get; set; }

    /// <summary>
    /// How long one second of probe and back-off time lasts, in milliseconds (probe periods, failure thresholds,
    /// CrashLoopBackOff, ImagePullBackOff); default 10, so a minute of probing takes 0.6 s. 1000 is real time.
    /// </summary>
    [Parameter]
    [ValidateRange(1, 1000)]
    public int? ProbeSecondMs { get; set; }

    /// <summary>
    /// Seeds the sandbox's deliberately unpredictable choices (which workers a plain scale-down removes,
    /// arbitrary on a real KubeRay operator); default: a random seed, reported as the sandbox's Seed.
    /// </summary>
    [Parameter]
    public int? Seed { get; set; }

    /// <summary>Blocks until Ctrl+C, then stops the sandbox (to serve kubectl or other processes).</summary>
    [Parameter]
    public SwitchParameter Wait { get; set; }

    /// <summary>With -Wait, writes the sandbox object before blocking.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void OnBeginProcessing()
    {
        _kubeConfigPath = KubeConfigPath is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(KubeConfigPath);
    }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        if (_kubeConfigPath is not null && Path.GetDirectoryName(_kubeConfigPath) is { Length: > 0 } folder && !Directory.Exists(folder))
        {
            throw new RayPSException(ErrorIds.SandboxKubeConfigFolderMissing, RayErrorCategory.ObjectNotFound,
                $"The folder '{folder}' for -KubeConfigPath does not exist, and the sandbox does not create folders. " +
                $"Create it first (New-Item -ItemType Directory '{folder}') or pass a path in an existing folder.", _kubeConfigPath);
        }
        var controllers = Controllers is null ? SandboxControllers.All : Controllers.Aggregate(SandboxControllers.None, (all, c) => all | c);
        var target = $"https://127.0.0.1:{(Port == 0 ? "<free port>" : Port.ToString(System.Globalization.CultureInfo.InvariantCulture))}";
        if (!await ShouldProcessAsync(target, "Start a RayPS sandbox Kubernetes API").ConfigureAwait(false))
        {
            return;
        }

        KubeSandbox server;
        try
        {
            server = await KubeSandbox.StartAsync(new SandboxOptions
            {
                Port = Port,
                KubeConfigPath = _kubeConfigPath,
                InstallKubeRayCrd = !WithoutKubeRay,
                KubeRayInstalledByUser = WithoutKubeRay,
                Controllers = controllers,
                Cluster = ClusterTiming(),
                Seed = Seed,
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            throw new RayPSException(ErrorIds.SandboxStartFailed, RayErrorCategory.ResourceUnavailable,
                $"The sandbox could not listen on 127.0.0.1:{Port} ({ex.SocketErrorCode}). Pass -Port 0 for a free port.", Port, ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new RayPSException(ErrorIds.SandboxStartFailed, RayErrorCategory.ResourceUnavailable,
                $"The sandbox could not write its kubeconfig to '{_kubeConfigPath}': {ex.Message}", _kubeConfigPath, ex);
        }

        // A kubeconfig path may be reused by a new sandbox: forget clients built for the old one.
        KubeConnection.ClearCache();
        var sandbox = new RaySandbox(server, controllers, !WithoutKubeRay);
        SandboxRegistry.Add(sandbox);
        EmitVerbose($"Sandbox {sandbox.Id} listening on {sandbox.Uri}; kubeconfig {sandbox.KubeConfigPath}, context {sandbox.Context}, seed {sandbox.Seed}.");
        if (!Wait || PassThru)
        {
            Emit(sandbox);
        }
        if (!Wait)
        {
            return;
        }

        EmitWarning($"Serving {sandbox.Uri} until Ctrl+C. Use: kubectl --kubeconfig '{sandbox.KubeConfigPath}' get pods -A");
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await SandboxLifetime.StopAsync(sandbox).ConfigureAwait(false);
        }
    }

    private Sandbox.Cluster.ClusterSimulationOptions ClusterTiming()
    {
        var timing = new Sandbox.Cluster.ClusterSimulationOptions();
        if (PodStartDelayMs is { } start)
        {
            timing.StartDelay = TimeSpan.FromMilliseconds(start);
        }
        if (ProbeSecondMs is { } second)
        {
            timing.ProbeSecond = TimeSpan.FromMilliseconds(second);
        }
        return timing;
    }
}
