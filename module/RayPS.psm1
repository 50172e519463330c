# Loads RayPS into its own AssemblyLoadContext so that its dependencies (KubernetesClient, YamlDotNet,
# Fractions) never clash with other versions already loaded in the session.
# Kept to a few statements: every distinct .NET call or pipeline here is code PowerShell compiles on each import
# (docs/benchmarks.md, 05-FirstCall). RayPSLoadContext.Import does the rest in C# (type accelerators and their removal
# with the module, a re-import's clean-up). There is no Export-ModuleMember: without one a script module exports the
# cmdlets it imported, and the manifest's CmdletsToExport names them. `using assembly` loads the loader at parse time;
# the same path again returns the assembly already loaded.
using assembly ./RayPS.Loader.dll

$assembly = [RayPS.Loader.RayPSLoadContext]::Import($PSScriptRoot, $ExecutionContext)
Import-Module -Assembly $assembly -DisableNameChecking
