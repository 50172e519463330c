BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:sandbox = Start-TestSandbox

    $null = New-RayCluster wg-add -HeadCpu 1 -HeadMemory 1Gi -Image rayproject/ray:2.46.0-py311 -WorkerGroupName small -WorkerReplicas 0 -WorkerCpu 1 -WorkerMemory 1Gi
}

AfterAll {
    Stop-TestSandbox $sandbox
}

Describe 'Add-RayWorkerGroup: adding a WorkerGroup to a RayCluster' {
    It 'appends the group with the worker resources, the head image and one patch' {
        $null = Get-NewRequests
        $g = Add-RayWorkerGroup -ClusterName wg-add -GroupName npu -Replicas 2 -MinReplicas 1 -MaxReplicas 4 -Cpu 12 -Memory 40Gi `
            -Accelerator @{ 'huawei.com/Ascend910B' = 1; 'huawei.com/Ascend910B-memory' = 16384 } -RayResources @{ ascend = 20 } `
            -RayStartParams @{ 'object-store-memory' = '1000000000' } -NodeSelector @{ pool = 'npu' }
        $requests = Get-NewRequests
        ($requests | Where-Object Verb -EQ 'patch').Count | Should -Be 1
        ($requests | Where-Object { $_.Verb -eq 'patch' -and $_.Resource -eq 'rayclusters' }).Count | Should -Be 1
        ($requests | Where-Object Verb -In 'update', 'create').Count | Should -Be 0

        $g | Should -BeOfType ([RayPS.RayWorkerGroup])
        ($g.GroupName, $g.Kind, $g.Index, $g.Replicas, $g.Min, $g.Max) | Should -Be @('npu', 'RayCluster', 1, 2, 1, 4)
        $g.Image | Should -Be 'rayproject/ray:2.46.0-py311'
        $g.RayStartParams['resources'] | Should -BeExactly '''{"NPU":1,"ascend":20}'''
        $g.RayStartParams['object-store-memory'] | Should -Be '1000000000'

        $cluster = Get-RayCluster wg-add
        $cluster.WorkerGroups.GroupName | Should -Be @('small', 'npu')
        $cluster.WorkerGroups[1].Limits['huawei.com/Ascend910B-memory'] | Should -Be '16384'
        $raw = $cluster.ToJson() | ConvertFrom-Json
        $raw.spec.workerGroupSpecs[1].template.spec.nodeSelector.pool | Should -Be 'npu'
        $raw.spec.workerGroupSpecs[1].template.spec.containers[0].resources.requests.cpu | Should -Be '12'
    }

    It 'sends 3 requests: GET the RayCluster, LIST its Deployments (the name check), and one patch' {
        $null = Get-NewRequests
        $null = Add-RayWorkerGroup wg-add counted -Replicas 0 -Cpu 1 -Memory 1Gi
        $requests = Get-NewRequests
        [int] ($requests | Measure-Object Count -Sum).Sum | Should -Be 3
        ($requests | Where-Object { $_.Verb -eq 'get' -and $_.Resource -eq 'rayclusters' }).Count | Should -Be 1
        ($requests | Where-Object { $_.Verb -eq 'list' -and $_.Resource -eq 'deployments' }).Count | Should -Be 1
        ($requests | Where-Object { $_.Verb -eq 'patch' -and $_.Resource -eq 'rayclusters' }).Count | Should -Be 1
    }

    It 'takes the cluster from the pipeline and uses an explicit image' {
        $g = Get-RayCluster wg-add | Add-RayWorkerGroup -GroupName gpu -Gpu 1 -Image rayproject/ray:2.46.0-gpu
        $g.Gpu | Should -Be '1'
        $g.Image | Should -Be 'rayproject/ray:2.46.0-gpu'
    }

    It 'is WorkerGroupExists for a name the RayCluster already uses' {
        $err = $null
        try { Add-RayWorkerGroup wg-add npu -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'WorkerGroupExists,RayPS.Commands.AddRayWorkerGroupCommand'
        $err.CategoryInfo.Category | Should -Be 'ResourceExists'
        $err.Exception.Message | Should -Match 'npu \(RayCluster\)'
    }

    It 'is WorkerGroupExists for a name a Deployment group of the cluster uses' {
        $null = New-RayWorkerDeployment wg-add npu-deploy -Cpu 1 -Memory 1Gi
        $err = $null
        try { Add-RayWorkerGroup wg-add npu-deploy -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'WorkerGroupExists,*'
        $err.Exception.Message | Should -Match 'Deployment wg-add-npu-deploy'
        (Get-RayCluster wg-add).WorkerGroups.GroupName | Should -Not -Contain 'npu-deploy'
    }

    It 'is RayClusterNotFound for a missing cluster' {
        { Add-RayWorkerGroup no-such-cluster g -ErrorAction Stop } | Should -Throw -ErrorId 'RayClusterNotFound,*'
    }

    It 'checks every input before sending anything' -TestCases @(
        @{ Arguments = @{ Replicas = 5; MaxReplicas = 3 }; ErrorId = 'ReplicasOutOfRange' }
        @{ Arguments = @{ Cpu = '12 cores' }; ErrorId = 'InvalidQuantity' }
        @{ Arguments = @{ Memory = '40GB' }; ErrorId = 'InvalidQuantity' }
        @{ Arguments = @{ Accelerator = @{ 'huawei.com/Ascend910B' = '0.5' } }; ErrorId = 'InvalidQuantity' }
        @{ Arguments = @{ RayResources = @{ CPU = 4 } }; ErrorId = 'InvalidRayResource' }
        @{ Arguments = @{ RayResources = @{ ascend = 'lots' } }; ErrorId = 'InvalidRayResource' }
        @{ Arguments = @{ GroupName = 'bad name!' }; ErrorId = 'InvalidWorkerGroupName' }
    ) {
        param($Arguments, $ErrorId)
        $splat = @{ ClusterName = 'no-such-cluster'; GroupName = 'checked' }
        foreach ($k in $Arguments.Keys) { $splat[$k] = $Arguments[$k] }
        $null = Get-NewRequests
        { Add-RayWorkerGroup @splat -ErrorAction Stop } | Should -Throw -ErrorId "$ErrorId,*"
        Get-NewRequestTotal | Should -Be 0
    }

    It 'sends nothing with -WhatIf' {
        $null = Get-NewRequests
        Add-RayWorkerGroup wg-add preview -WhatIf
        Get-NewRequestTotal | Should -Be 0
        (Get-RayCluster wg-add).WorkerGroups.GroupName | Should -Not -Contain 'preview'
    }

    It 'adds exactly one of two concurrent adds of the same name, and the other is WorkerGroupExists' {
        $modulePath = Get-RayPSModulePath
        $kubeConfig = $sandbox.KubeConfigPath
        $startAt = (Get-Date).AddSeconds(3)
        $results = 1..4 | ForEach-Object -ThrottleLimit 4 -Parallel {
            Import-Module $using:modulePath
            while ((Get-Date) -lt $using:startAt) { Start-Sleep -Milliseconds 5 }
            try { $null = Add-RayWorkerGroup wg-add racer -Replicas 0 -KubeConfig $using:kubeConfig -ErrorAction Stop; 'added' }
            catch { $_.FullyQualifiedErrorId.Split(',')[0] }
        }
        @($results | Where-Object { $_ -eq 'added' }).Count | Should -Be 1
        @($results | Where-Object { $_ -eq 'WorkerGroupExists' }).Count | Should -Be 3
        @((Get-RayCluster wg-add).WorkerGroups | Where-Object GroupName -EQ 'racer').Count | Should -Be 1
    }
}

# A JSON patch `test` is compared by the API server as Go-encoded text (golden 83-86): a cluster whose spec holds every
# character that .NET's default encoder and Go's escape differently must still take groups and scales, each exactly once.
Describe 'Add-RayWorkerGroup and Set-RayWorkerReplicas on a cluster whose spec holds characters .NET and Go escape differently' {
    BeforeAll {
        $script:tricky = "it's ""quoted"" a&b<c> é中文 `u{2028}`u{2029} tab`t +`` \ `u{1F600}"
        $manifest = [ordered]@{
            apiVersion = 'ray.io/v1'; kind = 'RayCluster'
            metadata   = [ordered]@{ name = 'wg-esc'; annotations = @{ note = $tricky } }
            spec       = [ordered]@{
                rayVersion       = '2.46.0'
                headGroupSpec    = @{ rayStartParams = @{}; template = @{ spec = @{ containers = @(@{ name = 'ray-head'; image = 'rayproject/ray:2.46.0'
                                    resources = @{ limits = @{ cpu = '1'; memory = '1Gi' }; requests = @{ cpu = '1'; memory = '1Gi' } } }) } } }
                workerGroupSpecs = @(
                    [ordered]@{ groupName = 'npu'; replicas = 1; minReplicas = 0; maxReplicas = 8
                        rayStartParams = @{ resources = '''{"ascend":20}''' }
                        template = @{ spec = @{ containers = @(@{ name = 'ray-worker'; image = 'rayproject/ray:2.46.0'
                            env = @(@{ name = 'NOTE'; value = $tricky })
                            resources = @{ limits = @{ cpu = '1'; memory = '1Gi' }; requests = @{ cpu = '1'; memory = '1Gi' } } }) } } })
            }
        }
        $path = Join-Path $TestDrive 'wg-esc.json'
        $manifest | ConvertTo-Json -Depth 20 | Set-Content -LiteralPath $path -Encoding utf8
        $null = New-RayCluster -Path $path
        function Get-NoteEnv { ((Get-RayCluster wg-esc).ToJson() | ConvertFrom-Json).spec.workerGroupSpecs[0].template.spec.containers[0].env[0].value }
    }

    It 'stores the tricky strings as given' {
        Get-NoteEnv | Should -BeExactly $tricky
        (Get-RayCluster wg-esc).WorkerGroups[0].RayStartParams['resources'] | Should -BeExactly '''{"ascend":20}'''
    }

    It 'adds two groups one after the other, each with one patch' {
        $null = Get-NewRequests
        $null = Add-RayWorkerGroup wg-esc first -Replicas 0 -Cpu 1 -Memory 1Gi
        $null = Add-RayWorkerGroup wg-esc second -Replicas 0 -Cpu 1 -Memory 1Gi -RayResources @{ ascend = 1 }
        (Get-NewRequests | Where-Object { $_.Verb -eq 'patch' -and $_.Resource -eq 'rayclusters' } | Measure-Object Count -Sum).Sum | Should -Be 2
        (Get-RayCluster wg-esc).WorkerGroups.GroupName | Should -Be @('npu', 'first', 'second')
        Get-NoteEnv | Should -BeExactly $tricky
    }

    It 'lands two concurrent adds of different names once each, and one of two concurrent adds of the same name' {
        $modulePath = Get-RayPSModulePath
        $kubeConfig = $sandbox.KubeConfigPath
        $startAt = (Get-Date).AddSeconds(3)
        $results = 'left', 'right', 'same', 'same' | ForEach-Object -ThrottleLimit 4 -Parallel {
            Import-Module $using:modulePath
            while ((Get-Date) -lt $using:startAt) { Start-Sleep -Milliseconds 5 }
            try { $null = Add-RayWorkerGroup wg-esc $_ -Replicas 0 -KubeConfig $using:kubeConfig -ErrorAction Stop; "added $_" }
            catch { $_.FullyQualifiedErrorId.Split(',')[0] }
        }
        $results | Should -Contain 'added left'
        $results | Should -Contain 'added right'
        @($results | Where-Object { $_ -eq 'added same' }).Count | Should -Be 1
        @($results | Where-Object { $_ -eq 'WorkerGroupExists' }).Count | Should -Be 1
        $names = (Get-RayCluster wg-esc).WorkerGroups.GroupName
        $names.Count | Should -Be 6
        @($names | Sort-Object -Unique).Count | Should -Be 6
        Get-NoteEnv | Should -BeExactly $tricky
    }

    It 'scales the group whose strings need escaping with one patch' {
        $null = Get-NewRequests
        $g = Set-RayWorkerReplicas wg-esc npu -Replicas 3 -PassThru
        $g.Replicas | Should -Be 3
        (Get-NewRequests | Where-Object { $_.Verb -eq 'patch' } | Measure-Object Count -Sum).Sum | Should -Be 1
        (Get-RayWorkerGroup wg-esc -Name npu).Replicas | Should -Be 3
        Get-NoteEnv | Should -BeExactly $tricky
        (Get-RayCluster wg-esc).WorkerGroups[0].RayStartParams['resources'] | Should -BeExactly '''{"ascend":20}'''
    }
}
