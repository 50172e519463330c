using System.Management.Automation;
using RayPS.Internal;
using RayPS.Operator;

namespace RayPS.Commands;

/// <summary>
/// Removes what Install-KubeRayOperator created (found by its labels in every namespace): the Deployment first, then the Service,
/// RBAC objects and ServiceAccount. The ray.io CRDs stay unless -IncludeCrds, which also deletes every RayCluster, RayJob and
/// RayService (the confirmation says how many).
/// </summary>
[Cmdlet(VerbsLifecycle.Uninstall, "KubeRayOperator", HelpUri = HelpLinks.Cmdlets + "Uninstall-KubeRayOperator.md", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(KubeRayOperatorObject))]
public sealed class UninstallKubeRayOperatorCommand : RayCmdletBase
{
    /// <summary>The ray.io CRDs RayPS installs (1.7.0 adds raycronjobs).</summary>
    private static readonly string[] RayCrds = { "rayclusters.ray.io", "rayjobs.ray.io", "rayservices.ray.io", "raycronjobs.ray.io" };

    [Parameter]
    public SwitchParameter IncludeCrds { get; set; }

    [Parameter]
    public SwitchParameter Wait { get; set; }

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int TimeoutSec { get; set; } = 120;

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<System.Text.Json.Nodes.JsonObject> objects = await KubeRayOperatorInstaller.FindInstalledAsync(Connection, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<string> namespaces = KubeRayOperatorInstaller.DeploymentNamespaces(objects);
        var target = objects.Count == 0
            ? $"no RayPS-installed KubeRay operator objects (context '{Connection.ContextName}')"
            : $"KubeRay operator in {string.Join(", ", namespaces.Select(n => $"'{n}'"))}: {objects.Count} objects (context '{Connection.ContextName}')";
        var removeObjects = objects.Count > 0 && await ShouldProcessAsync(target, "Uninstall").ConfigureAwait(false);
        if (objects.Count == 0 && !IncludeCrds)
        {
            EmitWarning($"No KubeRay operator installed by Install-KubeRayOperator was found in context '{Connection.ContextName}'. A Helm install is removed with helm uninstall.");
            return;
        }

        var crds = new List<string>();
        if (IncludeCrds)
        {
            // Asked (and under -WhatIf said) even when the objects were declined: the count is what the user must see.
            var counts = await KubeRayOperatorInstaller.CountCustomResourcesAsync(Connection, cancellationToken).ConfigureAwait(false);
            var what = $"the ray.io CRDs and with them {counts["rayclusters"]} RayClusters, {counts["rayjobs"]} RayJobs and {counts["rayservices"]} RayServices (all namespaces)";
            var allowed = await OnPipelineThread(() =>
                ShouldProcess(what, "Delete") && (Force || ShouldContinue($"Delete {what}? Their pods and services go with them.", "Uninstall-KubeRayOperator -IncludeCrds")))
                .ConfigureAwait(false);
            if (allowed)
            {
                crds.AddRange(RayCrds);
            }
        }
        if (!removeObjects)
        {
            objects = Array.Empty<System.Text.Json.Nodes.JsonObject>();
            namespaces = Array.Empty<string>();
        }
        if (objects.Count == 0 && crds.Count == 0)
        {
            return;
        }

        var deleted = await KubeRayOperatorInstaller.UninstallAsync(Connection, objects, crds, cancellationToken).ConfigureAwait(false);
        foreach (var o in deleted)
        {
            EmitVerbose(o.ToString());
        }
        if (Wait)
        {
            const string activity = "Waiting for the KubeRay operator's pods to go";
            try
            {
                foreach (var ns in namespaces)
                {
                    await KubeRayOperatorInstaller.WaitPodsGoneAsync(Connection, ns, TimeSpan.FromSeconds(TimeoutSec),
                        left => EmitProgress(new ProgressRecord(0x4B54, activity, $"{left} pod(s) left in '{ns}'")), cancellationToken).ConfigureAwait(false);
                }
            }
            finally
            {
                EmitProgress(new ProgressRecord(0x4B54, activity, "Done") { RecordType = ProgressRecordType.Completed });
            }
        }
        if (PassThru)
        {
            foreach (var o in deleted)
            {
                Emit(o);
            }
        }
    }
}
