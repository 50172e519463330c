namespace RayPS.Errors;

/// <summary>Stable ErrorIds. Tests and runbooks match on these; never rename one.</summary>
public static class ErrorIds
{
    // Connection and configuration
    public const string KubeConfigNotFound = "KubeConfigNotFound";
    public const string KubeConfigInvalid = "KubeConfigInvalid";
    public const string KubeContextNotFound = "KubeContextNotFound";
    public const string KubeApiUnreachable = "KubeApiUnreachable";
    public const string KubeApiTlsFailure = "KubeApiTlsFailure";
    public const string KubeApiUnauthorized = "KubeApiUnauthorized";
    public const string KubeApiForbidden = "KubeApiForbidden";
    public const string KubeApiThrottled = "KubeApiThrottled";
    public const string KubeApiServerError = "KubeApiServerError";
    public const string KubeApiInvalid = "KubeApiInvalid";
    public const string KubeApiBadRequest = "KubeApiBadRequest";
    public const string KubeApiConflict = "KubeApiConflict";
    public const string KubeApiNotFound = "KubeApiNotFound";
    public const string KubeApiTimeout = "KubeApiTimeout";
    public const string KubeApiError = "KubeApiError";

    // Ray / KubeRay
    public const string KubeRayCrdMissing = "KubeRayCrdMissing";
    public const string RayClusterNotFound = "RayClusterNotFound";
    public const string RayClusterExists = "RayClusterExists";
    public const string RayClusterNotReady = "RayClusterNotReady";
    public const string RayClusterDeletionTimeout = "RayClusterDeletionTimeout";
    public const string NamespaceNotFound = "NamespaceNotFound";
    public const string WorkerGroupNotFound = "WorkerGroupNotFound";
    public const string WorkerGroupExists = "WorkerGroupExists";
    public const string ReplicasOutOfRange = "ReplicasOutOfRange";
    public const string AutoscalerOwnsReplicas = "AutoscalerOwnsReplicas";
    public const string ScaleConflict = "ScaleConflict";
    public const string WorkerGroupNotReady = "WorkerGroupNotReady";

    // Input validation
    public const string InvalidClusterName = "InvalidClusterName";
    public const string InvalidQuantity = "InvalidQuantity";
    public const string DuplicateWorkerGroup = "DuplicateWorkerGroup";
    public const string InvalidYaml = "InvalidYaml";
    public const string InvalidManifestKind = "InvalidManifestKind";
    public const string InvalidHelmValues = "InvalidHelmValues";
    public const string FileNotFound = "FileNotFound";
    public const string InvalidWorkerGroupName = "InvalidWorkerGroupName";
    public const string InvalidRayResource = "InvalidRayResource";
    public const string FileExists = "FileExists";
    public const string FileWriteFailed = "FileWriteFailed";
    public const string InvalidDeploymentName = "InvalidDeploymentName";
    public const string InvalidHostPathMount = "InvalidHostPathMount";
    public const string InvalidToleration = "InvalidToleration";

    // Dashboard
    public const string DashboardPortInUse = "DashboardPortInUse";
    public const string DashboardTargetNotReady = "DashboardTargetNotReady";
    public const string DashboardSessionNotFound = "DashboardSessionNotFound";
    public const string DashboardListenFailed = "DashboardListenFailed";
    public const string DashboardForwardFailed = "DashboardForwardFailed";

    // Sandbox
    public const string SandboxStartFailed = "SandboxStartFailed";
    public const string SandboxNotFound = "SandboxNotFound";
    public const string PodNotFound = "PodNotFound";
    public const string PodFaultMissing = "PodFaultMissing";

    // Scale-down, group removal and autoscaling (issue 21).
    public const string WorkerNotInGroup = "WorkerNotInGroup";
    public const string NotSupportedForDeploymentGroup = "NotSupportedForDeploymentGroup";
    public const string ScaleTargetMissing = "ScaleTargetMissing";
    public const string WorkerGroupRemovalTimeout = "WorkerGroupRemovalTimeout";
    public const string AutoscalingSwitchMissing = "AutoscalingSwitchMissing";
    // Logs
    public const string ContainerNotStarted = "ContainerNotStarted";
    public const string PreviousLogNotFound = "PreviousLogNotFound";
    public const string ContainerNotFound = "ContainerNotFound";
    public const string RayLogApiUnreachable = "RayLogApiUnreachable";
    public const string RayLogReadFailed = "RayLogReadFailed";
    public const string LogPathIsFile = "LogPathIsFile";
    public const string InvalidSince = "InvalidSince";
    // Ray jobs
    public const string RayJobNotFound = "RayJobNotFound";
    public const string RayJobExists = "RayJobExists";
    public const string RayJobRejected = "RayJobRejected";
    public const string RayJobRequestFailed = "RayJobRequestFailed";
    public const string RayJobFailed = "RayJobFailed";
    public const string RayJobStopped = "RayJobStopped";
    public const string RayJobTimeout = "RayJobTimeout";
    public const string RayJobNotTerminal = "RayJobNotTerminal";
    public const string RayJobEntrypointEmpty = "RayJobEntrypointEmpty";
    public const string RayDashboardUnreachable = "RayDashboardUnreachable";
    public const string WorkingDirectoryNotFound = "WorkingDirectoryNotFound";
    public const string WorkingDirectoryTooLarge = "WorkingDirectoryTooLarge";
    // Exec credential plugins (issue #17)
    public const string KubeExecPluginNotFound = "KubeExecPluginNotFound";
    public const string KubeExecPluginFailed = "KubeExecPluginFailed";
    // Object model (issue 18)
    public const string InvalidWorkerGroupKind = "InvalidWorkerGroupKind";
    public const string SandboxKubeConfigFolderMissing = "SandboxKubeConfigFolderMissing";
    // KubeRay operator install (Install-/Uninstall-KubeRayOperator)
    public const string KubeRayVersionNotSupported = "KubeRayVersionNotSupported";
    public const string KubeRayOperatorHelmOwned = "KubeRayOperatorHelmOwned";
    public const string KubeRayInstallForbidden = "KubeRayInstallForbidden";
    public const string InvalidOperatorValues = "InvalidOperatorValues";
    public const string KubeRayOperatorWaitTimeout = "KubeRayOperatorWaitTimeout";

    // Faults and bad input (issue 16).
    public const string KubeApiOutcomeUnknown = "KubeApiOutcomeUnknown";
    public const string InvalidLabel = "InvalidLabel";
    public const string InvalidEnvName = "InvalidEnvName";
    public const string InvalidRayStartParam = "InvalidRayStartParam";
    public const string InvalidName = "InvalidName";
    public const string InvalidSandboxFault = "InvalidSandboxFault";
    public const string InvalidPipelineInput = "InvalidPipelineInput";
}
