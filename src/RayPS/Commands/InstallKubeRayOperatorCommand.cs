using System.Collections;
using System.Management.Automation;
using RayPS.Internal;
using System.Text.Json.Nodes;
using RayPS.Errors;
using RayPS.Manifests;
using RayPS.Operations;
using RayPS.Operator;

namespace RayPS.Commands;

/// <summary>
/// Installs (or upgrades in place) the KubeRay operator without Helm: renders the kuberay-operator chart of the chosen version with the
/// chosen values and writes it with server-side apply under one field manager, CRDs first and the Deployment last, after checking the
/// caller's rights with SelfSubjectAccessReview. A second run with the same values changes nothing and says so.
/// </summary>
[Cmdlet(VerbsLifecycle.Install, "KubeRayOperator", HelpUri = HelpLinks.Cmdlets + "Install-KubeRayOperator.md", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(KubeRayOperatorInstallation), typeof(KubeRayOperatorInfo), typeof(string))]
public sealed class InstallKubeRayOperatorCommand : RayWaitingCmdletBase
{
    /// <summary>The chart version: 1.4.2 (default) or 1.7.0.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(KubeRayVersionCompleter))]
    [ValidateNotNullOrEmpty]
    public string Version { get; set; } = KubeRayOperatorChart.DefaultVersion;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ValuesPath { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Image { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? WatchNamespace { get; set; }

    [Parameter]
    public Hashtable? FeatureGate { get; set; }

    [Parameter]
    public SwitchParameter ManifestOnly { get; set; }

    [Parameter]
    public SwitchParameter DryRun { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var ns = Namespace ?? (ManifestOnly ? ContextNamespaceOrDefault() : TargetNamespace);
        JsonObject? values = null;
        var source = "values";
        if (ValuesPath is not null)
        {
            source = await OnPipelineThread(() => SessionState.Path.GetUnresolvedProviderPathFromPSPath(ValuesPath)).ConfigureAwait(false);
            var documents = ManifestReader.ParseDocuments(ManifestReader.ReadText(source), source);
            values = documents.Count == 0 || documents[0] is null ? new JsonObject() : documents[0] as JsonObject
                ?? throw new RayPSException(ErrorIds.InvalidOperatorValues, RayErrorCategory.InvalidData,
                    $"{source}: a values file must be a mapping of keys (image:, watchNamespace:, featureGates:, ...) at the top level.", source);
        }
        var manifest = KubeRayOperatorRenderer.Render(new KubeRayOperatorInstallOptions
        {
            Version = Version,
            Namespace = ns,
            Values = values,
            ValuesSource = source,
            Image = Image,
            WatchNamespaces = WatchNamespace,
            FeatureGates = FeatureGates(),
        });

        if (ManifestOnly)
        {
            Emit(ManifestText(manifest));
            return;
        }

        var target = $"KubeRay operator {manifest.Version} in namespace '{ns}' ({manifest.CrdNames.Count} CRDs, {manifest.Objects.Count} objects; context '{Connection.ContextName}')";
        if (!await ShouldProcessAsync(target, DryRun ? "Install (server-side dry run)" : "Install").ConfigureAwait(false))
        {
            return;
        }

        const string activity = "Installing the KubeRay operator";
        KubeRayOperatorInstallation result;
        try
        {
            result = await KubeRayOperatorInstaller.InstallAsync(Connection, manifest, Force, DryRun,
                step => EmitProgress(new ProgressRecord(0x4B52, activity, step)), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            EmitProgress(new ProgressRecord(0x4B52, activity, "Done") { RecordType = ProgressRecordType.Completed });
        }
        foreach (var o in result.Objects)
        {
            EmitVerbose(o.ToString());
        }
        if (!result.DryRun && !result.Changed)
        {
            EmitVerbose($"KubeRay operator {result.Version} in '{ns}' is installed as rendered: nothing changed.");
        }
        else if (result.PreviousVersion is { } previous && previous != result.Version && !result.DryRun)
        {
            EmitVerbose($"Upgraded the KubeRay operator in '{ns}' from {previous} to {result.Version} (CRDs first, then the Deployment).");
        }

        if (Wait && !DryRun)
        {
            const string waiting = "Waiting for the KubeRay operator";
            try
            {
                await KubeRayOperatorInstaller.WaitReadyAsync(Connection, manifest, Timeout,
                    state => EmitProgress(new ProgressRecord(0x4B53, waiting, state)), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                EmitProgress(new ProgressRecord(0x4B53, waiting, "Done") { RecordType = ProgressRecordType.Completed });
            }
        }

        if (PassThru && !DryRun)
        {
            var report = await KubeRayOperatorOperations.GetAsync(Connection, ns, cancellationToken).ConfigureAwait(false);
            foreach (var info in report.Operators)
            {
                Emit(info);
            }
            return;
        }
        Emit(result);
    }

    /// <summary>-ManifestOnly sends nothing, so it works without a kubeconfig (then for namespace 'default', as helm template).</summary>
    private string ContextNamespaceOrDefault()
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

    private IReadOnlyDictionary<string, bool>? FeatureGates()
    {
        if (FeatureGate is null)
        {
            return null;
        }
        var gates = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in FeatureGate)
        {
            var name = entry.Key?.ToString() ?? "";
            var raw = entry.Value is PSObject ps ? ps.BaseObject : entry.Value;
            gates[name] = raw switch
            {
                bool b => b,
                string s when bool.TryParse(s, out var parsed) => parsed,
                int i when i is 0 or 1 => i == 1,
                _ => throw new RayPSException(ErrorIds.InvalidOperatorValues, RayErrorCategory.InvalidArgument,
                    $"-FeatureGate: '{name}' is '{raw}'; give $true or $false, e.g. -FeatureGate @{{RayJobDeletionPolicy=$true}}.", name),
            };
        }
        return gates.OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Value, StringComparer.Ordinal);
    }

    /// <summary>The CRD files verbatim, then the rendered objects (what kubectl apply --server-side -f would take).</summary>
    internal static string ManifestText(KubeRayOperatorManifest manifest)
    {
        var text = new System.Text.StringBuilder();
        foreach (var file in KubeRayOperatorChart.CrdFiles(manifest.Version))
        {
            var crd = KubeRayOperatorChart.CrdText(manifest.Version, file);
            if (!crd.StartsWith("---", StringComparison.Ordinal))
            {
                text.Append("---\n");
            }
            text.Append(crd.TrimEnd('\n')).Append('\n');
        }
        text.Append("---\n").Append(ManifestYaml.Write(manifest.Objects));
        return text.ToString();
    }
}

/// <summary>Completes -Version with the chart versions RayPS ships.</summary>
public sealed class KubeRayVersionCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        System.Management.Automation.Language.CommandAst commandAst, IDictionary fakeBoundParameters) =>
        KubeRayOperatorChart.SupportedVersions
            .Where(v => v.StartsWith(wordToComplete.Trim('\'', '"'), StringComparison.OrdinalIgnoreCase))
            .Select(v => new CompletionResult(v, v, CompletionResultType.ParameterValue, $"kuberay-operator chart {v}"));
}
