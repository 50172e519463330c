using RayPS.Sandbox.Cluster;
using RayPS.Sandbox.Net;

namespace RayPS.Sandbox;

/// <summary>Which simulated controllers run inside the sandbox.</summary>
[Flags]
public enum SandboxControllers
{
    None = 0,

    /// <summary>The Deployment and ReplicaSet controllers (pods are created but stay Pending without a kubelet).</summary>
    Deployment = 1,

    /// <summary>The KubeRay operator.</summary>
    KubeRay = 2,

    /// <summary>A kubelet that schedules and runs pods.</summary>
    Kubelet = 4,

    All = Deployment | KubeRay | Kubelet,
}

/// <summary>How to start a <see cref="KubeSandbox"/>.</summary>
public sealed class SandboxOptions
{
    /// <summary>The loopback port to listen on; 0 picks a free one.</summary>
    public int Port { get; set; }

    /// <summary>Where to write the kubeconfig; null writes a temporary file that is removed on stop.</summary>
    public string? KubeConfigPath { get; set; }

    /// <summary>Install the KubeRay v1.4.2 RayCluster CRD at start.</summary>
    public bool InstallKubeRayCrd { get; set; } = true;

    public SandboxControllers Controllers { get; set; } = SandboxControllers.All;

    /// <summary>
    /// The simulated KubeRay operator (with <see cref="SandboxControllers.KubeRay"/>) runs only while an operator Deployment the user
    /// installed (label app.kubernetes.io/name=kuberay-operator) has a ready pod, instead of coming with the CRD
    /// (Start-RaySandbox -WithoutKubeRay, then Install-KubeRayOperator).
    /// </summary>
    public bool KubeRayInstalledByUser { get; set; }

    /// <summary>Timings of the simulated cluster (kubelet, KubeRay operator, Ray jobs); fast by default.</summary>
    public ClusterSimulationOptions Cluster { get; set; } = new();

    /// <summary>
    /// Seeds the sandbox's deliberately unpredictable choices (which workers a plain scale-down removes,
    /// arbitrary on a real KubeRay operator) and its generated name suffixes. Null picks a random seed;
    /// <see cref="KubeSandbox.Seed"/> reports the one in use so a failure can be reproduced.
    /// </summary>
    public int? Seed { get; set; }

    /// <summary>Replaces the built-in in-memory pod network (<see cref="KubeSandbox.PodNetwork"/>) for proxy and port-forward.</summary>
    public IPodNetwork? PodNetwork { get; set; }
}
