using System.Management.Automation;
using RayPS.Completers;
using RayPS.Errors;
using RayPS.Operations;

namespace RayPS.Commands;

/// <summary>
/// Deletes RayClusters (one DELETE each) and their Deployment worker groups (one DELETE of the collection by label,
/// unless -KeepDeployments); with -Wait, watches until the object and all its pods are gone.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "RayCluster", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = NameSet)]
[OutputType(typeof(RayCluster))]
public sealed class RemoveRayClusterCommand : RayWaitingCmdletBase
{
    private const string NameSet = "Name";
    private const string InputSet = "InputObject";
    private readonly HashSet<string> _done = new(StringComparer.Ordinal);

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = NameSet)]
    [Alias("ClusterName")]
    [ArgumentCompleter(typeof(RayClusterNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>
    /// Piped cluster names or RayCluster objects (Get-RayCluster). Other objects are refused rather than bound by a
    /// Name or ClusterName they happen to have: a worker group's or the operator's name is not a cluster to delete.
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputSet)]
    public PSObject[] InputObject { get; set; } = Array.Empty<PSObject>();

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Leaves the cluster's Deployment worker groups (New-RayWorkerDeployment) running.</summary>
    [Parameter]
    public SwitchParameter KeepDeployments { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var targets = new List<(string Namespace, string Name)>();
        if (ParameterSetName == NameSet)
        {
            targets.AddRange(Name.Select(n => (TargetNamespace, n)));
        }
        foreach (var item in ParameterSetName == InputSet ? InputObject : Array.Empty<PSObject>())
        {
            switch (item?.BaseObject)
            {
                case string text when !string.IsNullOrWhiteSpace(text):
                    targets.Add((TargetNamespace, text));
                    break;
                case RayCluster cluster:
                    targets.Add((ValidNamespace(cluster.Namespace) ?? TargetNamespace, cluster.Name));
                    break;
                case var other:
                    var type = other?.GetType().Name ?? "null";
                    var hint = other is RayWorkerGroup
                        ? " To remove a worker group, use Remove-RayWorkerGroup; to delete its cluster, pipe Get-RayCluster <ClusterName>."
                        : " Pipe Get-RayCluster, or pass -Name.";
                    EmitError(new RayPSException(ErrorIds.UnsupportedPipelineInput, RayErrorCategory.InvalidArgument,
                        $"Remove-RayCluster takes cluster names or RayCluster objects from the pipeline, not a {type}.{hint}", other));
                    break;
            }
        }

        foreach (var (ns, name) in targets)
        {
            if (!_done.Add(ns + "/" + name))
            {
                EmitVerbose($"RayCluster '{name}' in namespace '{ns}' came down the pipeline again; it is deleted once.");
                continue;
            }
            var what = KeepDeployments
                ? $"RayCluster '{name}' in namespace '{ns}' (context '{Connection.ContextName}'), keeping its Deployment worker groups"
                : $"RayCluster '{name}' in namespace '{ns}' (context '{Connection.ContextName}') and its Deployment worker groups (Deployments labelled {RayClusterLifecycle.DeploymentGroupSelector(name)})";
            if (!await ShouldProcessAsync(what, "Delete").ConfigureAwait(false))
            {
                continue;
            }

            RayCluster? deleted;
            try
            {
                // A custom resource's DELETE answers with a Status, not the object: -PassThru reads it first.
                var before = PassThru ? await RayClusterOperations.GetAsync(Connection, ns, name, cancellationToken).ConfigureAwait(false) : null;
                deleted = await RayClusterLifecycle.DeleteAsync(Connection, ns, name, cancellationToken).ConfigureAwait(false) ?? before;
            }
            catch (RayPSException ex) when (ex.ErrorId == ErrorIds.RayClusterNotFound)
            {
                EmitError(ex);
                continue;
            }
            EmitVerbose($"Deleted RayCluster '{name}' in namespace '{ns}'; KubeRay and the garbage collector now remove its pods and services.");

            if (!KeepDeployments)
            {
                try
                {
                    var groups = await RayClusterLifecycle.DeleteDeploymentGroupsAsync(Connection, ns, name, cancellationToken).ConfigureAwait(false);
                    if (groups.Count > 0)
                    {
                        EmitVerbose($"Deleted the Deployment worker groups of RayCluster '{name}': {string.Join(", ", groups)}.");
                    }
                }
                catch (RayPSException ex) when (ex.ErrorId == ErrorIds.KubeApiForbidden)
                {
                    EmitError(ex);
                    continue;
                }
            }

            if (Wait)
            {
                try
                {
                    await WaitForClusterDeletedAsync(ns, name, Timeout, cancellationToken).ConfigureAwait(false);
                }
                catch (RayPSException ex) when (ex.ErrorId == ErrorIds.RayClusterDeletionTimeout)
                {
                    EmitError(ex);
                    continue;
                }
            }

            if (PassThru && deleted is not null)
            {
                Emit(deleted);
            }
        }
    }
}
