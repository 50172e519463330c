using System.Collections;
using System.Management.Automation;
using System.Text.Json.Nodes;
using RayPS.Errors;
using RayPS.Internal;
using RayPS.Manifests;
using RayPS.Operations;

namespace RayPS.Commands;

/// <summary>
/// Creates a RayCluster from parameters, from a ray-cluster Helm chart values file, or from a manifest file; validates
/// everything before sending one POST; optionally waits (by watching) until KubeRay reports the cluster ready.
/// </summary>
[Cmdlet(VerbsCommon.New, "RayCluster", HelpUri = HelpLinks.Cmdlets + "New-RayCluster.md", DefaultParameterSetName = ParametersSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(RayCluster), typeof(string))]
public sealed class NewRayClusterCommand : RayWaitingCmdletBase
{
    private const string ParametersSet = "Parameters";
    private const string ValuesSet = "HelmValues";
    private const string PathSet = "Path";

    /// <summary>A new cluster's pods pull images and start: -Wait allows longer than for other changes.</summary>
    public NewRayClusterCommand() => TimeoutSec = 600;

    /// <summary>The cluster name; with -ValuesPath or -Path it overrides the rendered or written name.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ParametersSet)]
    [Parameter(ParameterSetName = ValuesSet)]
    [Parameter(ParameterSetName = PathSet)]
    [Alias("ClusterName")]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    [Parameter(ParameterSetName = ParametersSet)]
    [ValidateNotNullOrEmpty]
    public string RayVersion { get; set; } = RayClusterOptions.DefaultRayVersion;

    [Parameter(ParameterSetName = ParametersSet)]
    [ValidateNotNullOrEmpty]
    public string? Image { get; set; }

    [Parameter(ParameterSetName = ParametersSet)]
    public string HeadCpu { get; set; } = RayClusterOptions.DefaultHeadCpu;

    [Parameter(ParameterSetName = ParametersSet)]
    public string HeadMemory { get; set; } = RayClusterOptions.DefaultHeadMemory;

    [Parameter(ParameterSetName = ParametersSet)]
    public Hashtable? HeadRayStartParams { get; set; }

    [Parameter(ParameterSetName = ParametersSet)]
    [ValidateNotNullOrEmpty]
    public string WorkerGroupName { get; set; } = WorkerGroupOptions.DefaultGroupName;

    [Parameter(ParameterSetName = ParametersSet)]
    public int WorkerReplicas { get; set; } = 1;

    [Parameter(ParameterSetName = ParametersSet)]
    public int? WorkerMinReplicas { get; set; }

    [Parameter(ParameterSetName = ParametersSet)]
    public int? WorkerMaxReplicas { get; set; }

    [Parameter(ParameterSetName = ParametersSet)]
    public string WorkerCpu { get; set; } = RayClusterOptions.DefaultWorkerCpu;

    [Parameter(ParameterSetName = ParametersSet)]
    public string WorkerMemory { get; set; } = RayClusterOptions.DefaultWorkerMemory;

    [Parameter(ParameterSetName = ParametersSet)]
    public int? WorkerGpu { get; set; }

    [Parameter(ParameterSetName = ParametersSet)]
    public Hashtable? WorkerAccelerator { get; set; }

    [Parameter(ParameterSetName = ParametersSet)]
    public Hashtable? WorkerRayResources { get; set; }

    [Parameter(ParameterSetName = ParametersSet)]
    public Hashtable? WorkerRayStartParams { get; set; }

    [Parameter]
    public Hashtable? Label { get; set; }

    [Parameter]
    public Hashtable? Annotation { get; set; }

    [Parameter(ParameterSetName = ParametersSet)]
    public Hashtable? PodAnnotation { get; set; }

    [Parameter(ParameterSetName = ParametersSet)]
    public Hashtable? NodeSelector { get; set; }

    [Parameter(ParameterSetName = ParametersSet)]
    [ValidateSet("ClusterIP", "NodePort", "LoadBalancer")]
    public string? ServiceType { get; set; }

    [Parameter(ParameterSetName = ParametersSet)]
    public SwitchParameter EnableAutoscaling { get; set; }

