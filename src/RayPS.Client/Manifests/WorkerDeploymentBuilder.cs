using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using RayPS.Errors;
using RayPS.Model;

namespace RayPS.Manifests;

/// <summary>
/// Builds the seed's worker Deployment (§3) from <see cref="WorkerDeploymentOptions"/>: labels ray.io/cluster,
/// ray.io/group, ray.io/node-type=worker and ray.io/identifier (the selector); one container ray-worker that runs
/// <c>ulimit -n N; ray start --address=&lt;head-svc&gt;:6379 --block ...</c> under <c>/bin/bash -c --</c>; requests equal
/// to limits; the raylet liveness probe on the dashboard agent; hostPath volumes. Validates everything first.
/// </summary>
public static partial class WorkerDeploymentBuilder
{
    public const string ManagedByLabel = "app.kubernetes.io/managed-by";
    public const string ManagedByValue = "rayps";

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex Dns1123Label();

    [GeneratedRegex("^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex LabelValue();

    [GeneratedRegex("[^a-z0-9]+", RegexOptions.CultureInvariant)]
    private static partial Regex NotDnsChars();

    /// <summary>Validates the options and returns the Deployment. Throws <see cref="RayPSException"/> on bad input.</summary>
    public static JsonObject Build(WorkerDeploymentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var worker = options.Worker;
        ManifestValidation.ValidateClusterName(options.ClusterName);
        ManifestValidation.ValidateGroupName(worker.GroupName);
        ManifestValidation.ValidateReplicas(worker.GroupName, worker.Replicas, null, null);
        WorkerParameterValidation.Validate(worker);
        var name = ValidateNames(options);
        if (string.IsNullOrWhiteSpace(worker.Image))
        {
            throw new RayPSException(ErrorIds.InvalidManifestKind, RayErrorCategory.InvalidArgument,
                $"Worker Deployment '{name}' has no image. Pass -Image (e.g. rayproject/ray:2.46.0), or omit it to use the RayCluster's head image.", name);
        }
        ValidateNumbers(options);

        var labels = new JsonObject
        {
            [KubeRayNames.ClusterLabel] = options.ClusterName,
            [KubeRayNames.GroupLabel] = worker.GroupName,
            [KubeRayNames.NodeTypeLabel] = "worker",
            [KubeRayNames.IdentifierLabel] = options.IdentifierValue,
        };
        var deploymentLabels = labels.DeepClone().AsObject();
        deploymentLabels[ManagedByLabel] = ManagedByValue;

        var template = WorkerGroupBuilder.BuildPodTemplate(worker);
        var podLabels = template["metadata"]?["labels"] as JsonObject ?? new JsonObject();
        foreach (var (key, value) in labels)
        {
            podLabels[key] = value!.DeepClone();
        }
        var templateMetadata = template["metadata"] as JsonObject ?? new JsonObject();
        templateMetadata["labels"] = podLabels;
        template.Remove("metadata");
        var podSpec = template["spec"]!.AsObject();
        template.Remove("spec");
        template["metadata"] = templateMetadata;
        template["spec"] = podSpec;

        var container = podSpec["containers"]![0]!.AsObject();
        var image = container["image"]!.DeepClone();
        var env = container["env"]?.DeepClone();
        var resources = container["resources"]?.DeepClone();
        container.Clear();
        container["name"] = WorkerGroupOptions.ContainerName;
        container["image"] = image;
        container["command"] = new JsonArray("/bin/bash", "-c", "--");
        container["args"] = new JsonArray(RayStartCommand(options));
        if (env is not null)
        {
            container["env"] = env;
        }
        if (resources is not null)
        {
            container["resources"] = resources;
        }
        container["livenessProbe"] = LivenessProbe(options);

        var (volumes, mounts) = HostPathVolumes(options.HostPathMounts);
        if (mounts.Count > 0)
        {
            container["volumeMounts"] = mounts;
            podSpec["volumes"] = volumes;
        }

        var deployment = new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = "Deployment",
            ["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["namespace"] = options.Namespace,
                ["labels"] = deploymentLabels,
            },
            ["spec"] = new JsonObject
            {
                ["replicas"] = worker.Replicas,
                ["selector"] = new JsonObject
                {
                    ["matchLabels"] = new JsonObject { [KubeRayNames.IdentifierLabel] = options.IdentifierValue },
                },
                ["template"] = template,
            },
        };
        ManifestValidation.ValidateWorkerDeployment(deployment);
        return deployment;
    }

    /// <summary>
    /// The container's shell line: <c>ulimit -n N; ray start --address=A --block</c> and then the flags in name order:
    /// dashboard-agent-listen-port, memory (bytes), metrics-export-port, num-cpus (the CPU quantity rounded up),
    /// num-gpus (nvidia.com/gpu), resources (single-quoted JSON, NPU added for Ascend devices) and the user's
    /// extra rayStartParams, which win over the computed ones.
    /// </summary>
    public static string RayStartCommand(WorkerDeploymentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var worker = options.Worker;
        var flags = new List<KeyValuePair<string, string>>
        {
            new("dashboard-agent-listen-port", Text(options.DashboardAgentPort)),
            new("metrics-export-port", Text(options.MetricsExportPort)),
        };
        if (options.RayMemory is not null)
        {
            ManifestValidation.ValidateQuantity("-RayMemory", options.RayMemory);
            flags.Add(new("memory", decimal.Floor(Quantity.Parse(options.RayMemory)).ToString("0", CultureInfo.InvariantCulture)));
        }
        if (worker.Cpu is not null)
        {
            ManifestValidation.ValidateQuantity("-Cpu", worker.Cpu);
            flags.Add(new("num-cpus", decimal.Ceiling(Quantity.Parse(worker.Cpu)).ToString("0", CultureInfo.InvariantCulture)));
        }
        var gpus = worker.Gpu ?? 0;
        if (worker.Accelerator.TryGetValue(RayStartParams.NvidiaGpu, out var nvidia) && Quantity.TryParse(nvidia, out var count))
        {
            gpus = (int)count;
        }
        if (gpus > 0)
        {
            flags.Add(new("num-gpus", Text(gpus)));
        }

        var merged = RayStartParams.Build(flags, worker.RayStartParams, worker.EffectiveRayResources(), $"Worker Deployment '{options.DeploymentName}'");
        var address = merged["address"]?.GetValue<string>() ?? options.HeadAddress;
        merged.Remove("address");
        merged.Remove("block");
        var line = $"ulimit -n {Text(options.UlimitNoFile)}; ray start --address={address} --block";
        foreach (var (key, value) in merged)
        {
            line += $" --{key}={value!.GetValue<string>()}";
        }
        return line;
    }

    /// <summary>The seed's probe: the dashboard agent's local_raylet_healthz must answer "success".</summary>
    private static JsonObject LivenessProbe(WorkerDeploymentOptions options) => new()
    {
        ["exec"] = new JsonObject
        {
            ["command"] = new JsonArray("bash", "-c",
                $"wget --tries 1 -T 2 -q -O- http://localhost:{Text(options.DashboardAgentPort)}/api/local_raylet_healthz | grep success"),
        },
        ["initialDelaySeconds"] = options.LivenessInitialDelaySeconds,
        ["periodSeconds"] = options.LivenessPeriodSeconds,
        ["timeoutSeconds"] = WorkerDeploymentOptions.LivenessTimeoutSeconds,
        ["failureThreshold"] = options.LivenessFailureThreshold,
    };

    /// <summary>One hostPath volume per mount, named after its host path ("/usr/local/Ascend/driver" -> "usr-local-ascend-driver").</summary>
    private static (JsonArray Volumes, JsonArray Mounts) HostPathVolumes(IEnumerable<HostPathMount> mounts)
    {
        var volumes = new JsonArray();
        var volumeMounts = new JsonArray();
        var used = new HashSet<string>(StringComparer.Ordinal);
        var mountPaths = new HashSet<string>(StringComparer.Ordinal);
        foreach (var mount in mounts)
        {
            foreach (var (what, path) in new[] { ("host path", mount.HostPath), ("mount path", mount.MountPath) })
            {
                if (string.IsNullOrWhiteSpace(path) || !path.StartsWith('/'))
                {
                    throw new RayPSException(ErrorIds.InvalidHostPathMount, RayErrorCategory.InvalidArgument,
                        $"-HostPathMount: the {what} '{path}' is not an absolute path. Map each host path to a container path, e.g. @{{'/usr/local/Ascend/driver'='/usr/local/Ascend/driver'}}.", path);
                }
            }
            if (!mountPaths.Add(mount.MountPath))
            {
                throw new RayPSException(ErrorIds.InvalidHostPathMount, RayErrorCategory.InvalidArgument,
                    $"-HostPathMount: two host paths are mounted at '{mount.MountPath}'. Each container path can hold one mount.", mount.MountPath);
            }

            var baseName = NotDnsChars().Replace(mount.HostPath.ToLowerInvariant(), "-").Trim('-');
            if (baseName.Length == 0)
            {
                baseName = "host-root";
            }
            if (baseName.Length > 58)
            {
                baseName = baseName[..58].TrimEnd('-');
            }
            var volumeName = baseName;
            for (var i = 2; !used.Add(volumeName); i++)
            {
                volumeName = $"{baseName}-{Text(i)}";
            }

            volumes.Add(new JsonObject { ["name"] = volumeName, ["hostPath"] = new JsonObject { ["path"] = mount.HostPath } });
            var volumeMount = new JsonObject { ["name"] = volumeName, ["mountPath"] = mount.MountPath };
            if (mount.ReadOnly)
            {
                volumeMount["readOnly"] = true;
            }
            volumeMounts.Add(volumeMount);
        }
        return (volumes, volumeMounts);
    }

    /// <summary>The Deployment name (a DNS-1123 label, since it is also the default ray.io/identifier) and the identifier label.</summary>
    private static string ValidateNames(WorkerDeploymentOptions options)
    {
        var name = options.DeploymentName;
        if (name.Length > 63 || !Dns1123Label().IsMatch(name))
        {
            throw new RayPSException(ErrorIds.InvalidDeploymentName, RayErrorCategory.InvalidArgument,
                $"'{name}' is not a valid worker Deployment name: use at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit. Pass another -Name.", name);
        }
        var identifier = options.IdentifierValue;
        if (identifier.Length > 63 || !LabelValue().IsMatch(identifier))
        {
            throw new RayPSException(ErrorIds.InvalidDeploymentName, RayErrorCategory.InvalidArgument,
                $"'{identifier}' is not a valid ray.io/identifier label value: use at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit.", identifier);
        }
        return name;
    }

    private static void ValidateNumbers(WorkerDeploymentOptions options)
    {
        foreach (var (parameter, value) in new[] { ("-DashboardAgentPort", options.DashboardAgentPort), ("-MetricsExportPort", options.MetricsExportPort) })
        {
            if (value is < 1 or > 65535)
            {
                throw new RayPSException(ErrorIds.InvalidQuantity, RayErrorCategory.InvalidArgument,
                    $"{parameter} is {Text(value)}; a port is a number from 1 to 65535.", value);
            }
        }
        foreach (var (parameter, value, min) in new[]
        {
            ("-UlimitNoFile", options.UlimitNoFile, 1),
            ("-LivenessInitialDelaySeconds", options.LivenessInitialDelaySeconds, 0),
            ("-LivenessPeriodSeconds", options.LivenessPeriodSeconds, 1),
            ("-LivenessFailureThreshold", options.LivenessFailureThreshold, 1),
        })
        {
            if (value < min)
            {
                throw new RayPSException(ErrorIds.InvalidQuantity, RayErrorCategory.InvalidArgument,
                    $"{parameter} is {Text(value)}; it must be at least {Text(min)}.", value);
            }
        }
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
