BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:sandbox = Start-TestSandbox

    function script:Get-Replicas([string] $Cluster, [string] $Group) { (Get-RayWorkerGroup $Cluster $Group).Replicas }

    # RayCluster groups rc-a and rc-b (bounds 0..$Max) and Deployment groups dep-a and dep-b.
    function script:New-FourGroupCluster([string] $Name, [int] $Max = 10) {
        $null = New-RayCluster $Name -HeadCpu 1 -HeadMemory 1Gi -WorkerGroupName rc-a -WorkerReplicas 1 -WorkerMinReplicas 0 -WorkerMaxReplicas $Max `
            -WorkerCpu 1 -WorkerMemory 1Gi
        $null = Add-RayWorkerGroup $Name rc-b -Replicas 1 -MinReplicas 0 -MaxReplicas $Max -Cpu 1 -Memory 1Gi
        $null = New-RayWorkerDeployment $Name dep-a -Cpu 1 -Memory 1Gi
        $null = New-RayWorkerDeployment $Name dep-b -Cpu 1 -Memory 1Gi
    }
    New-FourGroupCluster wg-set

    # The simulated KubeRay operator and kubelet turn groups into ready pods; until they exist only the spec can be checked.
}

AfterAll {
    Stop-TestSandbox $sandbox
}

Describe 'Set-RayWorkerReplicas: scaling a WorkerGroup of either kind' {
    It 'scales a RayCluster group with one GET and one JSON patch' {
        $null = Get-NewRequests
        Set-RayWorkerReplicas -ClusterName wg-set -GroupName rc-a -Replicas 3
        $requests = Get-NewRequests
        [int] ($requests | Measure-Object Count -Sum).Sum | Should -Be 2
        ($requests | Where-Object { $_.Verb -eq 'patch' -and $_.Resource -eq 'rayclusters' }).Count | Should -Be 1
        Get-Replicas wg-set rc-a | Should -Be 3
        Get-Replicas wg-set rc-b | Should -Be 1
    }

    It 'scales a Deployment group by name with a GET and one label-testing patch of its Deployment' {
        $null = Get-NewRequests
        $g = Set-RayWorkerReplicas wg-set dep-a 4 -PassThru
        $requests = Get-NewRequests
        "$($requests | Sort-Object Resource | ForEach-Object { "$($_.Verb) $($_.Resource) $($_.Count)" })" | Should -Be 'patch deployments 1 get rayclusters 1'
        $g.Kind | Should -Be 'Deployment'
        $g.Desired | Should -Be 4
        Get-Replicas wg-set dep-a | Should -Be 4
    }

    It 'finds a Deployment group with a name of its own through a LIST, and never scales a same-named Deployment of another group' {
        $null = New-RayCluster wg-named -HeadCpu 1 -HeadMemory 1Gi -WorkerReplicas 0
        $null = New-RayWorkerDeployment wg-named custom -Name wg-named-custom-workers -Cpu 1 -Memory 1Gi
        # A Deployment that carries the name the group would have by default, but is another group's.
        $null = New-RayWorkerDeployment wg-named decoy -Name wg-named-custom -Cpu 1 -Memory 1Gi
        $null = Get-NewRequests
        Set-RayWorkerReplicas wg-named custom 2
        $requests = Get-NewRequests
        "$($requests | Sort-Object Resource | ForEach-Object { "$($_.Verb) $($_.Resource) $($_.Count)" })" | Should -Be 'list deployments 1 patch deployments 1 patch deployments/scale 1 get rayclusters 1'
        Get-Replicas wg-named custom | Should -Be 2
        Get-Replicas wg-named decoy | Should -Be 1
    }

    It 'takes cluster, namespace, group and kind from Get-RayWorkerGroup and writes each with one PATCH' {
        $null = Get-RayWorkerGroup wg-set dep-b, rc-b | Set-RayWorkerReplicas -Replicas 2
        Get-Replicas wg-set dep-b | Should -Be 2
        Get-Replicas wg-set rc-b | Should -Be 2

        # Scaling up: nothing to choose, so one PATCH each (a scale-down also reads the group's pods and Ray's node summary).
        $groups = Get-RayWorkerGroup wg-set dep-b, rc-b
        $null = Get-NewRequests
        $groups | Set-RayWorkerReplicas -Replicas 3
        $requests = Get-NewRequests
        "$($requests | Sort-Object Resource | ForEach-Object { "$($_.Verb) $($_.Resource) $($_.Count)" })" | Should -Be 'patch deployments/scale 1 patch rayclusters 1'
        Get-Replicas wg-set dep-b | Should -Be 3
        Get-Replicas wg-set rc-b | Should -Be 3
        $null = Get-RayWorkerGroup wg-set dep-b, rc-b | Set-RayWorkerReplicas -Replicas 1
    }

    It 'reads a piped group again when the cluster changed after Get-RayWorkerGroup, never writing from the stale read' {
        $rcA = Get-Replicas wg-set rc-a
        $stale = Get-RayWorkerGroup wg-set rc-b
        Set-RayWorkerReplicas wg-set rc-a -Replicas ($rcA + 1)
        $null = Get-NewRequests
        $stale | Set-RayWorkerReplicas -Replicas 3
        $requests = Get-NewRequests
        # The first patch fails its generation test (422), the group is read again and the second patch applies.
        [int] ($requests | Where-Object Verb -EQ patch | Measure-Object Count -Sum).Sum | Should -Be 2
        [int] ($requests | Where-Object Verb -EQ get | Measure-Object Count -Sum).Sum | Should -Be 1
        Get-Replicas wg-set rc-b | Should -Be 3
        Get-Replicas wg-set rc-a | Should -Be ($rcA + 1)
        Set-RayWorkerReplicas wg-set rc-a -Replicas $rcA
    }

    It 'returns the group with -PassThru, Ready and Available included' {
        $g = Set-RayWorkerReplicas wg-set rc-b 2 -PassThru
        $g | Should -BeOfType ([RayPS.RayWorkerGroup])
        $g.Kind | Should -Be 'RayCluster'
        $g.Replicas | Should -Be 2
        $g.Ready | Should -BeGreaterOrEqual 0
        $g.ResourceVersion | Should -Not -BeNullOrEmpty
    }

    It 'refuses replicas outside the bounds with ReplicasOutOfRange naming them, and changes nothing' {
        $err = $null
        try { Set-RayWorkerReplicas wg-set rc-a 11 -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'ReplicasOutOfRange,RayPS.Commands.SetRayWorkerReplicasCommand'
        $err.Exception.Message | Should -Match 'minReplicas 0, maxReplicas 10'
        $err.Exception.Message | Should -Match '-AdjustBounds'
        Get-Replicas wg-set rc-a | Should -Be 3
    }

    It 'moves the bound in the same patch with -AdjustBounds' {
        $null = Get-NewRequests
        $g = Set-RayWorkerReplicas wg-set rc-a 12 -AdjustBounds -PassThru
        ($g.Replicas, $g.Max) | Should -Be @(12, 12)
        (Get-NewRequests | Where-Object Verb -EQ 'patch').Count | Should -Be 1
        $null = Set-RayWorkerReplicas wg-set rc-a 3
    }

    It 'moves the bound with -AdjustBounds in 2 requests: one GET and one patch' {
        $above = (Get-RayWorkerGroup wg-set rc-a).Max + 1
        $null = Get-NewRequests
        Set-RayWorkerReplicas wg-set rc-a $above -AdjustBounds
        $requests = Get-NewRequests
        [int] ($requests | Measure-Object Count -Sum).Sum | Should -Be 2
        ($requests | Where-Object { $_.Verb -eq 'get' -and $_.Resource -eq 'rayclusters' }).Count | Should -Be 1
        ($requests | Where-Object { $_.Verb -eq 'patch' -and $_.Resource -eq 'rayclusters' }).Count | Should -Be 1
        (Get-RayWorkerGroup wg-set rc-a).Max | Should -Be $above
        $null = Set-RayWorkerReplicas wg-set rc-a 3
    }

    It 'is WorkerGroupNotFound for an unknown group, listing the groups of both kinds' {
        $err = $null
        try { Set-RayWorkerReplicas wg-set nope 1 -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'WorkerGroupNotFound,*'
        $err.Exception.Message | Should -Match 'rc-a \(RayCluster\), rc-b \(RayCluster\), (broken \(Deployment wg-set-broken\), )?dep-a \(Deployment wg-set-dep-a\), dep-b \(Deployment wg-set-dep-b\)'
    }

    It 'is RayClusterNotFound for an unknown cluster' {
        { Set-RayWorkerReplicas no-such-cluster rc-a 1 -ErrorAction Stop } | Should -Throw -ErrorId 'RayClusterNotFound,*'
    }

    It 'changes nothing with -WhatIf' {
        $null = Get-NewRequests
        Set-RayWorkerReplicas wg-set rc-a 7 -WhatIf
        Get-NewRequestTotal | Should -Be 0
        Get-Replicas wg-set rc-a | Should -Be 3
    }

    It 'waits with -Wait until the group has exactly the desired ready pods' {
        foreach ($group in 'rc-b', 'dep-b') {
            $g = Set-RayWorkerReplicas wg-set $group 3 -Wait -TimeoutSec 60 -PassThru
            ($g.Desired, $g.Current, $g.Ready) | Should -Be @(3, 3, 3)
            $g = Set-RayWorkerReplicas wg-set $group 1 -Wait -TimeoutSec 60 -PassThru
            ($g.Desired, $g.Current, $g.Ready) | Should -Be @(1, 1, 1)
        }
    }

    It 'reads again and retries when its patch fails its test (a concurrent change)' {
        Set-RaySandboxFault -Sandbox $sandbox -StatusCode 422 -Verb patch -Resource rayclusters -Count 1
        try {
            $null = Get-NewRequests
            Set-RayWorkerReplicas wg-set rc-a 4 -Verbose 4>&1 | Out-String | Should -Match 'concurrent change'
            $requests = Get-NewRequests
            ($requests | Where-Object { $_.Verb -eq 'patch' -and $_.Resource -eq 'rayclusters' }).Count | Should -Be 2
            ($requests | Where-Object { $_.Verb -eq 'get' -and $_.Resource -eq 'rayclusters' }).Count | Should -Be 2
            Get-Replicas wg-set rc-a | Should -Be 4
        }
        finally { Set-RaySandboxFault -Sandbox $sandbox -Clear }
    }

    It 'gives up with ScaleConflict when every attempt meets a concurrent change, changing nothing' {
        Set-RaySandboxFault -Sandbox $sandbox -StatusCode 422 -Verb patch -Resource rayclusters
        try {
            $err = $null
            try { Set-RayWorkerReplicas wg-set rc-a 6 -ErrorAction Stop } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -BeLike 'ScaleConflict,*'
            $err.Exception.Message | Should -Match 'Nothing was changed'
        }
        finally { Set-RaySandboxFault -Sandbox $sandbox -Clear }
        Get-Replicas wg-set rc-a | Should -Be 4
        $null = Set-RayWorkerReplicas wg-set rc-a 3
    }

    It 'fails -Wait with WorkerGroupNotReady saying why, and keeps the change' {
        $null = New-RayWorkerDeployment wg-set broken -Image registry.example/does-not-exist:1 -Cpu 1 -Memory 1Gi -Replicas 0
        $err = $null
        try { Set-RayWorkerReplicas wg-set broken 2 -Wait -TimeoutSec 3 -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'WorkerGroupNotReady,RayPS.Commands.SetRayWorkerReplicasCommand'
        $err.CategoryInfo.Category | Should -Be 'OperationTimeout'
        $err.Exception.Message | Should -Match '0 of 2 pods ready'
        $err.Exception.Message | Should -Match 'The change itself was made'
        $err.Exception.Message | Should -Match 'ImagePull|Pending'
        Get-Replicas wg-set broken | Should -Be 2
    }
}

Describe 'Set-RayWorkerReplicas: WorkerGroup owned by the Ray autoscaler' {
    BeforeAll {
        $null = New-RayCluster wg-auto -HeadCpu 1 -HeadMemory 1Gi -WorkerGroupName workers -WorkerReplicas 3 -WorkerMinReplicas 0 -WorkerMaxReplicas 10 `
            -WorkerCpu 1 -WorkerMemory 1Gi -EnableAutoscaling -IdleTimeoutSec 100000
    }

    It 'refuses without -Force with AutoscalerOwnsReplicas and changes nothing' {
        $err = $null
        try { Set-RayWorkerReplicas wg-auto workers 5 -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'AutoscalerOwnsReplicas,*'
        $err.Exception.Message | Should -Match 'autoscaler'
        $err.Exception.Message | Should -Match '-Force'
        (Get-RayWorkerGroup wg-auto workers).Replicas | Should -Be 3
    }

    It 'scales with -Force and warns' {
        $null = Set-RayWorkerReplicas wg-auto workers 4 -Force -WarningVariable warnings -WarningAction SilentlyContinue
        "$warnings" | Should -Match 'autoscaler owns the replicas'
        (Get-RayWorkerGroup wg-auto workers).Replicas | Should -Be 4
    }

    It 'names the pods to remove in workersToDelete when scaling down, not-ready and newest first' {
        $before = Get-RayWorkerGroup wg-auto workers | Set-RayWorkerReplicas -Replicas 4 -Force -Wait -TimeoutSec 60 -PassThru -WarningAction SilentlyContinue
        $pods = $before.Pods
        $g = Set-RayWorkerReplicas wg-auto workers 2 -Force -PassThru -WarningAction SilentlyContinue
        $g.WorkersToDelete.Count | Should -Be 2
        $g.WorkersToDelete | ForEach-Object { $pods | Should -Contain $_ }
        $settled = Set-RayWorkerReplicas wg-auto workers 2 -Force -Wait -TimeoutSec 60 -PassThru -WarningAction SilentlyContinue
        $settled.Current | Should -Be 2
        $g.WorkersToDelete | ForEach-Object { $settled.Pods | Should -Not -Contain $_ }
    }
}

