using System.Management.Automation;
using RayPS.Errors;

namespace RayPS.Internal;

/// <summary>
/// Cmdlets that act on a RayCluster named by a piped object's ClusterName (else its Name) use this to refuse objects that
/// name no RayCluster instead of acting on whatever their Name says.
/// </summary>
internal static class PipelineInputGuard
{
    /// <summary>
    /// A piped object that names no RayCluster: one of RayPS's own objects without a ClusterName (the operator, a sandbox),
    /// or any object with neither ClusterName nor Name (PowerShell would bind its text, e.g. a date). Strings, RayClusters,
    /// objects naming their cluster and other objects with a Name (a CSV row) are taken. <paramref name="done"/> says what
    /// did not happen ("Nothing was deleted.").
    /// </summary>
    public static RayPSException? RefuseNonCluster(PSObject? input, string cmdlet, string done)
    {
        if (input?.BaseObject is not { } piped || piped is string || input.Properties["ClusterName"] is not null)
        {
            return null;
        }
        var type = piped.GetType();
        var ours = type.Assembly == typeof(RayCluster).Assembly || type.Assembly == typeof(PipelineInputGuard).Assembly;
        if (!ours && input.Properties["Name"] is not null)
        {
            return null;
        }
        var what = piped is KubeRayOperatorInfo op
            ? $"the KubeRay operator '{op.Namespace}/{op.Name}' (a {type.FullName}), not a RayCluster. To act on the operator, use Install-KubeRayOperator or Uninstall-KubeRayOperator"
            : $"a {type.FullName}, which names no RayCluster (it has no ClusterName{(ours ? "" : " or Name")} property)";
        return new RayPSException(ErrorIds.InvalidPipelineInput, RayErrorCategory.InvalidArgument,
            $"{cmdlet} got {what}. {done} Pipe RayClusters from Get-RayCluster (or their worker groups or nodes), cluster names, or pass -ClusterName.",
            type.FullName);
    }
}
