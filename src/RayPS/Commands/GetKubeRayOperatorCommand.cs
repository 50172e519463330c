using System.Management.Automation;
using RayPS.Completers;
using RayPS.Operations;
using RayPS.Internal;

namespace RayPS.Commands;

/// <summary>
/// Finds the KubeRay operator (Deployments labelled app.kubernetes.io/name kuberay-operator or kuberay, in every
/// namespace) and the ray.io CRDs, and says whether the installation works.
/// </summary>
[Cmdlet(VerbsCommon.Get, "KubeRayOperator", HelpUri = HelpLinks.Cmdlets + "Get-KubeRayOperator.md")]
[OutputType(typeof(KubeRayOperatorInfo))]
public sealed class GetKubeRayOperatorCommand : RayCmdletBase
{
    /// <summary>Searches only this namespace; default: every namespace.</summary>
    [Parameter(Position = 0)]
    [Alias("ns")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    public string? Namespace { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var report = await KubeRayOperatorOperations.GetAsync(Connection, Namespace, cancellationToken).ConfigureAwait(false);
        foreach (var warning in report.Warnings)
        {
            EmitWarning(warning);
        }
        foreach (var info in report.Operators)
        {
            Emit(info);
        }
    }
}
