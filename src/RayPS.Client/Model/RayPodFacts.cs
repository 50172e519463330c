using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace RayPS.Model;

/// <summary>A container's last exit (status.containerStatuses[].lastState.terminated).</summary>
internal sealed record ContainerTermination(string Container, string Reason, int? ExitCode, DateTimeOffset? FinishedAt);

/// <summary>A container that is not running and why (state.waiting, e.g. ImagePullBackOff, CrashLoopBackOff).</summary>
internal sealed record ContainerWaiting(string Container, string Reason, string? Message, string? Image, bool IsInit);

/// <summary>
/// The one projection of a Ray pod, read from the pod object once: identity and owner, phase and readiness, restarts and
/// the last termination, why it is waiting, and the dashboard agent's port. The health rules, the log readers and the
/// worker-group code (which pods are a group's, which to delete first) all read pods through it.
/// </summary>
internal sealed partial class RayPodFacts
{
    public const int DefaultAgentPort = KubeRayNames.DashboardAgentPort;

    private static readonly string[] RayContainerNames = { "ray-head", "ray-worker" };

    public string Name { get; init; } = "";
    public string Namespace { get; init; } = "";
    public string? ClusterName { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>head or worker (the ray.io/node-type label; pods of Deployments without it are workers).</summary>
    public string NodeType { get; init; } = "worker";

    public bool IsHead => NodeType == KubeRayNames.HeadNodeType;

    /// <summary>The ray.io/group label, if any.</summary>
    public string? Group { get; init; }

    /// <summary>Kind of the controlling owner (RayCluster, ReplicaSet, ...), null for a bare pod.</summary>
    public string? OwnerKind { get; init; }
    public string? OwnerName { get; init; }

    /// <summary>Any owner is a ReplicaSet: the pod is a Deployment group's, not the RayCluster's.</summary>
    public bool OwnedByReplicaSet { get; init; }

    public string? Phase { get; init; }
    public bool Ready { get; init; }
    public DateTimeOffset? DeletionTimestamp { get; init; }
    public DateTimeOffset? Created { get; init; }
    public string? PodIP { get; init; }
    public string? NodeName { get; init; }

    /// <summary>status.reason / status.message of the pod (Evicted, NodeLost, ...).</summary>
    public string? PodReason { get; init; }
    public string? PodMessage { get; init; }

    /// <summary>The PodScheduled condition when it is False (reason Unschedulable and the scheduler's message).</summary>
    public string? UnschedulableMessage { get; init; }
    public bool Unschedulable { get; init; }

    /// <summary>Restarts of all containers, as kubectl's RESTARTS column counts them.</summary>
    public int Restarts { get; init; }

    /// <summary>The most recent container exit, if any container ever restarted.</summary>
    public ContainerTermination? LastTermination { get; init; }

    /// <summary>The first waiting container: init containers first (they block the rest), then the Ray container.</summary>
    public ContainerWaiting? Waiting { get; init; }

    public int InitContainers { get; init; }
    public int InitContainersDone { get; init; }

    /// <summary>The first init container that has not completed and is running (e.g. KubeRay's wait-gcs-ready).</summary>
    public string? InitRunning { get; init; }

    public IReadOnlyList<string> ContainersNotReady { get; init; } = Array.Empty<string>();

    public string? RayContainer { get; init; }
    public string? Image { get; init; }

    /// <summary>The dashboard agent's port: --dashboard-agent-listen-port of the ray start command, else 52365.</summary>
    public int AgentPort { get; init; } = DefaultAgentPort;

    public bool Terminating => DeletionTimestamp is not null;
    public bool Running => Phase == "Running";

    [GeneratedRegex(@"--dashboard-agent-listen-port(?:=|\s+)['""]?(?<port>\d{1,5})", RegexOptions.CultureInvariant)]
    private static partial Regex AgentPortFlag();

    public static RayPodFacts FromJson(JsonNode pod)
    {
        var labels = pod.Map("metadata.labels");
        var owner = pod.Items("metadata.ownerReferences").FirstOrDefault(o => o.Bool("controller") == true)
                    ?? pod.Items("metadata.ownerReferences").FirstOrDefault();
        var containers = pod.Items("spec.containers").ToList();
        var ray = containers.FirstOrDefault(c => RayContainerNames.Contains(c.Str("name"))) ?? containers.FirstOrDefault();
        var rayName = ray.Str("name");
        var statuses = pod.Items("status.containerStatuses").ToList();
        var initStatuses = pod.Items("status.initContainerStatuses").ToList();
        var scheduled = pod.Items("status.conditions").FirstOrDefault(c => c.Str("type") == "PodScheduled");

        return new RayPodFacts
        {
            Name = pod.Str("metadata.name") ?? "",
            Namespace = pod.Str("metadata.namespace") ?? "",
            ClusterName = labels.GetValueOrDefault(KubeRayNames.ClusterLabel),
            Labels = labels,
            NodeType = labels.GetValueOrDefault(KubeRayNames.NodeTypeLabel) is { Length: > 0 } type ? type : KubeRayNames.WorkerNodeType,
            Group = labels.GetValueOrDefault(KubeRayNames.GroupLabel),
            OwnerKind = owner.Str("kind"),
            OwnerName = owner.Str("name"),
            OwnedByReplicaSet = pod.Items("metadata.ownerReferences").Any(o => o.Str("kind") == "ReplicaSet"),
            Phase = pod.Str("status.phase"),
            Ready = pod.Items("status.conditions").Any(c => c.Str("type") == "Ready" && c.Str("status") == "True"),
            DeletionTimestamp = pod.Time("metadata.deletionTimestamp"),
            Created = pod.Time("metadata.creationTimestamp"),
            PodIP = pod.Str("status.podIP"),
            NodeName = pod.Str("spec.nodeName"),
            PodReason = pod.Str("status.reason"),
            PodMessage = pod.Str("status.message"),
            Unschedulable = scheduled.Str("status") == "False",
            UnschedulableMessage = scheduled.Str("status") == "False" ? scheduled.Str("message") ?? scheduled.Str("reason") : null,
            Restarts = statuses.Concat(initStatuses).Sum(s => s.Int("restartCount") ?? 0),
            LastTermination = statuses.Concat(initStatuses)
                .Select(s => (Status: s, Terminated: s.At("lastState.terminated")))
                .Where(t => t.Terminated is not null)
                .Select(t => new ContainerTermination(t.Status.Str("name") ?? "", t.Terminated.Str("reason") ?? "Terminated", t.Terminated.Int("exitCode"), t.Terminated.Time("finishedAt")))
                .OrderByDescending(t => t.FinishedAt ?? DateTimeOffset.MinValue)
                .FirstOrDefault(),
            Waiting = FirstWaiting(initStatuses, pod.Items("spec.initContainers"), isInit: true)
                      ?? FirstWaiting(statuses.Where(s => s.Str("name") == rayName), containers, isInit: false)
                      ?? FirstWaiting(statuses, containers, isInit: false),
            InitContainers = pod.Items("spec.initContainers").Count(),
            InitContainersDone = initStatuses.Count(s => s.At("state.terminated") is { } t && t.Int("exitCode") == 0),
            InitRunning = initStatuses.FirstOrDefault(s => s.At("state.running") is not null)?.Str("name"),
            ContainersNotReady = statuses.Where(s => s.Bool("ready") != true).Select(s => s.Str("name") ?? "").ToList(),
            RayContainer = rayName,
            Image = ray.Str("image"),
            AgentPort = AgentPortOf(ray),
        };
    }

    /// <summary>
    /// The first waiting container, with its image as the spec writes it (the kubelet's status may show it normalised,
    /// e.g. docker.io/rayproject/ray:tag, which is not what the user will search their manifests for).
    /// </summary>
    private static ContainerWaiting? FirstWaiting(IEnumerable<JsonNode> statuses, IEnumerable<JsonNode> specs, bool isInit)
    {
        foreach (var s in statuses)
        {
            if (s.At("state.waiting") is { } waiting)
            {
                var name = s.Str("name") ?? "";
                var image = specs.FirstOrDefault(c => c.Str("name") == name).Str("image") ?? s.Str("image");
                return new ContainerWaiting(name, waiting.Str("reason") ?? "Waiting", waiting.Str("message"), image, isInit);
            }
        }
        return null;
    }

    /// <summary>
    /// The agent port from the ray start command KubeRay generated (container command/args, or the
    /// KUBERAY_GEN_RAY_START_CMD variable), else a container port named dashboard-agent, else 52365.
    /// </summary>
    internal static int AgentPortOf(JsonNode? container)
    {
        var text = string.Join(' ', container.Items("command").Concat(container.Items("args")).Select(n => n.AsString() ?? "")
            .Concat(container.Items("env").Where(e => e.Str("name") == "KUBERAY_GEN_RAY_START_CMD").Select(e => e.Str("value") ?? "")));
        var match = AgentPortFlag().Match(text);
        if (match.Success && int.TryParse(match.Groups["port"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536)
        {
            return port;
        }
        return container.Items("ports").FirstOrDefault(p => p.Str("name") == KubeRayNames.DashboardAgentPortName).Int("containerPort") ?? DefaultAgentPort;
    }

    public static IReadOnlyList<RayPodFacts> ListFromJson(JsonObject podList) =>
        podList.Items("items").Select(FromJson).ToList();
}
