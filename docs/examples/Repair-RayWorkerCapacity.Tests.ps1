# Pester tests of the example runbook, run offline against a RayPS sandbox. Copy this pattern for your own runbooks:
# start a sandbox in BeforeAll, point $env:KUBECONFIG at it, build the cluster the runbook expects, inject faults, assert.
BeforeAll {
    # In your own tests: Import-Module RayPS. (The repository's test run points RAYPS_MODULE_PATH at the module it built.)
    Import-Module ($env:RAYPS_MODULE_PATH ? $env:RAYPS_MODULE_PATH : 'RayPS') -Global
    $script:runbook = Join-Path $PSScriptRoot 'Repair-RayWorkerCapacity.ps1'
    $script:sandbox = Start-RaySandbox
    $script:previousKubeConfig = $env:KUBECONFIG
    $env:KUBECONFIG = $sandbox.KubeConfigPath

    $null = New-RayCluster -Name batch -WorkerGroupName cpu -WorkerReplicas 3 -WorkerMaxReplicas 4 -WorkerCpu 1 -WorkerMemory 2Gi -Wait -TimeoutSec 120
    # The reference guide's second pattern: a worker group run as a plain Deployment.
    $null = New-RayWorkerDeployment -ClusterName batch -GroupName npu -Replicas 2 -Cpu 1 -Memory 2Gi -Wait -TimeoutSec 120
}

AfterAll {
    $sandbox | Stop-RaySandbox
    $env:KUBECONFIG = $previousKubeConfig
}

Describe 'Repair-RayWorkerCapacity' {
    It 'changes nothing while every worker is healthy' {
        $report = & $runbook -ClusterName batch -GroupName cpu
        $report.UnhealthyWorkers | Should -BeNullOrEmpty
        $report.ReplicasAfter | Should -Be 3
    }

    It 'adds a replica for a worker whose raylet fails, past the group''s maxReplicas' {
        $victim = Get-RayNodeHealth batch | Where-Object Group -EQ cpu | Select-Object -First 1
        $victim | Set-RaySandboxPodFault -RayletHealthy $false

        $report = & $runbook -ClusterName batch -GroupName cpu
        $report.UnhealthyWorkers | Should -Be @($victim.PodName)
        $report.Reasons[0] | Should -BeLike "$($victim.PodName): *raylet*"
        $report.ReplicasAfter | Should -Be 4
        (Get-RayWorkerGroup batch -Name cpu).Replicas | Should -Be 4

        $victim | Set-RaySandboxPodFault -Clear
    }

    It 'treats a Deployment worker group the same way' {
        Get-RayNodeHealth batch | Where-Object Group -EQ npu | Select-Object -First 1 | Set-RaySandboxPodFault -RayNodeState DEAD

        $report = & $runbook -ClusterName batch -GroupName npu
        $report.Kind | Should -Be 'Deployment'
        $report.UnhealthyWorkers.Count | Should -Be 1
        $report.ReplicasAfter | Should -Be 3
        (Get-RayWorkerGroup batch -Name npu).Replicas | Should -Be 3
    }

    It 'changes nothing under -WhatIf' {
        Get-RayNodeHealth batch | Where-Object Group -EQ cpu | Select-Object -First 1 | Set-RaySandboxPodFault -RayletHealthy $false
        $before = (Get-RayWorkerGroup batch -Name cpu).Replicas
        $report = & $runbook -ClusterName batch -GroupName cpu -WhatIf
        $report.ReplicasAfter | Should -Be $before
        (Get-RayWorkerGroup batch -Name cpu).Replicas | Should -Be $before
    }

    It 'fails with the module''s error when the cluster does not exist' {
        { & $runbook -ClusterName nope -GroupName cpu } | Should -Throw -ErrorId 'RayClusterNotFound,*'
    }
}
