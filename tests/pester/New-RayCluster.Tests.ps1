BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:sandbox = Start-TestSandbox

    # How many of these requests match a verb and a resource ('*' for any).
    function script:Measure-Requests([object[]] $Requests, [string] $Verb = '*', [string] $Resource = '*') {
        $total = 0
        foreach ($r in $Requests | Where-Object { $_.Verb -like $Verb -and $_.Resource -like $Resource }) { $total += $r.Count }
        $total
    }

    # The simulated KubeRay operator turns RayClusters into ready pods; until it exists only the timeout path can run.
}

AfterAll {
    Stop-TestSandbox $sandbox
}

Describe 'New-RayCluster from parameters' {
    It 'creates the seed''s NPU cluster with requests = limits and the quoted Ray resources' {
        $c = New-RayCluster npu-params -Namespace kube-system -HeadCpu 4 -HeadMemory 8Gi -WorkerReplicas 2 -WorkerCpu 12 -WorkerMemory 40Gi `
            -WorkerAccelerator @{ 'huawei.com/Ascend910B' = 1; 'huawei.com/Ascend910B-memory' = 16384 } -WorkerRayResources @{ ascend = 20 }

        $c | Should -BeOfType ([RayPS.RayCluster])
        $c.Name | Should -Be 'npu-params'
        $c.Namespace | Should -Be 'kube-system'
        $c.RayVersion | Should -Be '2.46.0'
        $c.Image | Should -Be 'rayproject/ray:2.46.0'
        $c.HeadCpu | Should -Be '4'
        $group = $c.WorkerGroups[0]
        $group.GroupName | Should -Be 'workergroup'
        $group.Replicas | Should -Be 2
        $group.RayStartParams['resources'] | Should -BeExactly '''{"NPU":1,"ascend":20}'''
        $group.Limits['huawei.com/Ascend910B'] | Should -Be '1'
        $group.Limits['huawei.com/Ascend910B-memory'] | Should -Be '16384'
        $c.Labels['app.kubernetes.io/managed-by'] | Should -Be 'rayps'
        (Get-RayCluster npu-params -Namespace kube-system).Uid | Should -Be $c.Uid
    }

    It 'sends exactly one create' {
        $null = Get-NewRequests
        $null = New-RayCluster one-request -WorkerReplicas 0
        $requests = Get-NewRequests
        Measure-Requests $requests | Should -Be 1
        $requests[0].Verb | Should -Be 'create'
    }

    It 'applies labels, annotations, pod annotations, node selector, service type and autoscaling' {
        $c = New-RayCluster full-params -Label @{ env = 'test' } -Annotation @{ owner = 'ops' } -PodAnnotation @{ 'prometheus.io/scrape' = 'true' } `
            -NodeSelector @{ pool = 'ray' } -ServiceType NodePort -EnableAutoscaling -IdleTimeoutSec 120 -WorkerMinReplicas 1 -WorkerMaxReplicas 4 -WorkerGpu 1
        $c.Labels['env'] | Should -Be 'test'
        $c.AutoscalingEnabled | Should -BeTrue
        $c.WorkerGroups[0].MinReplicas | Should -Be 1
        $c.WorkerGroups[0].MaxReplicas | Should -Be 4
        $c.WorkerGroups[0].Limits['nvidia.com/gpu'] | Should -Be '1'
        $c.WorkerGroups[0].RayStartParams.ContainsKey('resources') | Should -BeFalse
        $yaml = Export-RayCluster full-params
        $yaml | Should -Match 'serviceType: NodePort'
        $yaml | Should -Match 'idleTimeoutSeconds: 120'
        $yaml | Should -Match 'owner: ops'
        $yaml | Should -Match "prometheus.io/scrape: 'true'"
        $yaml | Should -Match 'pool: ray'
    }
}

