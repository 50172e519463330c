using RayPS.Sandbox.Resources;
using System.Globalization;
using System.Text.Json.Nodes;

namespace RayPS.Sandbox.Cluster;

/// <summary>A simulated node: name, host IP and a /24 pod CIDR (10.244.&lt;index-1&gt;.0/24).</summary>
internal sealed class SimNode(int index)
{
    private readonly HashSet<int> _used = [];
    private int _cursor = 1;

    public int Index { get; } = index;
    public string Name { get; } = "sandbox-node-" + index.ToString(CultureInfo.InvariantCulture);
    public string HostIp { get; } = "172.18.0." + (index + 1).ToString(CultureInfo.InvariantCulture);
    public string PodCidr => $"10.244.{(Index - 1).ToString(CultureInfo.InvariantCulture)}.0/24";
    public int PodCount => _used.Count;
    public bool Registered { get; set; }

    /// <summary>The next free address, cycling so a replacement pod gets a different IP.</summary>
    public string? AllocateIp()
    {
        for (var i = 0; i < 253; i++)
        {
            _cursor = _cursor >= 254 ? 2 : _cursor + 1;
            if (_used.Add(_cursor))
            {
                return $"10.244.{(Index - 1).ToString(CultureInfo.InvariantCulture)}.{_cursor.ToString(CultureInfo.InvariantCulture)}";
            }
        }
        return null;
    }

    public void Release(string ip)
    {
        var dot = ip.LastIndexOf('.');
        if (dot > 0 && int.TryParse(ip[(dot + 1)..], NumberStyles.Integer, CultureInfo.InvariantCulture, out var octet))
        {
            _used.Remove(octet);
        }
    }

    /// <summary>The Node object the kubelet registers.</summary>
    public JsonObject ToNode(string kubeletVersion, int maxPods) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Node",
        ["metadata"] = new JsonObject
        {
            ["name"] = Name,
            ["labels"] = new JsonObject
            {
                ["beta.kubernetes.io/arch"] = "amd64",
                ["beta.kubernetes.io/os"] = "linux",
                ["kubernetes.io/arch"] = "amd64",
                ["kubernetes.io/hostname"] = Name,
                ["kubernetes.io/os"] = "linux",
            },
            ["annotations"] = new JsonObject
            {
                ["node.alpha.kubernetes.io/ttl"] = "0",
                ["volumes.kubernetes.io/controller-managed-attach-detach"] = "true",
            },
        },
        ["spec"] = new JsonObject
        {
            ["podCIDR"] = PodCidr,
            ["podCIDRs"] = new JsonArray(PodCidr),
        },
    };

    public JsonObject Status(string kubeletVersion, int maxPods, string now)
    {
        JsonObject Resources() => new()
        {
            ["cpu"] = "64",
            ["ephemeral-storage"] = "1Ti",
            ["hugepages-1Gi"] = "0",
            ["hugepages-2Mi"] = "0",
            ["memory"] = "512Gi",
            ["pods"] = maxPods.ToString(CultureInfo.InvariantCulture),
        };
        JsonObject Condition(string type, string status, string reason, string message) => new()
        {
            ["type"] = type,
            ["status"] = status,
            ["lastHeartbeatTime"] = now,
            ["lastTransitionTime"] = now,
            ["reason"] = reason,
            ["message"] = message,
        };
        return new JsonObject
        {
            ["capacity"] = Resources(),
            ["allocatable"] = Resources(),
            ["conditions"] = new JsonArray(
                Condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                Condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                Condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                Condition("Ready", "True", "KubeletReady", "kubelet is posting ready status")),
            ["addresses"] = new JsonArray(
                new JsonObject { ["type"] = "InternalIP", ["address"] = HostIp },
                new JsonObject { ["type"] = "Hostname", ["address"] = Name }),
            ["daemonEndpoints"] = new JsonObject { ["kubeletEndpoint"] = new JsonObject { ["Port"] = 10250 } },
            ["nodeInfo"] = new JsonObject
            {
                ["machineID"] = Guid.NewGuid().ToString("N"),
                ["systemUUID"] = Guid.NewGuid().ToString(),
                ["bootID"] = Guid.NewGuid().ToString(),
                ["kernelVersion"] = "6.8.0-sandbox",
                ["osImage"] = "Debian GNU/Linux 12 (bookworm)",
                ["containerRuntimeVersion"] = "containerd://2.1.1",
                ["kubeletVersion"] = kubeletVersion,
                ["kubeProxyVersion"] = "",
                ["operatingSystem"] = "linux",
                ["architecture"] = "amd64",
            },
        };
    }
}

/// <summary>The scheduler's view of the simulated nodes: the least loaded node with room; a new node when all are full.</summary>
internal sealed partial class NodePool(int maxPodsPerNode)
{
    [System.Text.RegularExpressions.GeneratedRegex(@"^(nvidia\.com/gpu|amd\.com/gpu|intel\.com/gpu|google\.com/tpu|habana\.ai/gaudi|aws\.amazon\.com/neuron(core|device)?|huawei\.com/Ascend\d+[A-Za-z]*)$")]
    private static partial System.Text.RegularExpressions.Regex AcceleratorDevice();

    private readonly List<SimNode> _nodes = [];

    public IReadOnlyList<SimNode> Nodes => _nodes;

    public (SimNode Node, string Ip) Allocate()
    {
        var capacity = Math.Clamp(maxPodsPerNode, 1, 253);
        var node = _nodes.Where(n => n.PodCount < capacity).OrderBy(n => n.PodCount).ThenBy(n => n.Index).FirstOrDefault();
        if (node is null)
        {
            node = new SimNode(_nodes.Count + 1);
            _nodes.Add(node);
        }
        return (node, node.AllocateIp()!);
    }

    public SimNode? Find(string name) => _nodes.FirstOrDefault(n => n.Name == name);

    /// <summary>
    /// What one simulated node offers: 64 CPUs, 512Gi of memory and 8 of each accelerator device (GPUs, TPUs, Ascend NPUs,
    /// Gaudi, Neuron); other extended resources (such as huawei.com/Ascend910B-memory) are not limited.
    /// </summary>
    public const decimal NodeCpu = 64;
    public const decimal NodeMemory = 512m * 1024 * 1024 * 1024;
    public const decimal NodeAccelerators = 8;

    /// <summary>
    /// The resources a pod asks for more of than any simulated node has (requests, else limits, summed over its
    /// containers), or null when it fits: such a pod can never be scheduled.
    /// </summary>
    public static IReadOnlyList<string>? Unfit(JsonObject pod)
    {
        var totals = new SortedDictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var container in PodInfo.Containers(pod))
        {
            var requests = container["resources"]?["requests"] as JsonObject;
            var limits = container["resources"]?["limits"] as JsonObject;
            foreach (var name in (requests?.Select(p => p.Key) ?? []).Union(limits?.Select(p => p.Key) ?? []))
            {
                var text = (requests?[name] ?? limits?[name])?.ToString();
                if (text is not null && Quantity.TryParse(text, out var value, out _))
                {
                    totals[name] = totals.GetValueOrDefault(name) + value;
                }
            }
        }
        var unfit = totals.Where(t => t.Key switch
        {
            "cpu" => t.Value > NodeCpu,
            "memory" => t.Value > NodeMemory,
            var n when AcceleratorDevice().IsMatch(n) => t.Value > NodeAccelerators,
            _ => false,
        }).Select(t => t.Key).ToList();
        return unfit.Count > 0 ? unfit : null;
    }
}
