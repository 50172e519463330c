# Loads RayPS into its own AssemblyLoadContext so that its dependencies (KubernetesClient, YamlDotNet,
# Fractions) never clash with other versions already loaded in the session.
$loaderType = 'RayPS.Loader.RayPSLoadContext' -as [type]
if (-not $loaderType) {
    $null = [System.Reflection.Assembly]::LoadFrom((Join-Path $PSScriptRoot 'RayPS.Loader.dll'))
    $loaderType = 'RayPS.Loader.RayPSLoadContext' -as [type]
}
$assembly = $loaderType::Initialize((Join-Path $PSScriptRoot 'lib'))
# `Import-Module RayPS -Force` runs this file again while the previous inner module is still registered; PowerShell
# would hand that module back (its cmdlets bound to the old session state) and the new RayPS would export nothing.
Get-Module -All | Where-Object { $_.ModuleType -eq 'Binary' -and $_.Path -eq $assembly.Location } | Remove-Module -Force
$innerModule = Import-Module -Assembly $assembly -PassThru -DisableNameChecking
Export-ModuleMember -Cmdlet @($innerModule.ExportedCmdlets.Keys)

# Types in a private load context are invisible to PowerShell's type-name lookup; register the public output
# types (namespace RayPS) as accelerators so [RayPS.RayCluster] and `Should -BeOfType RayPS.RayCluster` work.
$typeAccelerators = [psobject].Assembly.GetType('System.Management.Automation.TypeAccelerators')
$loadContext = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($assembly)
$publicTypes = @(@($assembly, $loadContext.LoadFromAssemblyName([System.Reflection.AssemblyName]::new('RayPS.Client'))).GetExportedTypes() |
        Where-Object Namespace -EQ 'RayPS')
foreach ($type in $publicTypes) { $typeAccelerators::Add($type.FullName, $type) }
$ExecutionContext.SessionState.Module.OnRemove = {
    foreach ($type in $publicTypes) { $null = $typeAccelerators::Remove($type.FullName) }
}.GetNewClosure()
