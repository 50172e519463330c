# Loads RayPS into its own AssemblyLoadContext so that its dependencies (KubernetesClient, YamlDotNet,
# Fractions) never clash with other versions already loaded in the session.
# Kept to a few statements: every distinct command or pipeline here is code PowerShell compiles on each import
# (docs/benchmarks.md, 05-FirstCall). LoadFrom of the same path returns the assembly already loaded.
$loader = [System.Reflection.Assembly]::LoadFrom([System.IO.Path]::Combine($PSScriptRoot, 'RayPS.Loader.dll')).GetType('RayPS.Loader.RayPSLoadContext', $true)
$assembly = $loader::Initialize([System.IO.Path]::Combine($PSScriptRoot, 'lib'))
if ($loader::InitializeCount -gt 1) {
    # `Import-Module RayPS -Force` runs this file again while the previous inner module is still registered; PowerShell
    # would hand that module back (its cmdlets bound to the old session state) and the new RayPS would export nothing.
    Get-Module -All | Where-Object { $_.ModuleType -eq 'Binary' -and $_.Path -eq $assembly.Location } | Remove-Module -Force
}
$innerModule = Import-Module -Assembly $assembly -PassThru -DisableNameChecking
Export-ModuleMember -Cmdlet @($innerModule.ExportedCmdlets.Keys)

# Types in a private load context are invisible to PowerShell's type-name lookup; the public output types (namespace
# RayPS, listed at build time in RayPS.Types.txt) become accelerators so [RayPS.RayCluster] and
# `Should -BeOfType RayPS.RayCluster` work.
$loader::RegisterTypeAccelerators([System.IO.Path]::Combine($PSScriptRoot, 'RayPS.Types.txt'))
$ExecutionContext.SessionState.Module.OnRemove = { [RayPS.Loader.RayPSLoadContext]::UnregisterTypeAccelerators() }
