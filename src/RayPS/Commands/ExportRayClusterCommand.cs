using System.Management.Automation;
using System.Text;
using RayPS.Completers;
using RayPS.Errors;
using RayPS.Manifests;
using RayPS.Operations;
using RayPS.Internal;

namespace RayPS.Commands;

/// <summary>
/// Writes existing RayClusters as clean, re-applicable YAML (no status or server-owned metadata), to the pipeline or
/// to a file; several clusters become one multi-document YAML.
/// </summary>
[Cmdlet(VerbsData.Export, "RayCluster", HelpUri = HelpLinks.Cmdlets + "Export-RayCluster.md", DefaultParameterSetName = NameSet, SupportsShouldProcess = true)]
[OutputType(typeof(string))]
public sealed class ExportRayClusterCommand : RayNamespacedCmdletBase
{
    private const string NameSet = "Name";
    private const string InputObjectSet = "InputObject";

    private readonly List<RayCluster> _clusters = new();

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = NameSet, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ArgumentCompleter(typeof(RayClusterNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] ClusterName { get; set; } = Array.Empty<string>();

    [Parameter(Mandatory = true, ParameterSetName = InputObjectSet, ValueFromPipeline = true)]
    public RayCluster[] InputObject { get; set; } = Array.Empty<RayCluster>();

    [Parameter(Position = 1)]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    [Parameter]
    public SwitchParameter NoClobber { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        if (ParameterSetName == InputObjectSet)
        {
            _clusters.AddRange(InputObject);
            return;
        }

        var ns = TargetNamespace;
        foreach (var name in ClusterName)
        {
            try
            {
                _clusters.Add(await RayClusterOperations.GetAsync(Connection, ns, name, cancellationToken).ConfigureAwait(false));
            }
            catch (RayPSException ex) when (ex.ErrorId == ErrorIds.RayClusterNotFound)
            {
                EmitError(ex);
            }
        }
    }

    protected override async Task EndProcessingAsync(CancellationToken cancellationToken)
    {
        if (_clusters.Count == 0)
        {
            return;
        }

        var yaml = ManifestYaml.Export(_clusters);
        if (Path is null)
        {
            Emit(yaml);
            return;
        }

        var path = await OnPipelineThread(() => SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path)).ConfigureAwait(false);
        var what = _clusters.Count == 1 ? $"RayCluster '{_clusters[0].Namespace}/{_clusters[0].Name}'" : $"{_clusters.Count} RayClusters";
        if (!await ShouldProcessAsync(path, $"Write the manifest of {what}").ConfigureAwait(false))
        {
            return;
        }
        if (NoClobber && File.Exists(path))
        {
            throw new RayPSException(ErrorIds.FileExists, RayErrorCategory.ResourceExists,
                $"The file '{path}' already exists and -NoClobber was given. Choose another -Path or leave out -NoClobber to overwrite it.", path);
        }
        try
        {
            await File.WriteAllTextAsync(path, yaml, new UTF8Encoding(false), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new RayPSException(ErrorIds.FileWriteFailed, RayErrorCategory.InvalidOperation, $"Cannot write '{path}': {ex.Message}", path, ex);
        }
        EmitVerbose($"Wrote {what} to {path}.");
    }
}
