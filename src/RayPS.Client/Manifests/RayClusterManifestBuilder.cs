using System.Text.Json.Nodes;

namespace RayPS.Manifests;

/// <summary>Builds a ray.io/v1 RayCluster from <see cref="RayClusterOptions"/>, validating everything first.</summary>
public static class RayClusterManifestBuilder
{
    /// <summary>The label RayPS puts on clusters it creates from parameters.</summary>
    public const string ManagedByLabel = "app.kubernetes.io/managed-by";
    public const string ManagedByValue = "rayps";

    private static readonly string[] ServiceTypes = { "ClusterIP", "NodePort", "LoadBalancer" };

    /// <summary>
    /// The RayCluster object. Throws RayPSException (InvalidClusterName, InvalidQuantity, ReplicasOutOfRange,
    /// DuplicateWorkerGroup, InvalidWorkerGroupName, InvalidRayResource) before anything could be sent.
    /// </summary>
    public static JsonObject Build(RayClusterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ManifestValidation.ValidateClusterName(options.Name);
        ManifestValidation.ValidateUniqueGroupNames(options.WorkerGroups.Select(g => g.GroupName));
        if (options.IdleTimeoutSeconds < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.IdleTimeoutSeconds, "The idle timeout cannot be negative.");
        }
        if (options.ServiceType is { } serviceType && !ServiceTypes.Contains(serviceType, StringComparer.Ordinal))
        {
            throw new ArgumentException($"Service type '{serviceType}' is not one of {string.Join(", ", ServiceTypes)}.", nameof(options));
        }

        var metadata = new JsonObject { ["name"] = options.Name };
        if (!string.IsNullOrEmpty(options.Namespace))
        {
            metadata["namespace"] = options.Namespace;
        }
        var labels = new Dictionary<string, string>(StringComparer.Ordinal) { [ManagedByLabel] = ManagedByValue };
        foreach (var (key, value) in options.Labels)
        {
            labels[key] = value;
        }
        metadata["labels"] = WorkerGroupBuilder.StringMap(labels);
        if (options.Annotations.Count > 0)
        {
            metadata["annotations"] = WorkerGroupBuilder.StringMap(options.Annotations);
        }

        var spec = new JsonObject { ["rayVersion"] = options.RayVersion };
        if (options.EnableAutoscaling)
        {
            spec["enableInTreeAutoscaling"] = true;
            if (options.IdleTimeoutSeconds is { } idle)
            {
                spec["autoscalerOptions"] = new JsonObject { ["idleTimeoutSeconds"] = idle };
            }
        }
        spec["headGroupSpec"] = Head(options);
        spec["workerGroupSpecs"] = new JsonArray(options.WorkerGroups.Select(g => (JsonNode)WorkerGroupBuilder.Build(ForCluster(g, options))).ToArray());

        return new JsonObject
        {
            ["apiVersion"] = ManifestReader.ApiVersion,
            ["kind"] = ManifestReader.Kind,
            ["metadata"] = metadata,
            ["spec"] = spec,
        };
    }

    private static JsonObject Head(RayClusterOptions options)
    {
        var container = new JsonObject
        {
            ["name"] = RayClusterOptions.HeadContainerName,
            ["image"] = options.EffectiveImage,
            ["ports"] = new JsonArray(Port(KubeRayNames.GcsPort, KubeRayNames.GcsPortName), Port(KubeRayNames.DashboardPort, KubeRayNames.DashboardPortName),
                Port(KubeRayNames.ClientPort, KubeRayNames.ClientPortName), Port(KubeRayNames.MetricsPort, KubeRayNames.MetricsPortName)),
        };
        if (ContainerResources.Build("-Head", options.HeadCpu, options.HeadMemory, null, null) is { } resources)
        {
            container["resources"] = resources;
        }

        var podSpec = new JsonObject { ["containers"] = new JsonArray(container) };
        if (options.NodeSelector.Count > 0)
        {
            podSpec["nodeSelector"] = WorkerGroupBuilder.StringMap(options.NodeSelector);
        }
        var template = new JsonObject();
        if (options.PodAnnotations.Count > 0)
        {
            template["metadata"] = new JsonObject { ["annotations"] = WorkerGroupBuilder.StringMap(options.PodAnnotations) };
        }
        template["spec"] = podSpec;

        var head = new JsonObject();
        if (options.ServiceType is not null)
        {
            head["serviceType"] = options.ServiceType;
        }
        var defaults = new Dictionary<string, string> { ["dashboard-host"] = "0.0.0.0" };
        head["rayStartParams"] = RayStartParams.Build(defaults, options.HeadRayStartParams, new Dictionary<string, decimal>(), "The head");
        head["template"] = template;
        return head;
    }

    /// <summary>A copy of the group with the cluster's image, pod annotations and node selector filled in where the group has none.</summary>
    private static WorkerGroupOptions ForCluster(WorkerGroupOptions group, RayClusterOptions cluster)
    {
        var result = new WorkerGroupOptions
        {
            GroupName = group.GroupName,
            Image = string.IsNullOrWhiteSpace(group.Image) ? cluster.EffectiveImage : group.Image,
            Replicas = group.Replicas,
            MinReplicas = group.MinReplicas,
            MaxReplicas = group.MaxReplicas,
            Cpu = group.Cpu,
            Memory = group.Memory,
            Gpu = group.Gpu,
            Suspend = group.Suspend,
        };
        Copy(group.Accelerator, result.Accelerator);
        Copy(group.RayResources, result.RayResources);
        Copy(group.RayStartParams, result.RayStartParams);
        Copy(cluster.NodeSelector, result.NodeSelector);
        Copy(group.NodeSelector, result.NodeSelector);
        Copy(group.Env, result.Env);
        Copy(group.PodLabels, result.PodLabels);
        Copy(cluster.PodAnnotations, result.PodAnnotations);
        Copy(group.PodAnnotations, result.PodAnnotations);
        foreach (var toleration in group.Tolerations)
        {
            result.Tolerations.Add(toleration);
        }
        return result;
    }

    private static void Copy<T>(IDictionary<string, T> from, IDictionary<string, T> to)
    {
        foreach (var (key, value) in from)
        {
            to[key] = value;
        }
    }

    private static JsonObject Port(int port, string name) => new() { ["containerPort"] = port, ["name"] = name };
}