Describe 'New-RayCluster validation sends nothing' {
    It '<Case> is <ErrorId>' -ForEach @(
        @{ Case = 'a name with _'; ErrorId = 'InvalidClusterName'; Run = { New-RayCluster Bad_Name } }
        @{ Case = 'a 54-character name'; ErrorId = 'InvalidClusterName'; Run = { New-RayCluster ('a' * 54) } }
        @{ Case = 'memory 40GB'; ErrorId = 'InvalidQuantity'; Run = { New-RayCluster q1 -WorkerMemory 40GB } }
        @{ Case = 'cpu -1'; ErrorId = 'InvalidQuantity'; Run = { New-RayCluster q2 -HeadCpu '-1' } }
        @{ Case = 'cpu abc'; ErrorId = 'InvalidQuantity'; Run = { New-RayCluster q3 -WorkerCpu abc } }
        @{ Case = 'a fractional accelerator'; ErrorId = 'InvalidQuantity'; Run = { New-RayCluster q4 -WorkerAccelerator @{ 'huawei.com/Ascend910B' = 0.5 } } }
        @{ Case = 'replicas above max'; ErrorId = 'ReplicasOutOfRange'; Run = { New-RayCluster r1 -WorkerReplicas 5 -WorkerMaxReplicas 3 } }
        @{ Case = 'negative replicas'; ErrorId = 'ReplicasOutOfRange'; Run = { New-RayCluster r2 -WorkerReplicas -1 } }
        @{ Case = 'min above max'; ErrorId = 'ReplicasOutOfRange'; Run = { New-RayCluster r3 -WorkerMinReplicas 4 -WorkerMaxReplicas 2 -WorkerReplicas 3 } }
        @{ Case = 'a non-numeric Ray resource'; ErrorId = 'InvalidRayResource'; Run = { New-RayCluster rr -WorkerRayResources @{ ascend = 'many' } } }
        @{ Case = 'CPU as a Ray resource'; ErrorId = 'InvalidRayResource'; Run = { New-RayCluster rc -WorkerRayResources @{ CPU = 4 } } }
    ) {
        $null = Get-NewRequests
        $err = $null
        try { & $Run } catch { $err = $_ }
        $err | Should -Not -BeNullOrEmpty
        $err.FullyQualifiedErrorId | Should -BeLike "$ErrorId,*"
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        Measure-Requests (Get-NewRequests) | Should -Be 0
    }

    It 'Should -Throw -ErrorId works for ReplicasOutOfRange' {
        { New-RayCluster r4 -WorkerReplicas 5 -WorkerMaxReplicas 3 } | Should -Throw -ErrorId 'ReplicasOutOfRange,*'
    }

    It 'a manifest with two groups of one name is DuplicateWorkerGroup' {
        $yaml = New-RayCluster dup -ManifestOnly
        $doc = $yaml -replace '(?s)(  workerGroupSpecs:\n)(.*)$', '$1$2$2'
        $path = Join-Path $TestDrive 'dup.yaml'
        Set-Content $path $doc
        $null = Get-NewRequests
        { New-RayCluster -Path $path } | Should -Throw -ErrorId 'DuplicateWorkerGroup,*'
        Measure-Requests (Get-NewRequests) | Should -Be 0
    }

    It 'a YAML syntax error is InvalidYaml with the line and column' {
        $path = Join-Path $TestDrive 'bad.yaml'
        Set-Content $path "apiVersion: ray.io/v1`nkind: RayCluster`nmetadata:`n  name: [x`n"
        { New-RayCluster -Path $path } | Should -Throw -ErrorId 'InvalidYaml,*'
        try { New-RayCluster -Path $path } catch { $_.Exception.Message | Should -Match 'bad\.yaml: line 4, column 9: ' }
    }

    It 'another kind is InvalidManifestKind' {
        $path = Join-Path $TestDrive 'deploy.yaml'
        Set-Content $path "apiVersion: apps/v1`nkind: Deployment`nmetadata:`n  name: x`n"
        { New-RayCluster -Path $path } | Should -Throw -ErrorId 'InvalidManifestKind,*'
    }

    It 'values the chart cannot render are InvalidHelmValues' {
        $path = Join-Path $TestDrive 'bad-values.yaml'
        Set-Content $path "worker:`n  rayStartParams: [a]`n"
        { New-RayCluster -ValuesPath $path -ReleaseName r } | Should -Throw -ErrorId 'InvalidHelmValues,*'
    }

    It 'a missing file is FileNotFound' {
        { New-RayCluster -Path (Join-Path $TestDrive 'none.yaml') } | Should -Throw -ErrorId 'FileNotFound,*'
    }
}