    [Parameter(ParameterSetName = ParametersSet)]
    [ValidateRange(0, int.MaxValue)]
    public int? IdleTimeoutSec { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = ValuesSet)]
    [ValidateNotNullOrEmpty]
    public string? ValuesPath { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = ValuesSet)]
    [ValidateNotNullOrEmpty]
    public string? ReleaseName { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = PathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    [Parameter]
    public SwitchParameter ManifestOnly { get; set; }

    [Parameter]
    public SwitchParameter DryRun { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var manifests = await ReadManifestsAsync().ConfigureAwait(false);
        foreach (var manifest in manifests)
        {
            ApplyOverrides(manifest);
            ManifestValidation.ValidateRayCluster(manifest);
        }

        if (ManifestOnly)
        {
            Emit(ManifestYaml.Write(manifests));
            return;
        }

        foreach (var manifest in manifests)
        {
            await CreateAsync(manifest, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<IReadOnlyList<JsonObject>> ReadManifestsAsync()
    {
        switch (ParameterSetName)
        {
            case ValuesSet:
            {
                var path = await ResolvePathAsync(ValuesPath!).ConfigureAwait(false);
                var result = HelmValuesRenderer.RenderFile(path, ReleaseName!, Name);
                foreach (var warning in result.Warnings)
                {
                    EmitWarning(warning);
                }
                if (Name is null && result.Name != ReleaseName)
                {
                    EmitVerbose($"The {HelmValuesRenderer.ChartName} chart {HelmValuesRenderer.ChartVersion} names the cluster of release '{ReleaseName}' '{result.Name}' (its pods carry {KubeRayNames.ClusterSelector(result.Name)}; its head service is {KubeRayNames.HeadServiceName(result.Name)}). Pass -Name to choose the name yourself.");
                }
                return new[] { result.Cluster };
            }
            case PathSet:
            {
                var path = await ResolvePathAsync(Path!).ConfigureAwait(false);
                // A file saved with kubectl get -o yaml carries server-owned fields the API server refuses on create.
                var clusters = ManifestReader.ReadRayClusters(path).Select(ManifestYaml.Clean).ToList();
                if (Name is not null && clusters.Count > 1)
                {
                    throw new RayPSException(ErrorIds.InvalidClusterName, RayErrorCategory.InvalidArgument,
                        $"{path} holds {clusters.Count} RayClusters; -Name can only rename a single one. Leave out -Name, or split the file.", path);
                }
                return clusters;
            }
            default:
                return new[] { RayClusterManifestBuilder.Build(ToOptions()) };
        }
    }

    private async Task<string> ResolvePathAsync(string path)
    {
        var resolved = await OnPipelineThread(() => SessionState.Path.GetUnresolvedProviderPathFromPSPath(path)).ConfigureAwait(false);
        if (Directory.Exists(resolved))
        {
            throw new RayPSException(ErrorIds.FileNotFound, RayErrorCategory.InvalidArgument,
                $"'{resolved}' is a folder, not a file. Pass the path of a YAML file (e.g. {System.IO.Path.Combine(resolved, "values.yaml")}).", resolved);
        }
        return resolved;
    }

    private RayClusterOptions ToOptions()
    {
        var options = new RayClusterOptions
        {
            Name = Name!,
            RayVersion = RayVersion,
            Image = Image,
            HeadCpu = HeadCpu,
            HeadMemory = HeadMemory,
            ServiceType = ServiceType,
            EnableAutoscaling = EnableAutoscaling,
            IdleTimeoutSeconds = IdleTimeoutSec,
        };
        HashtableParameters.AddTo(HeadRayStartParams, options.HeadRayStartParams);
        HashtableParameters.AddTo(PodAnnotation, options.PodAnnotations);
        HashtableParameters.AddTo(NodeSelector, options.NodeSelector);

        var worker = new WorkerGroupOptions
        {
            GroupName = WorkerGroupName,
            Replicas = WorkerReplicas,
            MinReplicas = WorkerMinReplicas,
            MaxReplicas = WorkerMaxReplicas,
            Cpu = WorkerCpu,
            Memory = WorkerMemory,
            Gpu = WorkerGpu,
        };
        HashtableParameters.AddTo(WorkerAccelerator, worker.Accelerator);
        HashtableParameters.AddTo(WorkerRayStartParams, worker.RayStartParams);
        HashtableParameters.AddAmounts("-WorkerRayResources", WorkerRayResources, worker.RayResources);
        options.WorkerGroups.Add(worker);
        return options;
    }

    /// <summary>-Name, -Namespace, -Label and -Annotation apply to whichever way the cluster was described.</summary>
    private void ApplyOverrides(JsonObject manifest)
    {
        if (manifest["metadata"] is not JsonObject metadata)
        {
            manifest["metadata"] = metadata = new JsonObject();
        }
        if (Name is not null)
        {
            metadata["name"] = Name;
        }
        if (Namespace is not null)
        {
            metadata["namespace"] = Namespace;
        }
        Merge(metadata, "labels", Label);
        Merge(metadata, "annotations", Annotation);
    }

    private async Task CreateAsync(JsonObject manifest, CancellationToken ct)
    {
        var name = manifest["metadata"]!["name"]!.GetValue<string>();
        var own = manifest["metadata"]!["namespace"] is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String ? v.GetValue<string>() : null;
        var ns = Namespace ?? (string.IsNullOrEmpty(own) ? TargetNamespace : own);
        var target = $"RayCluster '{name}' in namespace '{ns}' (context '{Connection.ContextName}')";
        if (!await ShouldProcessAsync(target, DryRun ? "Create (server-side dry run)" : "Create").ConfigureAwait(false))
        {
            return;
        }

        var result = await RayClusterLifecycle.CreateAsync(Connection, ns, manifest, DryRun, ct).ConfigureAwait(false);
        foreach (var warning in result.Warnings)
        {
            EmitWarning($"The API server warned about RayCluster '{name}': {warning}");
        }
        if (DryRun)
        {
            EmitVerbose($"Server-side dry run: the API server accepted {target}; nothing was created.");
            Emit(result.Cluster);
            return;
        }

        EmitVerbose($"Created {target}.");
        if (!Wait)
        {
            Emit(result.Cluster);
            return;
        }

        Emit(await WaitForClusterReadyAsync(ns, name, Timeout, result.Cluster.ResourceVersion, ct).ConfigureAwait(false));
    }

    private static void Merge(JsonObject metadata, string key, Hashtable? values)
    {
        if (values is null || values.Count == 0)
        {
            return;
        }
        if (metadata[key] is not JsonObject map)
        {
            metadata[key] = map = new JsonObject();
        }
        foreach (var (name, value) in HashtableParameters.Strings(values))
        {
            map[name] = value;
        }
    }
}
