using System.Text.Json.Nodes;
using RayPS.Model;

namespace RayPS.Operations;

/// <summary>
/// Deployment-managed workers (the seed's section 3): which Deployment owns a pod, its worker group, and what the
/// Deployment itself says about pods it could not create (quota, admission), which no pod row can show.
/// </summary>
internal sealed class NodeHealthDeployments
{
    private readonly IReadOnlyList<JsonObject> _deployments;

    public NodeHealthDeployments(IReadOnlyList<JsonObject> deployments) => _deployments = deployments;

    /// <summary>The Deployment of a pod owned by one of its ReplicaSets ("name-&lt;pod-template-hash&gt;").</summary>
    public string? DeploymentOf(RayPodFacts pod)
    {
        if (pod.OwnerKind != "ReplicaSet" || pod.OwnerName is not { } replicaSet)
        {
            return null;
        }
        if (pod.Labels.GetValueOrDefault("pod-template-hash") is { Length: > 0 } hash && replicaSet.EndsWith("-" + hash, StringComparison.Ordinal))
        {
            return replicaSet[..^(hash.Length + 1)];
        }
        return _deployments.Select(d => d.Str("metadata.name"))
            .Where(n => n is not null && replicaSet.StartsWith(n + "-", StringComparison.Ordinal))
            .OrderByDescending(n => n!.Length)
            .FirstOrDefault() ?? replicaSet;
    }

    /// <summary>The ray.io/group label of a Deployment, if we listed it.</summary>
    public string? GroupOf(string? deploymentName) =>
        deploymentName is null ? null
            : _deployments.FirstOrDefault(d => d.Str("metadata.name") == deploymentName)?.Map("metadata.labels").GetValueOrDefault(KubeRayNames.GroupLabel);

    /// <summary>
    /// Plain-words warnings for Deployments that run fewer pods than they want and say why (ReplicaFailure), or
    /// that cannot make progress (ProgressDeadlineExceeded).
    /// </summary>
    public IEnumerable<string> Warnings(IReadOnlyList<RayPodFacts> pods)
    {
        foreach (var d in _deployments)
        {
            var name = d.Str("metadata.name") ?? "";
            var desired = d.Int("spec.replicas") ?? 1;
            var existing = pods.Count(p => !p.Terminating && DeploymentOf(p) == name);
            var conditions = d.Items("status.conditions").ToList();
            var failure = conditions.FirstOrDefault(c => c.Str("type") == "ReplicaFailure" && c.Str("status") == "True");
            var stalled = conditions.FirstOrDefault(c => c.Str("type") == "Progressing" && c.Str("reason") == "ProgressDeadlineExceeded");
            if (failure is not null)
            {
                yield return $"Deployment '{name}' wants {desired} pods and has {existing}: {failure.Str("reason")}: {failure.Str("message")}";
            }
            else if (existing < desired)
            {
                yield return $"Deployment '{name}' wants {desired} pods and has {existing}; the missing ones have no pod to check.";
            }
            if (stalled is not null)
            {
                yield return $"Deployment '{name}' stopped progressing: {stalled.Str("message")}";
            }
        }
    }
}
