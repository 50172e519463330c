using System.Text.Json.Nodes;

namespace RayPS.Model;

/// <summary>What the worker-group code needs to know about one pod of a Ray cluster.</summary>
internal sealed class WorkerPod
{
    public string Name { get; init; } = "";
    public string? Group { get; init; }
    public string? NodeType { get; init; }
    public string? Phase { get; init; }
    public bool Ready { get; init; }
    public bool Terminating { get; init; }
    public string? PodIp { get; init; }
    public bool OwnedByReplicaSet { get; init; }
    public DateTimeOffset? CreationTimestamp { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    public bool Running => Phase == "Running";

    public static WorkerPod FromJson(JsonNode pod)
    {
        var labels = pod.Map("metadata.labels");
        return new WorkerPod
        {
            Name = pod.Str("metadata.name") ?? "",
            Group = labels.GetValueOrDefault(WorkerGroupLabels.Group),
            NodeType = labels.GetValueOrDefault(WorkerGroupLabels.NodeType),
            Phase = pod.Str("status.phase"),
            Ready = pod.Items("status.conditions").Any(c => c.Str("type") == "Ready" && c.Str("status") == "True"),
            Terminating = pod.Str("metadata.deletionTimestamp") is not null,
            PodIp = pod.Str("status.podIP"),
            OwnedByReplicaSet = pod.Items("metadata.ownerReferences").Any(o => o.Str("kind") == "ReplicaSet"),
            CreationTimestamp = pod.Time("metadata.creationTimestamp"),
            Labels = labels,
        };
    }

    public static IReadOnlyList<WorkerPod> ListFromJson(JsonObject podList) =>
        podList.Items("items").Select(FromJson).ToList();
}
