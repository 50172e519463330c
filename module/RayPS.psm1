# Loads RayPS into its own AssemblyLoadContext so that its dependencies (KubernetesClient, YamlDotNet,
# Fractions) never clash with other versions already loaded in the session.
$loaderType = 'RayPS.Loader.RayPSLoadContext' -as [type]
if (-not $loaderType) {
    $null = [System.Reflection.Assembly]::LoadFrom((Join-Path $PSScriptRoot 'RayPS.Loader.dll'))
    $loaderType = 'RayPS.Loader.RayPSLoadContext' -as [type]
}
$assembly = $loaderType::Initialize((Join-Path $PSScriptRoot 'lib'))
$innerModule = Import-Module -Assembly $assembly -PassThru -DisableNameChecking
Export-ModuleMember -Cmdlet @($innerModule.ExportedCmdlets.Keys)
