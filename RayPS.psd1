@{
    # No root module and no module script: two binary modules, imported in this order. RayPS.Loader.dll's import hook
    # creates the private load context that RayPS.dll's dependencies come from; RayPS.dll holds the cmdlets, which the
    # manifest exports (docs/architecture.md, "Start-up").
    NestedModules          = @('RayPS.Loader.dll', 'RayPS.dll')
    ModuleVersion          = '0.1.0'
    CompatiblePSEditions   = @('Core')
    GUID                   = '5f0b7a5e-3c1e-4d7e-9a51-7a0c2b6e9d41'
    Author                 = 'RayPS contributors'
    CompanyName            = 'RayPS'
    Copyright              = '(c) RayPS contributors. Apache-2.0.'
    Description            = 'Deploy and operate Ray clusters on Kubernetes through the KubeRay operator, from PowerShell: typed cmdlets for clusters, worker groups (RayCluster groups and plain Deployments), node health and the dashboard, plus a local sandbox cluster for testing runbooks offline.'
    PowerShellVersion      = '7.4'
    FormatsToProcess       = @('RayPS.Format.ps1xml')
    TypesToProcess         = @('RayPS.Types.ps1xml')
    FunctionsToExport      = @()
    CmdletsToExport        = @(
        'Get-RayCluster',
        'New-RayCluster',
        'Remove-RayCluster',
        'Wait-RayCluster',
        'Export-RayCluster',
        'Add-RayWorkerGroup',
        'Get-RayWorkerGroup',
        'New-RayWorkerDeployment',
        'Set-RayWorkerReplicas',
        'Get-RayNodeHealth',
        'Get-KubeRayOperator',
        'Start-RayDashboard',
        'Get-RayDashboard',
        'Stop-RayDashboard',
        'Start-RaySandbox',
        'Stop-RaySandbox',
        'Get-RaySandbox',
        'Set-RaySandboxFault',
        'Set-RaySandboxPodFault',
        'Remove-RayWorkerGroup',
        'Set-RayClusterAutoscaling',
        'Get-RayNodeLog',
        'Save-RayClusterLog',
        'Start-RayJob',
        'Get-RayJob',
        'Wait-RayJob',
        'Receive-RayJob',
        'Stop-RayJob',
        'Remove-RayJob',
        'Install-KubeRayOperator',
        'Uninstall-KubeRayOperator'
    )
    VariablesToExport      = @()
    AliasesToExport        = @()
    PrivateData            = @{
        PSData = @{
            Tags         = @('Ray', 'KubeRay', 'Kubernetes', 'PSEdition_Core', 'Windows', 'Linux', 'MacOS')
            LicenseUri   = 'https://github.com/rayps/RayPS/blob/main/LICENSE'
            ProjectUri   = 'https://github.com/rayps/RayPS'
            ReleaseNotes = 'First preview: Get-RayCluster over a shared Kubernetes client layer.'
        }
    }
}
