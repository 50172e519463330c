BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:sandbox = Start-TestSandbox
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

    It 'sends one DELETE of the cluster and one of its Deployment worker groups, and nothing else' {
        $null = New-RayCluster rm-count
        $null = Get-RaySandbox -InputObject $sandbox -RequestCount -Reset
        Remove-RayCluster rm-count -Confirm:$false
        $requests = @(Get-RaySandbox -InputObject $sandbox -RequestCount -Reset)
        [int] ($requests | Measure-Object Count -Sum).Sum | Should -Be 2
        "$($requests | Sort-Object Resource | ForEach-Object { "$($_.Verb) $($_.Resource) $($_.Count)" })" | Should -Be 'deletecollection deployments 1 delete rayclusters 1'
    }

    It '-KeepDeployments sends one DELETE per cluster and nothing else' {
        $null = New-RayCluster rm-count-keep
        $null = Get-RaySandbox -InputObject $sandbox -RequestCount -Reset
        Remove-RayCluster rm-count-keep -KeepDeployments -Confirm:$false
        $requests = @(Get-RaySandbox -InputObject $sandbox -RequestCount -Reset)
        [int] ($requests | Measure-Object Count -Sum).Sum | Should -Be 1
        ($requests.Verb, $requests.Resource) | Should -Be @('delete', 'rayclusters')
    }

    It 'removes the cluster''s Deployment worker groups with it, and -Wait waits for their pods too' {
        $null = New-RayCluster rm-deps -HeadCpu 1 -HeadMemory 1Gi -WorkerReplicas 0
        $null = New-RayWorkerDeployment rm-deps dep -Replicas 2 -Cpu 1 -Memory 1Gi
        $null = New-RayCluster rm-other -HeadCpu 1 -HeadMemory 1Gi -WorkerReplicas 0
        $null = New-RayWorkerDeployment rm-other dep -Replicas 1 -Cpu 1 -Memory 1Gi
        $whatIf = Invoke-FreshPwsh @"
`$env:KUBECONFIG = '$($sandbox.KubeConfigPath)'
Import-Module '$(Get-RayPSModulePath)'
Remove-RayCluster rm-deps -WhatIf
Remove-RayCluster rm-deps -KeepDeployments -WhatIf
"@
        ($whatIf -join ' ') | Should -BeLike "*RayCluster 'rm-deps'*and its Deployment worker groups (Deployments labelled ray.io/cluster=rm-deps,ray.io/group,ray.io/node-type!=head)*"
        ($whatIf -join ' ') | Should -BeLike '*keeping its Deployment worker groups*'
        Remove-RayCluster rm-deps -Confirm:$false -Wait -TimeoutSec 60
        @(Get-RayWorkerGroup rm-other | Where-Object Kind -eq 'Deployment') | Should -HaveCount 1
        Remove-RayCluster rm-other -Confirm:$false
        # With neither the cluster nor a Deployment group left, there is nothing to list (a group left would be shown with a warning).
        { Get-RayWorkerGroup -ClusterName rm-other } | Should -Throw -ErrorId 'RayClusterNotFound,*'
    }

    It '-KeepDeployments leaves the Deployment worker groups running' {
        $null = New-RayCluster rm-keep -HeadCpu 1 -HeadMemory 1Gi -WorkerReplicas 0
        $null = New-RayWorkerDeployment rm-keep dep -Replicas 1 -Cpu 1 -Memory 1Gi
        Remove-RayCluster rm-keep -KeepDeployments -Confirm:$false
        @(Get-RayWorkerGroup rm-keep -ErrorAction SilentlyContinue | Where-Object Kind -eq 'Deployment') | Should -HaveCount 1
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
        [int] ($requests | Measure-Object Count -Sum).Sum | Should -Be 3
        ($requests | Where-Object { $_.Verb -eq 'deletecollection' -and $_.Resource -eq 'deployments' }).Count | Should -Be 1
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
        $null = Wait-RayCluster $c.Name -TimeoutSec 60
        Remove-RayCluster rm-wait -Wait -TimeoutSec 60 -Confirm:$false
        { Get-RayCluster rm-wait -ErrorAction Stop } | Should -Throw -ErrorId 'RayClusterNotFound,*'
        Wait-RayCluster rm-wait -For Deleted -TimeoutSec 1 | Should -BeNullOrEmpty
    }
}
