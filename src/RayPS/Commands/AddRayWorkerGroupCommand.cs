using System.Management.Automation;
using RayPS.Internal;
using RayPS.Manifests;
using RayPS.Operations;

namespace RayPS.Commands;

/// <summary>
/// Adds a worker group to an existing RayCluster (what `kubectl ray create workergroup` does) with one JSON patch that
/// cannot overwrite a concurrent change or add a duplicate.
/// </summary>
[Cmdlet(VerbsCommon.Add, "RayWorkerGroup", HelpUri = HelpLinks.Cmdlets + "Add-RayWorkerGroup.md", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(RayWorkerGroup))]
public sealed class AddRayWorkerGroupCommand : RayWorkerGroupCmdletBase
{
    /// <summary>Placeholder that lets every input be checked before the cluster (and its default image) is read.</summary>
    private const string ValidationImage = "validation-only";

    /// <summary>-Cpu and -Memory default to New-RayCluster's worker group (New-RayWorkerDeployment has no defaults).</summary>
    public AddRayWorkerGroupCommand()
    {
        Cpu = RayClusterOptions.DefaultWorkerCpu;
        Memory = RayClusterOptions.DefaultWorkerMemory;
    }

    [Parameter(Mandatory = true, Position = 1)]
    [Alias("Name")]
    [ValidateNotNullOrEmpty]
    public string GroupName { get; set; } = "";

    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int MinReplicas { get; set; }

    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int MaxReplicas { get; set; } = int.MaxValue;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Image { get; set; }

    [Parameter]
    public SwitchParameter Wait { get; set; }

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int TimeoutSec { get; set; } = 600;

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var options = ToOptions();
        WorkerParameterValidation.Validate(options);
        Validate(options);

        var ns = TargetNamespace;
        var target = $"RayCluster '{ClusterName}' in namespace '{ns}' (context '{Connection.ContextName}')";
        if (!await ShouldProcessAsync(target, $"Add worker group '{GroupName}' ({Replicas} replicas)").ConfigureAwait(false))
        {
            return;
        }

        var group = await WorkerGroupOperations.AddAsync(Connection, ns, ClusterName, GroupName, cluster =>
        {
            options.Image = Image ?? cluster.Image ?? $"rayproject/ray:{cluster.RayVersion ?? RayClusterOptions.DefaultRayVersion}";
            return WorkerGroupBuilder.Build(options);
        }, cancellationToken).ConfigureAwait(false);
        EmitVerbose($"Added worker group '{GroupName}' to {target} at index {group.Index}, image {group.Image}.");

        if (Wait)
        {
            group = await WaitForGroupAsync(group, $"Waiting for worker group '{GroupName}' of '{ClusterName}'",
                TimeSpan.FromSeconds(TimeoutSec), cancellationToken).ConfigureAwait(false);
        }
        Emit(group);
    }

    private WorkerGroupOptions ToOptions()
    {
        var options = new WorkerGroupOptions
        {
            GroupName = GroupName,
            Image = Image ?? ValidationImage,
            MinReplicas = MinReplicas,
            MaxReplicas = MaxReplicas,
        };
        ApplyWorkerParameters(options);
        return options;
    }

    /// <summary>Builds once with the placeholder image so every input error surfaces before any request.</summary>
    private static void Validate(WorkerGroupOptions options) => WorkerGroupBuilder.Build(options);
}
