BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:sandbox = Start-TestSandbox
}

AfterAll {
    Stop-TestSandbox $sandbox
}

Describe 'Export-RayCluster' {
    It 'writes clean YAML without status or server-owned metadata' {
        $null = New-RayCluster exp-clean -WorkerRayResources @{ ascend = 20 } -Label @{ env = 'test' }
        $yaml = Get-RayCluster exp-clean | Export-RayCluster
        $yaml | Should -BeOfType ([string])
        $yaml | Should -Match '^apiVersion: ray.io/v1\nkind: RayCluster\nmetadata:\n  name: exp-clean\n  namespace: default\n'
        foreach ($field in 'status:', 'managedFields:', 'uid:', 'resourceVersion:', 'creationTimestamp:', 'generation:') {
            $yaml | Should -Not -Match "(?m)^\s*$field"
        }
        $yaml | Should -Match 'env: test'
        $yaml | Should -Match ([regex]::Escape('resources: "''{\"ascend\":20}''"'))
    }

    It 'round-trips through New-RayCluster -Path' {
        $original = New-RayCluster exp-round -WorkerReplicas 3 -WorkerAccelerator @{ 'huawei.com/Ascend910B' = 1 } -HeadRayStartParams @{ 'num-cpus' = 0 }
        $path = Join-Path $TestDrive 'exp-round.yaml'
        Get-RayCluster exp-round | Export-RayCluster -Path $path
        Remove-RayCluster exp-round -Confirm:$false
        $again = New-RayCluster -Path $path
        $again.Name | Should -Be 'exp-round'
        $again.WorkerGroups[0].Replicas | Should -Be 3
        $again.WorkerGroups[0].RayStartParams['resources'] | Should -BeExactly $original.WorkerGroups[0].RayStartParams['resources']
        $again.Uid | Should -Not -Be $original.Uid
        (Export-RayCluster exp-round) | Should -Be (Get-Content $path -Raw)
    }

    It 'exports several clusters as one multi-document file' {
        $null = New-RayCluster exp-multi-a
        $null = New-RayCluster exp-multi-b -Namespace kube-system
        $path = Join-Path $TestDrive 'multi.yaml'
        Get-RayCluster -AllNamespaces | Where-Object Name -Like 'exp-multi-*' | Export-RayCluster -Path $path
        $text = Get-Content $path -Raw
        ([regex]::Matches($text, '(?m)^kind: RayCluster$')).Count | Should -Be 2
        $text | Should -Match '(?m)^---$'
    }

    It 'reads clusters by -Name, and a missing one is RayClusterNotFound' {
        $null = New-RayCluster exp-by-name
        $yaml = Export-RayCluster exp-by-name, exp-missing -ErrorVariable errors -ErrorAction SilentlyContinue
        $yaml | Should -Match 'name: exp-by-name'
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'RayClusterNotFound,*'
    }

    It '-NoClobber keeps an existing file; -WhatIf writes nothing' {
        $null = New-RayCluster exp-file
        $path = Join-Path $TestDrive 'kept.yaml'
        Set-Content $path 'keep me'
        { Export-RayCluster exp-file -Path $path -NoClobber } | Should -Throw -ErrorId 'FileExists,*'
        Get-Content $path | Should -Be 'keep me'
        $other = Join-Path $TestDrive 'whatif.yaml'
        Export-RayCluster exp-file -Path $other -WhatIf
        Test-Path $other | Should -BeFalse
    }
}