Describe 'New-RayCluster -ValuesPath' {
    It 'renders the seed''s values as chart 1.4.2 names them: release ray-cluster gives ray-cluster-kuberay' {
        $c = New-RayCluster -ValuesPath (Join-Path $PSScriptRoot 'TestData/seed-values.yaml') -ReleaseName ray-cluster -Namespace kube-system
        $c.Name | Should -Be 'ray-cluster-kuberay'
        $c.HeadCpu | Should -Be '4'
        $c.WorkerGroups[0].Replicas | Should -Be 2
        $c.WorkerGroups[0].MinReplicas | Should -Be 1
        $c.WorkerGroups[0].MaxReplicas | Should -Be 3
        $c.WorkerGroups[0].Limits['huawei.com/Ascend910B'] | Should -Be '1'
        $c.Labels['app.kubernetes.io/instance'] | Should -Be 'ray-cluster'
    }

    It '-Name gives the name the seed''s kubectl commands use' {
        $c = New-RayCluster -ValuesPath (Join-Path $PSScriptRoot 'TestData/seed-values.yaml') -ReleaseName ray-cluster -Name ray-cluster -Namespace kube-system
        $c.Name | Should -Be 'ray-cluster'
        Get-RayCluster ray-cluster -Namespace kube-system | Should -Not -BeNullOrEmpty
    }

    It 'sends exactly one create' {
        $null = Get-NewRequests
        $null = New-RayCluster -ValuesPath (Join-Path $PSScriptRoot 'TestData/seed-values.yaml') -ReleaseName values-one-request
        $requests = Get-NewRequests
        Measure-Requests $requests | Should -Be 1
        Measure-Requests $requests -Verb create -Resource rayclusters | Should -Be 1
    }

    It 'warns about unknown keys with their path' {
        $path = Join-Path $TestDrive 'typo.yaml'
        Set-Content $path "worker:`n  replica: 3`n"
        $out = New-RayCluster -ValuesPath $path -ReleaseName typo -ManifestOnly -WarningVariable warnings -WarningAction SilentlyContinue
        $out | Should -Match 'name: typo-kuberay'
        $warnings | Should -HaveCount 1
        "$warnings" | Should -Match "unknown key 'worker.replica'"
    }
}

Describe 'New-RayCluster -Path, -ManifestOnly, -DryRun and -WhatIf' {
    It '-ManifestOnly contacts nothing, needs no kubeconfig, and its YAML creates the same cluster' {
        $env:KUBECONFIG = Join-Path $TestDrive 'no-such-kubeconfig'
        try {
            $yaml = New-RayCluster from-yaml -WorkerAccelerator @{ 'huawei.com/Ascend910B' = 2 } -ManifestOnly
        }
        finally {
            $env:KUBECONFIG = $sandbox.KubeConfigPath
        }
        $yaml | Should -BeOfType ([string])
        $yaml | Should -Match '(?m)^kind: RayCluster$'
        $yaml | Should -Not -Match 'namespace:'
        $path = Join-Path $TestDrive 'from-yaml.yaml'
        Set-Content $path $yaml
        $c = New-RayCluster -Path $path -Namespace kube-system
        $c.Namespace | Should -Be 'kube-system'
        $c.WorkerGroups[0].RayStartParams['resources'] | Should -BeExactly '''{"NPU":2}'''
    }

    It 'creates every cluster of a multi-document file' {
        $path = Join-Path $TestDrive 'two.yaml'
        Set-Content $path ((New-RayCluster multi-a -ManifestOnly) + "---`n" + (New-RayCluster multi-b -ManifestOnly))
        $created = New-RayCluster -Path $path
        $created.Name | Should -Be @('multi-a', 'multi-b')
    }

    It '-Path sends one create per cluster in the file and nothing else' {
        $path = Join-Path $TestDrive 'count-two.yaml'
        Set-Content $path ((New-RayCluster count-a -ManifestOnly) + "---`n" + (New-RayCluster count-b -ManifestOnly))
        $null = Get-NewRequests
        $null = New-RayCluster -Path $path
        $requests = Get-NewRequests
        Measure-Requests $requests | Should -Be 2
        Measure-Requests $requests -Verb create -Resource rayclusters | Should -Be 2
    }

    It '-ManifestOnly sends nothing even with a reachable cluster' {
        $null = Get-NewRequests
        $null = New-RayCluster manifest-only-count -ManifestOnly
        Measure-Requests (Get-NewRequests) | Should -Be 0
    }

    It 'passes the server''s warnings on (unknown fields it drops)' {
        $path = Join-Path $TestDrive 'unknown-field.yaml'
        Set-Content $path ((New-RayCluster warned -ManifestOnly) -replace '(?m)^spec:$', "spec:`n  bogus: 1")
        $null = New-RayCluster -Path $path -WarningVariable warnings -WarningAction SilentlyContinue
        "$warnings" | Should -Match 'spec.bogus'
    }

    It '-DryRun returns the defaulted object and stores nothing' {
        $c = New-RayCluster dry-run -DryRun
        $c.Uid | Should -Not -BeNullOrEmpty
        $c.ResourceVersion | Should -BeNullOrEmpty
        { Get-RayCluster dry-run -ErrorAction Stop } | Should -Throw -ErrorId 'RayClusterNotFound,*'
    }

    It '-DryRun sends exactly one create' {
        $null = Get-NewRequests
        $null = New-RayCluster dry-run-count -DryRun
        $requests = Get-NewRequests
        Measure-Requests $requests | Should -Be 1
        Measure-Requests $requests -Verb create -Resource rayclusters | Should -Be 1
    }

    It '-WhatIf sends nothing' {
        $null = Get-NewRequests
        New-RayCluster what-if -WhatIf
        Measure-Requests (Get-NewRequests) -Verb create | Should -Be 0
        { Get-RayCluster what-if -ErrorAction Stop } | Should -Throw -ErrorId 'RayClusterNotFound,*'
    }
}

