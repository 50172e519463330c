using System.Collections;
using System.Management.Automation;
using RayPS.Errors;
using RayPS.Internal;
using RayPS.Manifests;
using RayPS.Operations;

namespace RayPS.Commands;

/// <summary>
/// Creates a Ray worker group as a plain Deployment (seed §3), for workers that RayCluster groups and Helm values
/// cannot describe (Ascend NPU driver mounts, probes). Or, with -ManifestOnly, writes its YAML without contacting anything.
/// </summary>
[Cmdlet(VerbsCommon.New, "RayWorkerDeployment", HelpUri = HelpLinks.Cmdlets + "New-RayWorkerDeployment.md", DefaultParameterSetName = CreateSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(RayWorkerGroup), ParameterSetName = new[] { CreateSet })]
[OutputType(typeof(string), ParameterSetName = new[] { ManifestSet })]
public sealed class NewRayWorkerDeploymentCommand : RayWorkerGroupCmdletBase
{
    private const string CreateSet = "Create";
    private const string ManifestSet = "ManifestOnly";

    /// <summary>Stands in for the head image while inputs are checked before the cluster is read.</summary>
    private const string ValidationImage = "validation-only";

    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string GroupName { get; set; } = "";

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Identifier { get; set; }

    [Parameter(ParameterSetName = CreateSet)]
    [Parameter(Mandatory = true, ParameterSetName = ManifestSet)]
    [ValidateNotNullOrEmpty]
    public string? Image { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? RayMemory { get; set; }

    [Parameter]
    public IDictionary? HostPathMount { get; set; }

    [Parameter]
    public IDictionary? Env { get; set; }

    [Parameter]
    [ValidateNotNull]
    public object[]? Toleration { get; set; }

    [Parameter]
    public WorkerDeploymentProfile Profile { get; set; } = WorkerDeploymentProfile.None;

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int UlimitNoFile { get; set; } = WorkerDeploymentOptions.DefaultUlimitNoFile;

    [Parameter]
    [ValidateRange(1, 65535)]
    public int DashboardAgentPort { get; set; } = WorkerDeploymentOptions.DefaultDashboardAgentPort;

    [Parameter]
    [ValidateRange(1, 65535)]
    public int MetricsExportPort { get; set; } = WorkerDeploymentOptions.DefaultMetricsExportPort;

    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int LivenessInitialDelaySeconds { get; set; } = WorkerDeploymentOptions.DefaultLivenessInitialDelaySeconds;

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int LivenessPeriodSeconds { get; set; } = WorkerDeploymentOptions.DefaultLivenessPeriodSeconds;

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int LivenessFailureThreshold { get; set; } = WorkerDeploymentOptions.DefaultLivenessFailureThreshold;

    [Parameter(Mandatory = true, ParameterSetName = ManifestSet)]
    public SwitchParameter ManifestOnly { get; set; }

    /// <summary>Create the Deployment even when the RayCluster does not exist (yet).</summary>
    [Parameter(ParameterSetName = CreateSet)]
    public SwitchParameter Force { get; set; }

    [Parameter(ParameterSetName = CreateSet)]
    public SwitchParameter Wait { get; set; }

    [Parameter(ParameterSetName = CreateSet)]
    [ValidateRange(1, int.MaxValue)]
    public int TimeoutSec { get; set; } = 600;

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        if (ManifestOnly)
        {
            // Contacts nothing: the namespace comes from -Namespace, else the kubeconfig if there is one, else "default".
            var manifest = WorkerDeploymentBuilder.Build(ToOptions(Namespace ?? KubeConfigNamespace(), Image!));
            Emit(ManifestYaml.Write(manifest));
            return;
        }

        var ns = TargetNamespace;
        var options = ToOptions(ns, Image ?? ValidationImage);
        WorkerDeploymentBuilder.Build(options);
        var target = $"Deployment '{options.DeploymentName}' in namespace '{ns}' (context '{Connection.ContextName}')";
        if (!await ShouldProcessAsync(target, $"Create worker group '{GroupName}' of Ray cluster '{ClusterName}' ({Replicas} replicas)").ConfigureAwait(false))
        {
            return;
        }

        var group = await WorkerGroupOperations.CreateDeploymentAsync(Connection, ns, ClusterName, GroupName, cluster =>
        {
            options.Worker.Image = Image ?? cluster?.Image ?? "";
            return WorkerDeploymentBuilder.Build(options);
        }, Force, EmitWarning, cancellationToken).ConfigureAwait(false);
        EmitVerbose($"Created {target}: {group.Replicas} workers joining {options.HeadAddress}, image {group.Image}.");

        if (Wait)
        {
            group = await WaitForGroupAsync(group, $"Waiting for worker Deployment '{group.DeploymentName}'",
                TimeSpan.FromSeconds(TimeoutSec), cancellationToken).ConfigureAwait(false);
        }
        Emit(group);
    }

    private WorkerDeploymentOptions ToOptions(string ns, string image)
    {
        var options = new WorkerDeploymentOptions
        {
            ClusterName = ClusterName,
            Namespace = ns,
            Name = Name,
            Identifier = Identifier,
            RayMemory = RayMemory,
            UlimitNoFile = UlimitNoFile,
            DashboardAgentPort = DashboardAgentPort,
            MetricsExportPort = MetricsExportPort,
            LivenessInitialDelaySeconds = LivenessInitialDelaySeconds,
            LivenessPeriodSeconds = LivenessPeriodSeconds,
            LivenessFailureThreshold = LivenessFailureThreshold,
        };
        var worker = options.Worker;
        worker.GroupName = GroupName;
        worker.Image = image;
        ApplyWorkerParameters(worker);
        HashtableParameters.AddTo(Env, worker.Env);
        foreach (var item in Toleration ?? Array.Empty<object>())
        {
            worker.Tolerations.Add(HashtableParameters.Toleration(item));
        }
        foreach (var (hostPath, mountPath) in HashtableParameters.Strings(HostPathMount))
        {
            options.HostPathMounts.Add(new HostPathMount(hostPath, mountPath));
        }
        WorkerDeploymentProfiles.Apply(options, Profile);
        return options;
    }

    private string KubeConfigNamespace()
    {
        try
        {
            return TargetNamespace;
        }
        catch (RayPSException)
        {
            return "default";
        }
    }
}
