using System.Text.Json.Nodes;
using RayPS.Errors;

namespace RayPS.Manifests;

/// <summary>Turns <see cref="WorkerGroupOptions"/> into a RayCluster spec.workerGroupSpecs entry, validating first.</summary>
public static class WorkerGroupBuilder
{
    /// <summary>
    /// Validates the options (group name, replicas, quantities, Ray resources) and returns the workerGroupSpecs entry.
    /// Throws <see cref="RayPSException"/> (ReplicasOutOfRange, InvalidQuantity, InvalidWorkerGroupName, InvalidRayResource).
    /// </summary>
    public static JsonObject Build(WorkerGroupOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ManifestValidation.ValidateGroupName(options.GroupName);
        var min = options.MinReplicas ?? 0;
        var max = options.MaxReplicas ?? int.MaxValue;
        ManifestValidation.ValidateReplicas(options.GroupName, options.Replicas, min, max);
        if (string.IsNullOrWhiteSpace(options.Image))
        {
            throw new ArgumentException($"Worker group '{options.GroupName}' has no image.", nameof(options));
        }

        var group = new JsonObject
        {
            ["groupName"] = options.GroupName,
            ["replicas"] = options.Replicas,
            ["minReplicas"] = min,
            ["maxReplicas"] = max,
            ["rayStartParams"] = RayStartParams.Build(null, options.RayStartParams, options.EffectiveRayResources(), $"Worker group '{options.GroupName}'"),
        };
        if (options.Suspend)
        {
            group["suspend"] = true;
        }
        group["template"] = BuildPodTemplate(options);
        ManifestValidation.ValidatePodTemplate($"worker group '{options.GroupName}'", group["template"]);
        ManifestValidation.ValidateRayStartParams($"worker group '{options.GroupName}'", group["rayStartParams"]);
        return group;
    }

    /// <summary>The group's pod template ({metadata, spec}) with the Ray worker container.</summary>
    public static JsonObject BuildPodTemplate(WorkerGroupOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var container = new JsonObject
        {
            ["name"] = WorkerGroupOptions.ContainerName,
            ["image"] = options.Image,
        };
        if (options.Env.Count > 0)
        {
            container["env"] = new JsonArray(options.Env.Select(e => (JsonNode)new JsonObject { ["name"] = e.Key, ["value"] = e.Value }).ToArray());
        }
        if (ContainerResources.Build("-Worker", options.Cpu, options.Memory, options.Gpu, options.Accelerator) is { } resources)
        {
            container["resources"] = resources;
        }

        var podSpec = new JsonObject { ["containers"] = new JsonArray(container) };
        if (options.NodeSelector.Count > 0)
        {
            podSpec["nodeSelector"] = StringMap(options.NodeSelector);
        }
        if (options.Tolerations.Count > 0)
        {
            podSpec["tolerations"] = new JsonArray(options.Tolerations.Select(t => (JsonNode)t.DeepClone()).ToArray());
        }

        var template = new JsonObject();
        var metadata = new JsonObject();
        if (options.PodLabels.Count > 0)
        {
            metadata["labels"] = StringMap(options.PodLabels);
        }
        if (options.PodAnnotations.Count > 0)
        {
            metadata["annotations"] = StringMap(options.PodAnnotations);
        }
        if (metadata.Count > 0)
        {
            template["metadata"] = metadata;
        }
        template["spec"] = podSpec;
        return template;
    }

    internal static JsonObject StringMap(IEnumerable<KeyValuePair<string, string>> values)
    {
        var map = new JsonObject();
        foreach (var (key, value) in values)
        {
            map[key] = value;
        }
        return map;
    }
}
