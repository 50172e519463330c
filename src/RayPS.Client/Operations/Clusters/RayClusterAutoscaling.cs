using System.Text.Json.Nodes;
using RayPS.Errors;
using RayPS.Kube;
using RayPS.Model;

namespace RayPS.Operations;

/// <summary>What Set-RayClusterAutoscaling asks for; null leaves a field as it is.</summary>
public sealed class RayClusterAutoscalingRequest
{
    public required string Namespace { get; init; }
    public required string ClusterName { get; init; }

    /// <summary>spec.enableInTreeAutoscaling.</summary>
    public bool? Enabled { get; init; }

    /// <summary>spec.autoscalerOptions.idleTimeoutSeconds.</summary>
    public int? IdleTimeoutSeconds { get; init; }

    /// <summary>spec.autoscalerOptions.upscalingMode: Default, Aggressive or Conservative.</summary>
    public string? UpscalingMode { get; init; }

    /// <summary>spec.autoscalerOptions.version: v1 or v2.</summary>
    public string? Version { get; init; }
}

/// <summary>Turns the Ray autoscaler of a RayCluster on or off and sets its options.</summary>
public static class RayClusterAutoscaling
{
    public static readonly IReadOnlyList<string> UpscalingModes = ["Default", "Aggressive", "Conservative"];
    public static readonly IReadOnlyList<string> Versions = ["v1", "v2"];

    /// <summary>
    /// The JSON merge patch that sets exactly the requested fields. It carries absolute values of fields nobody else
    /// computes from, and a merge patch writes only the fields it names, so it needs no read and cannot overwrite any other
    /// change (a concurrent write of the same field is simply the later intent). 1 request.
    /// </summary>
    public static JsonObject Patch(RayClusterAutoscalingRequest request)
    {
        var spec = new JsonObject();
        if (request.Enabled is { } enabled)
        {
            spec["enableInTreeAutoscaling"] = enabled;
        }
        var options = new JsonObject();
        if (request.IdleTimeoutSeconds is { } idle)
        {
            options["idleTimeoutSeconds"] = idle;
        }
        if (request.UpscalingMode is { } mode)
        {
            options["upscalingMode"] = mode;
        }
        if (request.Version is { } version)
        {
            options["version"] = version;
        }
        if (options.Count > 0)
        {
            spec["autoscalerOptions"] = options;
        }
        return new JsonObject { ["spec"] = spec };
    }

    public static async Task<RayCluster> SetAsync(KubeConnection connection, RayClusterAutoscalingRequest request, CancellationToken ct)
    {
        if (request.Enabled is null && request.IdleTimeoutSeconds is null && request.UpscalingMode is null && request.Version is null)
        {
            throw new RayPSException(ErrorIds.AutoscalingSwitchMissing, RayErrorCategory.InvalidArgument,
                $"Nothing to change for RayCluster '{request.ClusterName}': give -Enable or -Disable, or an option (-IdleTimeoutSeconds, -UpscalingMode, -Version).",
                request.ClusterName);
        }
        if (request.IdleTimeoutSeconds is < 0)
        {
            throw new RayPSException(ErrorIds.ReplicasOutOfRange, RayErrorCategory.InvalidArgument,
                $"-IdleTimeoutSeconds must be 0 or more; {request.IdleTimeoutSeconds} was given.", request.IdleTimeoutSeconds);
        }
        try
        {
            var patched = await connection.Api.Raw.PatchAsync(RayClusterOperations.ItemPath(request.Namespace, request.ClusterName), Patch(request), KubeApi.MergePatch, ct,
                $"RayCluster '{request.ClusterName}'").ConfigureAwait(false);
            return RayCluster.FromJson(patched, connection.ContextName);
        }
        catch (KubeApiException ex)
        {
            throw RayClusterOperations.Map(connection, request.Namespace, request.ClusterName, ex);
        }
    }
}
