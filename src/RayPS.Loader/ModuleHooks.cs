using System.Management.Automation;

namespace RayPS.Loader;

/// <summary>
/// What PowerShell runs when it imports and removes RayPS. The manifest names RayPS.Loader.dll as its first nested
/// module and RayPS.dll as its second, so this runs before PowerShell loads RayPS.dll and reads its cmdlets: it sets up
/// the private load context (which RayPS.dll's references resolve to) and registers the output types as accelerators.
/// A manifest of two binary modules is also the cheapest import: a module script is parsed and compiled on every import
/// (docs/benchmarks.md, 05-FirstCall).
/// </summary>
public sealed class ModuleHooks : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    /// <summary>On Import-Module, before RayPS.dll loads.</summary>
    public void OnImport()
    {
        RayPSLoadContext.Initialize(Path.GetDirectoryName(typeof(ModuleHooks).Assembly.Location)!);
        RayPSLoadContext.RegisterTypeAccelerators();
    }

    /// <summary>On Remove-Module: the accelerators go with the module.</summary>
    public void OnRemove(PSModuleInfo psModuleInfo) => RayPSLoadContext.UnregisterTypeAccelerators();
}
