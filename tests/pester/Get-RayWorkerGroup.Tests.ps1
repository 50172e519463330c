BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:sandbox = Start-TestSandbox

    $null = New-RayCluster wg-get -HeadCpu 1 -HeadMemory 1Gi -WorkerGroupName small -WorkerReplicas 1 -WorkerMaxReplicas 5 -WorkerCpu 1 -WorkerMemory 1Gi
    $null = Add-RayWorkerGroup wg-get npu -Replicas 2 -MinReplicas 1 -MaxReplicas 4 -Cpu 12 -Memory 40Gi `
        -Accelerator @{ 'huawei.com/Ascend910B' = 1; 'huawei.com/Ascend910B-memory' = 16384 } -RayResources @{ ascend = 20 }
    $null = New-RayWorkerDeployment wg-get npu-deploy -Profile Ascend910B -Cpu 12 -Memory 40Gi -Replicas 2
}

AfterAll {
    Stop-TestSandbox $sandbox
}

Describe 'Get-RayWorkerGroup: both kinds of WorkerGroup' {
    It 'returns the RayCluster groups in spec order, then the Deployment groups, one shape for both' {
        $groups = @(Get-RayWorkerGroup -ClusterName wg-get)
        $groups.GroupName | Should -Be @('small', 'npu', 'npu-deploy')
        $groups.Kind | Should -Be @('RayCluster', 'RayCluster', 'Deployment')
        $groups | ForEach-Object { $_ | Should -BeOfType ([RayPS.RayWorkerGroup]) }
        $groups.ClusterName | Sort-Object -Unique | Should -Be 'wg-get'
        $groups.Namespace | Sort-Object -Unique | Should -Be 'default'

        $npu = $groups[1]
        $npu.Desired | Should -Be 2
        $npu.Min | Should -Be 1
        $npu.Max | Should -Be 4
        $npu.Cpu | Should -Be '12'
        $npu.Memory | Should -Be '40Gi'
        $npu.Accelerators['huawei.com/Ascend910B'] | Should -Be '1'
        $npu.RayResources['ascend'] | Should -Be 20
        $npu.RayResources['NPU'] | Should -Be 1
        $npu.Image | Should -Be 'rayproject/ray:2.46.0'
        $npu.Index | Should -Be 1
        $npu.AutoscalingEnabled | Should -BeFalse

        $deploy = $groups[2]
        $deploy.DeploymentName | Should -Be 'wg-get-npu-deploy'
        $deploy.Desired | Should -Be 2
        $deploy.Accelerators['huawei.com/Ascend910B'] | Should -Be '1'
        $deploy.RayResources['NPU'] | Should -Be 1
        $deploy.Image | Should -Be 'rayproject/ray:2.46.0'
    }

    It 'sends 3 requests: the RayCluster, its Deployments and its pods' {
        $null = Get-NewRequests
        $null = Get-RayWorkerGroup wg-get
        $requests = Get-NewRequests
        [int] ($requests | Measure-Object Count -Sum).Sum | Should -Be 3
        ($requests | Where-Object { $_.Verb -eq 'get' -and $_.Resource -eq 'rayclusters' }).Count | Should -Be 1
        ($requests | Where-Object { $_.Verb -eq 'list' -and $_.Resource -eq 'deployments' }).Count | Should -Be 1
        ($requests | Where-Object { $_.Verb -eq 'list' -and $_.Resource -eq 'pods' }).Count | Should -Be 1
    }

    It 'takes the cluster from Get-RayCluster on the pipeline' {
        @(Get-RayCluster wg-get | Get-RayWorkerGroup).Count | Should -Be 3
    }

    It 'filters by name with wildcards' {
        @(Get-RayWorkerGroup wg-get npu*).GroupName | Should -Be @('npu', 'npu-deploy')
        @(Get-RayWorkerGroup wg-get -GroupName small).GroupName | Should -Be @('small')
    }

    It 'reports a missing group as WorkerGroupNotFound listing the groups of both kinds, and goes on' {
        $found = @(Get-RayWorkerGroup wg-get -Name nope, small -ErrorVariable errs -ErrorAction SilentlyContinue)
        $found.GroupName | Should -Be @('small')
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'WorkerGroupNotFound,*'
        $errs[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $errs[0].Exception.Message | Should -Match 'small \(RayCluster\), npu \(RayCluster\), npu-deploy \(Deployment wg-get-npu-deploy\)'
    }

    It 'is RayClusterNotFound for an unknown cluster' {
        { Get-RayWorkerGroup no-such-cluster -ErrorAction Stop } | Should -Throw -ErrorId 'RayClusterNotFound,*'
    }

    It 'warns, not fails, for a cluster that has only Deployment groups' {
        $null = New-RayWorkerDeployment ghost workers -Image rayproject/ray:2.46.0 -Force -WarningAction SilentlyContinue
        $groups = @(Get-RayWorkerGroup ghost -WarningVariable warnings -WarningAction SilentlyContinue)
        $groups.GroupName | Should -Be @('workers')
        $groups.Kind | Should -Be @('Deployment')
        "$warnings" | Should -Match "No RayCluster 'ghost'"
    }

    It 'shows a table with kind, counts, bounds and resources' {
        $table = Get-RayWorkerGroup wg-get | Format-Table | Out-String -Width 250
        $table | Should -Match 'Name\s+ClusterName\s+Kind\s+Desired\s+Ready\s+Min\s+Max\s+Cpu\s+Memory\s+Gpu'
        $table | Should -Match 'npu-deploy\s+wg-get\s+Deployment\s+2\s+\d+\s+-\s+-\s+12\s+40Gi'
        Get-RayWorkerGroup wg-get npu-deploy | Format-List | Out-String -Width 250 | Should -Match 'AcceleratorText\s+: huawei.com/Ascend910B=1'
    }

    It 'completes group names for the cluster given' {
        $line = 'Get-RayWorkerGroup -ClusterName wg-get -Name np'
        $result = TabExpansion2 -inputScript $line -cursorColumn $line.Length
        $result.CompletionMatches.CompletionText | Should -Be @('npu', 'npu-deploy')
    }
}