Describe 'New-RayCluster errors from the server' {
    It 'an existing cluster is RayClusterExists and points at Set-/Remove-' {
        $null = New-RayCluster exists-twice
        $err = $null
        try { New-RayCluster exists-twice } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'RayClusterExists,*'
        $err.Exception.Message | Should -Match 'Set-RayWorkerReplicas'
        $err.Exception.Message | Should -Match 'Remove-RayCluster'
    }

    It 'a missing namespace is NamespaceNotFound' {
        { New-RayCluster in-nowhere -Namespace no-such-ns } | Should -Throw -ErrorId 'NamespaceNotFound,*'
    }

    It 'a user without rights gets KubeApiForbidden naming the verb and the resource' {
        $err = $null
        try { New-RayCluster forbidden -Context rayps-sandbox-viewer } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'KubeApiForbidden,*'
        $err.CategoryInfo.Category | Should -Be 'PermissionDenied'
        $err.Exception.Message | Should -Match "not allowed to create rayclusters"
    }

    It 'a cluster without KubeRay is KubeRayCrdMissing and names Get-KubeRayOperator' {
        $bare = Start-RaySandbox -WithoutKubeRay
        try {
            $err = $null
            try { New-RayCluster no-crd -KubeConfig $bare.KubeConfigPath } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -BeLike 'KubeRayCrdMissing,*'
            $err.Exception.Message | Should -Match 'Get-KubeRayOperator'
        }
        finally {
            Stop-RaySandbox $bare
        }
    }
}

Describe 'New-RayCluster -Wait' {
    It 'times out with RayClusterNotReady, explains from the pods, and leaves the cluster' {
        $err = $null
        try { New-RayCluster wait-bad -Image rayproject/ray:does-not-exist -WorkerReplicas 1 -Wait -TimeoutSec 4 } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'RayClusterNotReady,*'
        $err.CategoryInfo.Category | Should -Be 'OperationTimeout'
        $err.Exception.Message | Should -Match 'ImagePullBackOff|ErrImagePull'
        $err.Exception.Message | Should -Match 'left in place'
        Get-RayCluster wait-bad | Should -Not -BeNullOrEmpty
    }

    It 'watches instead of polling' {
        $null = Get-NewRequests
        try { $null = New-RayCluster wait-watch -Wait -TimeoutSec 3 } catch { $_.FullyQualifiedErrorId | Should -BeLike 'RayClusterNotReady,*' }
        $requests = Get-NewRequests
        Measure-Requests $requests -Verb watch -Resource rayclusters | Should -BeGreaterOrEqual 1
        Measure-Requests $requests -Verb get -Resource rayclusters | Should -Be 0
    }

    It 'returns the cluster once it is ready' {
        $c = New-RayCluster wait-ready -WorkerReplicas 2 -WorkerCpu 1 -WorkerMemory 1Gi -Wait -TimeoutSec 60
        $c.State | Should -Be 'ready'
        $c.ReadyWorkers | Should -Be 2
    }

    It 'sends one create and one watch until the cluster is ready' {
        $null = Get-NewRequests
        $c = New-RayCluster wait-count -WorkerReplicas 1 -WorkerCpu 1 -WorkerMemory 1Gi -Wait -TimeoutSec 60
        $requests = Get-NewRequests
        $c.State | Should -Be 'ready'
        Measure-Requests $requests -Verb create -Resource rayclusters | Should -Be 1
        Measure-Requests $requests -Verb watch -Resource rayclusters | Should -Be 1
        Measure-Requests $requests | Should -Be 2
    }

    It 'survives the server dropping the watch' {
        Set-RaySandboxFault -Sandbox $sandbox -DropWatchAfterEvents 1 -Resource rayclusters
        try {
            $c = New-RayCluster wait-dropped -WorkerReplicas 1 -WorkerCpu 1 -WorkerMemory 1Gi -Wait -TimeoutSec 60
            $c.State | Should -Be 'ready'
        }
        finally {
            Set-RaySandboxFault -Sandbox $sandbox -Clear
        }
    }
}
