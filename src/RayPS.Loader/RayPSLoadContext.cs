using System.Reflection;
using System.Runtime.Loader;

namespace RayPS.Loader;

/// <summary>
/// The module's private AssemblyLoadContext. RayPS.dll and everything it depends on (KubernetesClient, YamlDotNet,
/// Fractions, ...) load here from the module's lib folder, so a session that already holds another version of
/// any of them keeps working. Assemblies not found in lib (System.*, System.Management.Automation) come from the
/// default context, which keeps PowerShell's own types shared.
/// </summary>
public sealed class RayPSLoadContext : AssemblyLoadContext
{
    private static readonly object Gate = new();
    private static RayPSLoadContext? _instance;
    private readonly string _libDirectory;

    private RayPSLoadContext(string libDirectory)
        : base("RayPS", isCollectible: false)
    {
        _libDirectory = libDirectory;
    }

    /// <summary>Loads the module assembly into the private context (once per process) and returns it.</summary>
    public static Assembly Initialize(string libDirectory)
    {
        lock (Gate)
        {
            _instance ??= new RayPSLoadContext(libDirectory);
            return _instance.LoadFromAssemblyName(new AssemblyName("RayPS"));
        }
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        var path = Path.Combine(_libDirectory, assemblyName.Name + ".dll");
        if (File.Exists(path))
        {
            return LoadFromAssemblyPath(path);
        }

        return null;
    }
}
