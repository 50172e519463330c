using System.Management.Automation;
using RayPS.Internal;
using RayPS.Completers;
using RayPS.Operations;

namespace RayPS.Commands;

/// <summary>
/// Turns the Ray autoscaler (KubeRay's in-tree autoscaler sidecar) of a RayCluster on or off and sets its options, with
/// one merge patch of just those fields.
/// </summary>
[Cmdlet(VerbsCommon.Set, "RayClusterAutoscaling", HelpUri = HelpLinks.Cmdlets + "Set-RayClusterAutoscaling.md", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = "Enable")]
[OutputType(typeof(RayCluster))]
public sealed class SetRayClusterAutoscalingCommand : RayNamespacedCmdletBase
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ArgumentCompleter(typeof(RayClusterNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string ClusterName { get; set; } = "";

    /// <summary>
    /// The object piped in whole: a RayCluster, or a worker group or node naming its cluster. Used to refuse objects that
    /// name no RayCluster (the KubeRay operator, a date) instead of changing whatever their Name says.
    /// </summary>
    [Parameter(ValueFromPipeline = true)]
    public PSObject? InputObject { get; set; }

    [Parameter(ParameterSetName = "Enable")]
    public SwitchParameter Enable { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = "Disable")]
    public SwitchParameter Disable { get; set; }

    [Parameter(ParameterSetName = "Enable")]
    [ValidateRange(0, int.MaxValue)]
    public int? IdleTimeoutSeconds { get; set; }

    [Parameter(ParameterSetName = "Enable")]
    [ValidateSet("Default", "Aggressive", "Conservative")]
    public string? UpscalingMode { get; set; }

    [Parameter(ParameterSetName = "Enable")]
    [ValidateSet("v1", "v2")]
    public string? Version { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        if (PipelineInputGuard.RefuseNonCluster(InputObject, "Set-RayClusterAutoscaling", "Nothing was changed.") is { } refused)
        {
            EmitError(refused);
            return;
        }
        var ns = TargetNamespace;
        var request = new RayClusterAutoscalingRequest
        {
            Namespace = ns,
            ClusterName = ClusterName,
            Enabled = Disable ? false : Enable ? true : null,
            IdleTimeoutSeconds = IdleTimeoutSeconds,
            UpscalingMode = UpscalingMode,
            Version = Version,
        };
        var what = Disable ? "Turn the Ray autoscaler off" : Enable ? "Turn the Ray autoscaler on" : "Set the Ray autoscaler's options";
        if (!await ShouldProcessAsync($"RayCluster '{ClusterName}' in namespace '{ns}' (context '{Connection.ContextName}')", what).ConfigureAwait(false))
        {
            return;
        }
        var cluster = await RayClusterAutoscaling.SetAsync(Connection, request, cancellationToken).ConfigureAwait(false);
        if (request.Enabled is not null)
        {
            EmitWarning($"KubeRay adds or removes the autoscaler container when it creates the head pod of '{ClusterName}', not in a running one: " +
                "the change takes effect when the head pod is next created. Until then the replicas of its groups stay as they are" +
                (request.Enabled == true ? "; while autoscaling is on, change group sizes with Set-RayWorkerReplicas -MinReplicas/-MaxReplicas." : "."));
        }
        EmitVerbose($"{what} for RayCluster '{ClusterName}' (generation {cluster.Generation}).");
        if (PassThru)
        {
            Emit(cluster);
        }
    }
}
