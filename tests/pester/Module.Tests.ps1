BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-RayPSUnderTest
    $script:cmdlets = @(Get-Command -Module RayPS -CommandType Cmdlet | ForEach-Object { @{ Name = $_.Name } })
    $script:mutators = @(Get-Command -Module RayPS -CommandType Cmdlet | Where-Object Verb -In 'New', 'Set', 'Remove', 'Add', 'Start', 'Stop', 'Export' | ForEach-Object { @{ Name = $_.Name } })
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-RayPSUnderTest
    $script:manifestPath = Get-RayPSModulePath
    $script:manifest = Import-PowerShellDataFile $manifestPath
}

Describe 'RayPS module manifest' {
    It 'passes Test-ModuleManifest' {
        { Test-ModuleManifest -Path $manifestPath -ErrorAction Stop } | Should -Not -Throw
    }

    It 'targets PowerShell 7.4+ Core only' {
        $manifest.CompatiblePSEditions | Should -Be @('Core')
        [version] $manifest.PowerShellVersion | Should -Be ([version] '7.4')
    }

    It 'exports an explicit cmdlet list without wildcards, equal to what loads' {
        $manifest.CmdletsToExport | Should -Not -BeNullOrEmpty
        $manifest.CmdletsToExport | Where-Object { $_ -match '\*' } | Should -BeNullOrEmpty
        @((Get-Module RayPS).ExportedCmdlets.Keys | Sort-Object) | Should -Be @($manifest.CmdletsToExport | Sort-Object)
    }

    It 'carries gallery metadata' {
        $psData = $manifest.PrivateData.PSData
        foreach ($tag in 'Ray', 'KubeRay', 'Kubernetes', 'PSEdition_Core', 'Windows', 'Linux', 'MacOS') { $psData.Tags | Should -Contain $tag }
        $psData.LicenseUri | Should -Match '^https://'
        $psData.ProjectUri | Should -Match '^https://'
        $psData.ReleaseNotes | Should -Not -BeNullOrEmpty
        $manifest.FormatsToProcess | Should -Contain 'RayPS.Format.ps1xml'
    }

    It 'ships only what is needed' {
        $base = Split-Path $manifestPath
        Get-ChildItem $base -Recurse -Include *.pdb, *.xml -File | Where-Object Name -NE 'RayPS.dll-Help.xml' | Should -BeNullOrEmpty
        Test-Path (Join-Path $base 'lib/System.Management.Automation.dll') | Should -BeFalse
    }
}

Describe 'Cmdlet <Name>' -ForEach $cmdlets {
    BeforeAll {
        $script:help = Get-Help $Name -Full
        $script:command = Get-Command $Name
    }

    It 'has a synopsis and a description' {
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match "^\s*$Name\s*\["
        ($help.Description | Out-String).Trim() | Should -Not -BeNullOrEmpty
    }

    It 'has at least two examples' {
        @($help.Examples.Example).Count | Should -BeGreaterOrEqual 2
        foreach ($example in $help.Examples.Example) { $example.Code | Should -Not -BeNullOrEmpty }
    }

    It 'describes every parameter' {
        $common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
        foreach ($parameter in $command.Parameters.Keys | Where-Object { $_ -notin $common }) {
            $entry = $help.Parameters.Parameter | Where-Object Name -EQ $parameter
            ($entry.Description | Out-String).Trim() | Should -Not -BeNullOrEmpty -Because "-$parameter needs help"
        }
    }

    It 'declares its output type' {
        $command.OutputType | Should -Not -BeNullOrEmpty
    }
}

Describe 'Mutating cmdlet <Name>' -ForEach $mutators -AllowNullOrEmptyForEach {
    It 'supports -WhatIf and -Confirm' {
        (Get-Command $Name).Parameters.Keys | Should -Contain 'WhatIf'
        (Get-Command $Name).Parameters.Keys | Should -Contain 'Confirm'
    }
}

Describe 'Import' {
    It 'reads no kubeconfig and contacts nothing at import' {
        $bad = Join-Path $TestDrive 'broken-kubeconfig'
        Set-Content $bad 'this: is: not: a kubeconfig: ['
        $modulePath = Get-RayPSModulePath
        $out = Invoke-FreshPwsh "`$env:KUBECONFIG = '$bad'; Import-Module '$modulePath' -ErrorAction Stop; 'imported ' + @((Get-Module RayPS).ExportedCmdlets.Keys).Count"
        $LASTEXITCODE | Should -Be 0
        $out | Should -Contain "imported $(@($manifest.CmdletsToExport).Count)"
    }

    It 'exports the manifest''s cmdlets and nothing else: no function, variable or alias' {
        $modulePath = Get-RayPSModulePath
        $out = Invoke-FreshPwsh "Import-Module '$modulePath' -ErrorAction Stop; `$m = Get-Module RayPS; 'exports ' + ((@(`$m.ExportedCmdlets.Keys) | Sort-Object) -join ',') + ' | ' + `$m.ExportedFunctions.Count + ' ' + `$m.ExportedVariables.Count + ' ' + `$m.ExportedAliases.Count"
        $LASTEXITCODE | Should -Be 0
        $out | Should -Contain ('exports ' + ((@($manifest.CmdletsToExport) | Sort-Object) -join ',') + ' | 0 0 0')
    }

    It 'still exports every cmdlet and type after Import-Module -Force and after Remove-Module + Import-Module, and Remove-Module takes its type names away' {
        $modulePath = Get-RayPSModulePath
        $out = Invoke-FreshPwsh @"
Import-Module '$modulePath' -ErrorAction Stop
Import-Module '$modulePath' -Force -ErrorAction Stop
'forced ' + @((Get-Module RayPS).ExportedCmdlets.Keys).Count + ' ' + [bool](Get-Command Get-RayCluster -ErrorAction SilentlyContinue) + ' ' + [RayPS.RayCluster].Name
Remove-Module RayPS
'removed ' + [psobject].Assembly.GetType('System.Management.Automation.TypeAccelerators')::Get.ContainsKey('RayPS.RayCluster') + ' ' + [bool](Get-Command Get-RayCluster -ErrorAction SilentlyContinue)
Import-Module '$modulePath' -ErrorAction Stop
'again ' + @((Get-Module RayPS).ExportedCmdlets.Keys).Count + ' ' + [RayPS.RaySandbox].Name
"@
        $LASTEXITCODE | Should -Be 0
        $count = @($manifest.CmdletsToExport).Count
        $out | Should -Contain "forced $count True RayCluster"
        $out | Should -Contain 'removed False False'
        $out | Should -Contain "again $count RaySandbox"
    }
}
