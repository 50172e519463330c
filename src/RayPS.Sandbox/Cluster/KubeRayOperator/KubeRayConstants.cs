namespace RayPS.Sandbox.Cluster;

/// <summary>Names, labels, ports and defaults of the KubeRay 1.4.2 operator (utils/constant.go).</summary>
internal static class KubeRayConstants
{
    public const string OperatorVersion = "v1.4.2";
    public const string OperatorImage = "quay.io/kuberay/operator:v1.4.2";
    public const string OperatorName = "kuberay-operator";
    public const string OperatorNamespace = "kube-system";
    public const string ControllerComponent = "raycluster-controller";

    public const string RayClusterLabel = "ray.io/cluster";
    public const string NodeTypeLabel = "ray.io/node-type";
    public const string GroupLabel = "ray.io/group";
    public const string IsRayNodeLabel = "ray.io/is-ray-node";
    public const string IdentifierLabel = "ray.io/identifier";
    public const string HeadlessWorkerServiceLabel = "ray.io/headless-worker-svc";
    public const string AppNameLabel = "app.kubernetes.io/name";
    public const string CreatedByLabel = "app.kubernetes.io/created-by";
    public const string AppName = "kuberay";
    public const string ComponentName = "kuberay-operator";
    public const string HeadGroupName = "headgroup";

    public const string FtEnabledAnnotation = "ray.io/ft-enabled";
    public const string OverwriteContainerCmdAnnotation = "ray.io/overwrite-container-cmd";

    public const string GcsServerPortName = "gcs-server";
    public const string DashboardPortName = "dashboard";
    public const string ClientPortName = "client";
    public const string MetricsPortName = "metrics";
    public const string DashboardAgentPortName = "dashboard-agent";
    public const int DefaultGcsServerPort = 6379;
    public const int DefaultDashboardPort = 8265;
    public const int DefaultClientPort = 10001;
    public const int DefaultMetricsPort = 8080;
    public const int DefaultDashboardAgentListenPort = 52365;
    public const string DefaultServiceAppProtocol = "tcp";
    public const string ClusterDomain = "cluster.local";

    public const int RayContainerIndex = 0;
    public const string AutoscalerContainerName = "autoscaler";
    public const string WaitGcsReadyInitContainerName = "wait-gcs-ready";

    // Probe defaults (utils/constant.go).
    public const int LivenessInitialDelaySeconds = 30;
    public const int LivenessTimeoutSeconds = 2;
    public const int LivenessPeriodSeconds = 5;
    public const int LivenessSuccessThreshold = 1;
    public const int LivenessFailureThreshold = 120;
    public const int ReadinessInitialDelaySeconds = 10;
    public const int ReadinessTimeoutSeconds = 2;
    public const int ReadinessPeriodSeconds = 5;
    public const int ReadinessSuccessThreshold = 1;
    public const int ReadinessFailureThreshold = 10;
    public const int DefaultProbeTimeoutSeconds = 2;
    public const int HeadProbeTimeoutSeconds = 5;
    public const int HeadGcsHealthTimeoutSeconds = 10;
    public const string SharedMemoryVolumeName = "shared-mem";
    public const string SharedMemoryMountPath = "/dev/shm";
    public const string RayletHealthPath = "api/local_raylet_healthz";
    public const string GcsHealthPath = "api/gcs_healthz";

    // Event reasons (K8sEventType).
    public const string InvalidRayClusterSpec = "InvalidRayClusterSpec";
    public const string InvalidRayClusterMetadata = "InvalidRayClusterMetadata";
    public const string CreatedHeadPod = "CreatedHeadPod";
    public const string FailedToCreateHeadPod = "FailedToCreateHeadPod";
    public const string DeletedHeadPod = "DeletedHeadPod";
    public const string CreatedWorkerPod = "CreatedWorkerPod";
    public const string FailedToCreateWorkerPod = "FailedToCreateWorkerPod";
    public const string DeletedWorkerPod = "DeletedWorkerPod";
    public const string FailedToDeleteWorkerPod = "FailedToDeleteWorkerPod";
    public const string CreatedService = "CreatedService";
    public const string FailedToCreateService = "FailedToCreateService";
    public const string DeletedPod = "DeletedPod";
    public const string CreatedServiceAccount = "CreatedServiceAccount";
    public const string FailedToCreateServiceAccount = "FailedToCreateServiceAccount";
    public const string CreatedRole = "CreatedRole";
    public const string FailedToCreateRole = "FailedToCreateRole";
    public const string CreatedRoleBinding = "CreatedRoleBinding";
    public const string FailedToCreateRoleBinding = "FailedToCreateRoleBinding";
    public const string FailedToDeletePodCollection = "FailedToDeletePodCollection";

    // Condition types and reasons (rayv1).
    public const string HeadPodReady = "HeadPodReady";
    public const string RayClusterProvisioned = "RayClusterProvisioned";
    public const string ReplicaFailure = "ReplicaFailure";
    public const string RayClusterSuspending = "RayClusterSuspending";
    public const string RayClusterSuspended = "RayClusterSuspended";
    public const string HeadPodNotFound = "HeadPodNotFound";
    public const string HeadPodRunningAndReady = "HeadPodRunningAndReady";
    public const string UnknownReason = "Unknown";
    public const string AllPodRunningAndReadyFirstTime = "AllPodRunningAndReadyFirstTime";
    public const string RayClusterPodsProvisioning = "RayClusterPodsProvisioning";
    public const string FailedCreateHeadPodReason = "FailedCreateHeadPod";
    public const string FailedCreateWorkerPodReason = "FailedCreateWorkerPod";
    public const string FailedDeleteWorkerPodReason = "FailedDeleteWorkerPod";
    public const string FailedDeleteAllPodsReason = "FailedDeleteAllPods";
    public const string FailedCreateHeadServiceReason = "FailedCreateHeadService";

    public const int MaxRayClusterNameLength = 63;
    public const string DefaultRayVersion = "2.46.0";
}

/// <summary>The two kinds of Ray node KubeRay creates.</summary>
internal enum RayNodeType
{
    Head,
    Worker,
}
