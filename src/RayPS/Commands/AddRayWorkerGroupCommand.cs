using System.Collections;
using System.Management.Automation;
using RayPS.Completers;
using RayPS.Internal;
using RayPS.Manifests;
using RayPS.Operations;

namespace RayPS.Commands;

/// <summary>
/// Adds a worker group to an existing RayCluster (what `kubectl ray create workergroup` does) with one JSON patch that
/// cannot overwrite a concurrent change or add a duplicate.
/// </summary>
[Cmdlet(VerbsCommon.Add, "RayWorkerGroup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(RayWorkerGroup))]
public sealed class AddRayWorkerGroupCommand : RayNamespacedCmdletBase
{
    /// <summary>Placeholder that lets every input be checked before the cluster (and its default image) is read.</summary>
    private const string ValidationImage = "validation-only";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(RayClusterNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string ClusterName { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1)]
    [Alias("Name")]
    [ValidateNotNullOrEmpty]
    public string GroupName { get; set; } = "";

    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int Replicas { get; set; } = 1;

    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int MinReplicas { get; set; }

    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int MaxReplicas { get; set; } = int.MaxValue;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Cpu { get; set; } = RayClusterOptions.DefaultWorkerCpu;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Memory { get; set; } = RayClusterOptions.DefaultWorkerMemory;

    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int Gpu { get; set; }

    [Parameter]
    public IDictionary? Accelerator { get; set; }

    [Parameter]
    public IDictionary? RayResources { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Image { get; set; }

    [Parameter]
    public IDictionary? RayStartParams { get; set; }

    [Parameter]
    public IDictionary? NodeSelector { get; set; }

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
            var activity = $"Waiting for worker group '{GroupName}' of '{ClusterName}'";
            try
            {
                group = await WorkerGroupOperations.WaitSettledAsync(Connection, group, TimeSpan.FromSeconds(TimeoutSec),
                    g => EmitProgress(WorkerGroupProgress.Record(activity, g)), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                EmitProgress(WorkerGroupProgress.Completed(activity));
            }
        }
        Emit(group);
    }

    private WorkerGroupOptions ToOptions()
    {
        var options = new WorkerGroupOptions
        {
            GroupName = GroupName,
            Image = Image ?? ValidationImage,
            Replicas = Replicas,
            MinReplicas = MinReplicas,
            MaxReplicas = MaxReplicas,
            Cpu = Cpu,
            Memory = Memory,
            Gpu = Gpu > 0 ? Gpu : null,
        };
        HashtableParameters.AddTo(Accelerator, options.Accelerator);
        HashtableParameters.AddTo(RayStartParams, options.RayStartParams);
        HashtableParameters.AddTo(NodeSelector, options.NodeSelector);
        HashtableParameters.AddAmounts("-RayResources", RayResources, options.RayResources);
        return options;
    }

    /// <summary>Builds once with the placeholder image so every input error surfaces before any request.</summary>
    private static void Validate(WorkerGroupOptions options) => WorkerGroupBuilder.Build(options);
}
