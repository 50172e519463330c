namespace RayPS.Manifests;

/// <summary>
/// Checks a worker's resources under the parameter names the worker-group cmdlets use (-Cpu, -Memory, -Gpu,
/// -Accelerator, -RayResources), so an error names what the user typed. Runs before the builders, which check again
/// under their own names.
/// </summary>
public static class WorkerParameterValidation
{
    public static void Validate(WorkerGroupOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ManifestValidation.ValidateQuantity("-Cpu", options.Cpu);
        ManifestValidation.ValidateQuantity("-Memory", options.Memory);
        if (options.Gpu < 0)
        {
            throw new Errors.RayPSException(Errors.ErrorIds.InvalidQuantity, Errors.RayErrorCategory.InvalidArgument,
                $"-Gpu is {options.Gpu}; the number of GPUs cannot be negative.", options.Gpu);
        }
        foreach (var (name, value) in options.Accelerator)
        {
            ManifestValidation.ValidateExtendedResource("-Accelerator", name, value);
        }
        foreach (var (name, amount) in options.RayResources)
        {
            ManifestValidation.ValidateRayResource(name, amount);
        }
    }
}