Describe 'Set-RayWorkerReplicas: concurrent WorkerGroup scaling from separate runspaces' {
    BeforeAll {
        New-FourGroupCluster wg-conc -Max 100
        $script:modulePath = Get-RayPSModulePath
        $script:kubeConfig = $sandbox.KubeConfigPath
        $script:token = (Select-String -Path $kubeConfig -Pattern '^\s+token:\s*(\S+)' | Select-Object -First 1).Matches[0].Groups[1].Value
        $script:clusterUrl = "$($sandbox.Uri.GetLeftPart('Authority'))/apis/ray.io/v1/namespaces/default/rayclusters/wg-conc"

        # Per group, the value of the call whose write the server applied last (the highest resourceVersion).
        function script:Get-LastWrites($Calls) {
            $Calls | Group-Object Group | ForEach-Object { $_.Group | Sort-Object Version | Select-Object -Last 1 }
        }
    }

    It 'keeps the last write of each of 4 groups under 20 concurrent Set-RayWorkerReplicas calls (0 lost updates)' {
        $startAt = (Get-Date).AddSeconds(4)
        $calls = 0..19 | ForEach-Object -ThrottleLimit 20 -Parallel {
            Import-Module $using:modulePath
            $group = @('rc-a', 'rc-b', 'dep-a', 'dep-b')[$_ % 4]
            $value = 10 + $_
            while ((Get-Date) -lt $using:startAt) { Start-Sleep -Milliseconds 5 }
            $g = Set-RayWorkerReplicas -ClusterName wg-conc -GroupName $group -Replicas $value -KubeConfig $using:kubeConfig -PassThru
            [pscustomobject]@{ Group = $group; Value = $value; Version = [long] $g.ResourceVersion }
        }
        @($calls).Count | Should -Be 20

        $actual = Get-RayWorkerGroup wg-conc
        $lost = @(Get-LastWrites $calls | Where-Object { ($actual | Where-Object GroupName -EQ $_.Group).Replicas -ne $_.Value })
        $lost | Should -BeNullOrEmpty
        @(Get-LastWrites $calls).Count | Should -Be 4
    }

    It 'shows that a naive read-modify-replace helper loses updates under the same kind of load (so the check above can fail)' {
        $null = Set-RayWorkerReplicas wg-conc rc-a 1
        $null = Set-RayWorkerReplicas wg-conc rc-b 1
        $startAt = (Get-Date).AddSeconds(4)
        $calls = 0..9 | ForEach-Object -ThrottleLimit 10 -Parallel {
            $group = @('rc-a', 'rc-b')[$_ % 2]
            $value = 10 + $_
            $headers = @{ Authorization = "Bearer $using:token" }
            while ((Get-Date) -lt $using:startAt) { Start-Sleep -Milliseconds 5 }
            # Read the whole cluster, change one group in the copy, think a little, write the whole array back.
            $cluster = Invoke-RestMethod -Uri $using:clusterUrl -Headers $headers -SkipCertificateCheck
            ($cluster.spec.workerGroupSpecs | Where-Object groupName -EQ $group).replicas = $value
            Start-Sleep -Milliseconds 500
            $body = @{ spec = @{ workerGroupSpecs = @($cluster.spec.workerGroupSpecs) } } | ConvertTo-Json -Depth 64 -Compress
            $written = Invoke-RestMethod -Method Patch -Uri $using:clusterUrl -Headers $headers -SkipCertificateCheck -ContentType 'application/merge-patch+json' -Body $body
            [pscustomobject]@{ Group = $group; Value = $value; Version = [long] $written.metadata.resourceVersion }
        }
        $actual = Get-RayWorkerGroup wg-conc
        $lost = @(Get-LastWrites $calls | Where-Object { ($actual | Where-Object GroupName -EQ $_.Group).Replicas -ne $_.Value })
        $lost.Count | Should -BeGreaterOrEqual 1
    }
}
