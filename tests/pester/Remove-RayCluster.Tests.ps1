BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:sandbox = Start-TestSandbox
    $script:operatorAvailable = Test-SimulatedOperator
}

AfterAll {
    Stop-TestSandbox $sandbox
}

Describe 'Remove-RayCluster' {
    It 'is a high-impact mutator with -WhatIf and -Confirm' {
        $command = Get-Command Remove-RayCluster
        $command.Parameters.Keys | Should -Contain 'WhatIf'
        $command.Parameters.Keys | Should -Contain 'Confirm'
        $command.ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0].ConfirmImpact | Should -Be 'High'
    }

    It 'deletes a cluster by name' {
        $null = New-RayCluster rm-one
        Remove-RayCluster rm-one -Confirm:$false
        { Get-RayCluster rm-one -ErrorAction Stop } | Should -Throw -ErrorId 'RayClusterNotFound,*'
    }

    It 'sends one DELETE per cluster and nothing else' {
        $null = New-RayCluster rm-count
        $null = Get-RaySandbox -InputObject $sandbox -RequestCount -Reset
        Remove-RayCluster rm-count -Confirm:$false
        $requests = @(Get-RaySandbox -InputObject $sandbox -RequestCount -Reset)
        [int] ($requests | Measure-Object Count -Sum).Sum | Should -Be 1
        ($requests.Verb, $requests.Resource) | Should -Be @('delete', 'rayclusters')
    }

    It 'deletes piped clusters in their own namespaces' {
        $null = New-RayCluster rm-pipe-a -Namespace kube-system
        $null = New-RayCluster rm-pipe-b
        Get-RayCluster -AllNamespaces | Where-Object Name -Like 'rm-pipe-*' | Remove-RayCluster -Confirm:$false
        @(Get-RayCluster -AllNamespaces | Where-Object Name -Like 'rm-pipe-*') | Should -HaveCount 0
    }

    It 'writes RayClusterNotFound for a missing name and goes on with the others' {
        $null = New-RayCluster rm-after-missing
        Remove-RayCluster rm-missing, rm-after-missing -Confirm:$false -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors | Should -HaveCount 1
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'RayClusterNotFound,*'
        { Get-RayCluster rm-after-missing -ErrorAction Stop } | Should -Throw -ErrorId 'RayClusterNotFound,*'
    }

    It '-WhatIf deletes nothing' {
        $null = New-RayCluster rm-whatif
        Remove-RayCluster rm-whatif -WhatIf
        Get-RayCluster rm-whatif | Should -Not -BeNullOrEmpty
    }

    It '-PassThru returns what was deleted' {
        $null = New-RayCluster rm-passthru
        $deleted = Remove-RayCluster rm-passthru -Confirm:$false -PassThru
        $deleted | Should -BeOfType ([RayPS.RayCluster])
        $deleted.Name | Should -Be 'rm-passthru'
    }

    It '-PassThru reads the cluster once before its DELETE' {
        $null = New-RayCluster rm-passthru-count
        $null = Get-RaySandbox -InputObject $sandbox -RequestCount -Reset
        $null = Remove-RayCluster rm-passthru-count -Confirm:$false -PassThru
        $requests = @(Get-RaySandbox -InputObject $sandbox -RequestCount -Reset)
        [int] ($requests | Measure-Object Count -Sum).Sum | Should -Be 2
        ($requests | Where-Object { $_.Verb -eq 'get' -and $_.Resource -eq 'rayclusters' }).Count | Should -Be 1
        ($requests | Where-Object { $_.Verb -eq 'delete' -and $_.Resource -eq 'rayclusters' }).Count | Should -Be 1
    }

    It '-WhatIf sends nothing' {
        $null = New-RayCluster rm-whatif-count
        $null = Get-RaySandbox -InputObject $sandbox -RequestCount -Reset
        Remove-RayCluster rm-whatif-count -WhatIf
        @(Get-RaySandbox -InputObject $sandbox -RequestCount -Reset) | Should -HaveCount 0
    }

    It '-Wait returns once the cluster and its pods are gone' {
        $c = New-RayCluster rm-wait -WorkerReplicas 2 -WorkerCpu 1 -WorkerMemory 1Gi
        if ($operatorAvailable) { $null = Wait-RayCluster $c.Name -TimeoutSec 60 }
        Remove-RayCluster rm-wait -Wait -TimeoutSec 60 -Confirm:$false
        { Get-RayCluster rm-wait -ErrorAction Stop } | Should -Throw -ErrorId 'RayClusterNotFound,*'
        Wait-RayCluster rm-wait -For Deleted -TimeoutSec 1 | Should -BeNullOrEmpty
    }
}
