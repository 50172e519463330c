namespace RayPS.Manifests;

/// <summary>Presets for the hardware a worker Deployment runs on.</summary>
public enum WorkerDeploymentProfile
{
    /// <summary>Nothing preset.</summary>
    None,

    /// <summary>Huawei Ascend 910B NPU nodes (huawei.com/Ascend910B).</summary>
    Ascend910B,

    /// <summary>Huawei Ascend 310P NPU nodes (huawei.com/Ascend310P).</summary>
    Ascend310P,
}

/// <summary>What each <see cref="WorkerDeploymentProfile"/> adds to <see cref="WorkerDeploymentOptions"/>.</summary>
public static class WorkerDeploymentProfiles
{
    /// <summary>
    /// The host paths Ascend containers need, mounted read-only at the same path: the driver (libraries and
    /// firmware tools), the add-ons, DCMI (the device management interface npu-smi uses), npu-smi itself, and
    /// ascend_install.info (where the CANN runtime finds the driver's install path).
    /// </summary>
    public static readonly IReadOnlyList<string> AscendHostPaths = new[]
    {
        "/usr/local/Ascend/driver",
        "/usr/local/Ascend/add-ons",
        "/usr/local/dcmi",
        "/usr/local/bin/npu-smi",
        "/etc/ascend_install.info",
    };

    /// <summary>The extended resource a profile's nodes advertise, or null for None.</summary>
    public static string? DeviceResource(WorkerDeploymentProfile profile) => profile switch
    {
        WorkerDeploymentProfile.Ascend910B => "huawei.com/Ascend910B",
        WorkerDeploymentProfile.Ascend310P => "huawei.com/Ascend310P",
        _ => null,
    };

    /// <summary>
    /// Applies a profile; what the user set explicitly wins. Ascend profiles: request 1 device (huawei.com/AscendXXX)
    /// when no Ascend device is requested, which also makes the worker advertise the Ray resource NPU (= devices,
    /// unless RayResources sets NPU), and mount <see cref="AscendHostPaths"/> read-only unless already mounted there.
    /// </summary>
    public static void Apply(WorkerDeploymentOptions options, WorkerDeploymentProfile profile)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (DeviceResource(profile) is not { } device)
        {
            return;
        }
        if (!options.Worker.Accelerator.Keys.Any(RayStartParams.IsAscendDevice))
        {
            options.Worker.Accelerator[device] = "1";
        }
        foreach (var path in AscendHostPaths)
        {
            if (!options.HostPathMounts.Any(m => m.MountPath == path))
            {
                options.HostPathMounts.Add(new HostPathMount(path, path, ReadOnly: true));
            }
        }
    }
}
