using System.Collections;
using System.Management.Automation;
using RayPS.Completers;
using RayPS.Internal;
using RayPS.Manifests;

namespace RayPS.Commands;

/// <summary>
/// Base of the cmdlets that create a worker group of either kind (Add-RayWorkerGroup, New-RayWorkerDeployment): the
/// cluster it joins and the parameters that describe its workers.
/// </summary>
public abstract class RayWorkerGroupCmdletBase : RayNamespacedCmdletBase
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(RayClusterNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string ClusterName { get; set; } = "";

    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int Replicas { get; set; } = 1;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Cpu { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Memory { get; set; }

    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int Gpu { get; set; }

    [Parameter]
    public IDictionary? Accelerator { get; set; }

    [Parameter]
    public IDictionary? RayResources { get; set; }

    [Parameter]
    public IDictionary? RayStartParams { get; set; }

    [Parameter]
    public IDictionary? NodeSelector { get; set; }

    /// <summary>Copies the worker parameters into <paramref name="worker"/>.</summary>
    protected void ApplyWorkerParameters(WorkerGroupOptions worker)
    {
        worker.Replicas = Replicas;
        worker.Cpu = Cpu;
        worker.Memory = Memory;
        worker.Gpu = Gpu > 0 ? Gpu : null;
        HashtableParameters.AddTo(Accelerator, worker.Accelerator);
        HashtableParameters.AddTo(RayStartParams, worker.RayStartParams);
        HashtableParameters.AddTo(NodeSelector, worker.NodeSelector);
        HashtableParameters.AddAmounts("-RayResources", RayResources, worker.RayResources);
    }
}
