using System.Globalization;
using System.Text.Json.Nodes;
using RayPS.Errors;

namespace RayPS.Manifests;

/// <summary>
/// A container's resources with requests equal to limits, as KubeRay advises for Ray pods (Ray sizes itself from the
/// limits; equal requests give the pod Guaranteed QoS and keep the scheduler honest).
/// </summary>
public static class ContainerResources
{
    /// <summary>
    /// Validates and builds {limits, requests}; returns null when nothing is given. <paramref name="parameterPrefix"/>
    /// names the inputs in errors ("-Worker" gives "-WorkerCpu", "-WorkerMemory", "-WorkerAccelerator").
    /// </summary>
    public static JsonObject? Build(string parameterPrefix, string? cpu, string? memory, int? gpu, IEnumerable<KeyValuePair<string, string>>? accelerator)
    {
        ManifestValidation.ValidateQuantity(parameterPrefix + "Cpu", cpu);
        ManifestValidation.ValidateQuantity(parameterPrefix + "Memory", memory);
        if (gpu < 0)
        {
            throw new RayPSException(ErrorIds.InvalidQuantity, RayErrorCategory.InvalidArgument,
                $"{parameterPrefix}Gpu is {gpu}; the number of GPUs cannot be negative.", gpu);
        }

        var amounts = new List<KeyValuePair<string, string>>();
        if (cpu is not null)
        {
            amounts.Add(new("cpu", cpu.Trim()));
        }
        if (memory is not null)
        {
            amounts.Add(new("memory", memory.Trim()));
        }
        if (gpu > 0)
        {
            amounts.Add(new(RayStartParams.NvidiaGpu, gpu.Value.ToString(CultureInfo.InvariantCulture)));
        }
        foreach (var (name, value) in (accelerator ?? Enumerable.Empty<KeyValuePair<string, string>>()).OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            ManifestValidation.ValidateExtendedResource(parameterPrefix + "Accelerator", name, value);
            amounts.RemoveAll(a => a.Key == name);
            amounts.Add(new(name, value.Trim()));
        }

        if (amounts.Count == 0)
        {
            return null;
        }

        var limits = new JsonObject();
        var requests = new JsonObject();
        foreach (var (name, value) in amounts)
        {
            limits[name] = value;
            requests[name] = value;
        }
        return new JsonObject { ["limits"] = limits, ["requests"] = requests };
    }
}
