using System.Management.Automation;
using RayPS.Completers;
using RayPS.Errors;
using RayPS.Internal;

namespace RayPS.Commands;

/// <summary>Waits, by watching, until RayClusters are ready or deleted; one deadline covers every cluster of the call.</summary>
[Cmdlet(VerbsLifecycle.Wait, "RayCluster", HelpUri = HelpLinks.Cmdlets + "Wait-RayCluster.md")]
[OutputType(typeof(RayCluster))]
public sealed class WaitRayClusterCommand : RayNamespacedCmdletBase
{
    private DateTimeOffset _deadline;

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ArgumentCompleter(typeof(RayClusterNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] ClusterName { get; set; } = Array.Empty<string>();

    [Parameter]
    [ValidateSet("Ready", "Deleted")]
    public string For { get; set; } = "Ready";

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int TimeoutSec { get; set; } = 600;

    protected override Task BeginProcessingAsync(CancellationToken cancellationToken)
    {
        _deadline = DateTimeOffset.UtcNow.AddSeconds(TimeoutSec);
        return Task.CompletedTask;
    }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var ns = TargetNamespace;
        foreach (var name in ClusterName)
        {
            var left = _deadline - DateTimeOffset.UtcNow;
            if (left < TimeSpan.FromMilliseconds(1))
            {
                left = TimeSpan.FromMilliseconds(1);
            }

            try
            {
                if (For == "Deleted")
                {
                    await WaitForClusterDeletedAsync(ns, name, left, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    Emit(await WaitForClusterReadyAsync(ns, name, left, null, cancellationToken).ConfigureAwait(false));
                }
            }
            catch (RayPSException ex) when (ex.ErrorId is ErrorIds.RayClusterNotReady or ErrorIds.RayClusterDeletionTimeout or ErrorIds.RayClusterNotFound)
            {
                EmitError(ex);
            }
        }
    }
}
