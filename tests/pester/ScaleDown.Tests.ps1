BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:sandbox = Start-TestSandbox
    $script:token = Get-KubeConfigToken -Path $sandbox.KubeConfigPath
    $script:apiBase = $sandbox.Uri.GetLeftPart('Authority')

    # A cluster whose group 'workers' has $Replicas ready pods; returns them sorted by name.
    function script:New-ReadyGroupCluster([string] $Name, [int] $Replicas = 4, [switch] $Autoscaling, [int] $IdleTimeoutSec = 0) {
        $extra = @{}
        if ($Autoscaling) { $extra = @{ EnableAutoscaling = $true; IdleTimeoutSec = $IdleTimeoutSec } }
        $null = New-RayCluster $Name -HeadCpu 1 -HeadMemory 1Gi -WorkerGroupName workers -WorkerReplicas $Replicas -WorkerMinReplicas 0 `
            -WorkerMaxReplicas 10 -WorkerCpu 1 -WorkerMemory 1Gi -WorkerRayResources @{ ascend = 1 } @extra
        $null = Wait-RayCluster $Name -TimeoutSec 60
        $group = Get-RayWorkerGroup $Name -Name workers | Set-RayWorkerReplicas -Replicas $Replicas -Force -Wait -TimeoutSec 60 -PassThru -WarningAction SilentlyContinue
        @($group.Pods | Sort-Object)
    }

    function script:Get-GroupPods([string] $Cluster, [string] $Group = 'workers') {
        @((Get-RayWorkerGroup $Cluster -Name $Group).Pods | Sort-Object)
    }

    function script:Get-WorkersToDelete([string] $Cluster, [int] $Index = 0) {
        $raw = (Get-RayCluster $Cluster).ToJson() | ConvertFrom-Json
        @($raw.spec.workerGroupSpecs[$Index].scaleStrategy.workersToDelete)
    }

    # Waits (bounded) until the group has exactly $Count live pods.
    function script:Wait-PodCount([string] $Cluster, [int] $Count, [string] $Group = 'workers', [int] $Seconds = 30) {
        $deadline = (Get-Date).AddSeconds($Seconds)
        while ((Get-Date) -lt $deadline -and (Get-GroupPods $Cluster $Group).Count -ne $Count) { Start-Sleep -Milliseconds 100 }
        Get-GroupPods $Cluster $Group
    }
}

AfterAll {
    Stop-TestSandbox $sandbox
}

Describe 'Set-RayWorkerReplicas: scaling a RayCluster group down keeps busy workers' {
    It 'with 4 workers and 1 busy, scaling to 1 removes the 3 idle ones and keeps the busy one' {
        $pods = New-ReadyGroupCluster sd-keep
        $busy = $pods[0]
        Set-RaySandboxPodFault -Sandbox $sandbox -PodName $busy -RayBusy $true

        $null = Get-NewRequests
        $g = Set-RayWorkerReplicas sd-keep workers 1 -PassThru
        $requests = Get-NewRequests
        # GET the RayCluster, LIST the group's pods, GET the node summary through the service proxy, one PATCH, LIST for -PassThru.
        ($requests | Where-Object { $_.Verb -eq 'patch' } | Measure-Object Count -Sum).Sum | Should -Be 1
        ($requests | Where-Object { $_.Resource -eq 'services/proxy' } | Measure-Object Count -Sum).Sum | Should -Be 1
        @($g.WorkersToDelete | Sort-Object) | Should -Be @($pods[1..3])

        $left = Wait-PodCount sd-keep 1
        $left | Should -Be @($busy)
    }

    It 'the same change as a plain replica edit (what kubectl edit does), seeded to pick the busy worker, kills it, so the test above can fail' {
        # KubeRay removes arbitrary pods on a plain scale-down; the sandbox shuffles them with its seed. Run the same steps on two
        # sandboxes with one seed: the first shows which pods a plain edit removes, the second makes one of those busy first.
        $runs = foreach ($attempt in 1, 2) {
            $s = Start-RaySandbox -Seed 4242
            try {
                $kc = @{ KubeConfig = $s.KubeConfigPath }
                $null = New-RayCluster sd-plain -HeadCpu 1 -HeadMemory 1Gi -WorkerGroupName workers -WorkerReplicas 4 -WorkerMinReplicas 0 `
                    -WorkerMaxReplicas 10 -WorkerCpu 1 -WorkerMemory 1Gi -Wait -TimeoutSec 60 @kc
                $pods = @((Get-RayWorkerGroup sd-plain -Name workers @kc).Pods | Sort-Object)
                $busy = if ($attempt -eq 2) { $script:plainVictims[0] } else { $null }
                if ($busy) { Set-RaySandboxPodFault -Sandbox $s -PodName $busy -RayBusy $true }
                $headers = @{ Authorization = 'Bearer ' + (Get-KubeConfigToken $s.KubeConfigPath) }
                $null = Invoke-RestMethod -Method Patch "$($s.Uri.GetLeftPart('Authority'))/apis/ray.io/v1/namespaces/default/rayclusters/sd-plain" -Headers $headers `
                    -SkipCertificateCheck -ContentType 'application/json-patch+json' -Body '[{"op":"replace","path":"/spec/workerGroupSpecs/0/replicas","value":1}]'
                $deadline = (Get-Date).AddSeconds(30)
                while ((Get-Date) -lt $deadline -and @((Get-RayWorkerGroup sd-plain -Name workers @kc).Pods).Count -ne 1) { Start-Sleep -Milliseconds 100 }
                $left = @((Get-RayWorkerGroup sd-plain -Name workers @kc).Pods)
                $script:plainVictims = @($pods | Where-Object { $_ -notin $left })
                [pscustomobject]@{ Pods = $pods; Left = $left; Busy = $busy }
            }
            finally {
                $s | Stop-RaySandbox
            }
        }
        $runs[1].Pods | Should -Be $runs[0].Pods -Because 'the same seed and steps give the same pod names'
        $runs[1].Left | Should -Be $runs[0].Left -Because 'and the same victims'
        $runs[1].Left | Should -Not -Contain $runs[1].Busy
        $runs[1].Left.Count | Should -Be 1
    }

    It '-Wait waits for the named pods to go, then clears them from workersToDelete' {
        $pods = New-ReadyGroupCluster sd-wait -Replicas 3
        $g = Set-RayWorkerReplicas sd-wait workers 1 -Wait -TimeoutSec 60 -PassThru
        $g.Current | Should -Be 1
        (Get-GroupPods sd-wait).Count | Should -Be 1
        Get-WorkersToDelete sd-wait | Should -BeNullOrEmpty
    }

    It '-WorkersToDelete removes the pods the user names' {
        $pods = New-ReadyGroupCluster sd-named -Replicas 3
        $g = Set-RayWorkerReplicas sd-named workers 2 -WorkersToDelete $pods[2] -PassThru
        $g.WorkersToDelete | Should -Be @($pods[2])
        $left = Wait-PodCount sd-named 2
        $left | Should -Not -Contain $pods[2]
        $left | Should -Contain $pods[0]
        $left | Should -Contain $pods[1]
    }

    It 'refuses a -WorkersToDelete name that is not a pod of the group with WorkerNotInGroup, and writes nothing' {
        $null = Get-NewRequests
        { Set-RayWorkerReplicas sd-named workers 1 -WorkersToDelete 'no-such-pod' -ErrorAction Stop } | Should -Throw -ErrorId 'WorkerNotInGroup,*'
        @(Get-NewRequests | Where-Object Verb -EQ 'patch').Count | Should -Be 0
    }

    It 'warns and falls back to readiness and age when Ray''s state cannot be read' {
        $pods = New-ReadyGroupCluster sd-noray -Replicas 2
        # Every attempt fails: one 503 is a hiccup the retry policy rides out (issue 16).
        Set-RaySandboxFault -Sandbox $sandbox -StatusCode 503 -PathPattern '*/proxy/nodes*'
        try {
            $g = Set-RayWorkerReplicas sd-noray workers 1 -PassThru -WarningVariable warnings -WarningAction SilentlyContinue
        }
        finally {
            Set-RaySandboxFault -Sandbox $sandbox -Clear
        }
        "$warnings" | Should -Match 'Could not read which Ray nodes'
        $g.WorkersToDelete.Count | Should -Be 1
    }

    It 'changes the bounds of an autoscaled group without -Force, moving replicas inside them' {
        $null = New-RayCluster sd-bounds -HeadCpu 1 -HeadMemory 1Gi -WorkerGroupName workers -WorkerReplicas 1 -WorkerMinReplicas 0 -WorkerMaxReplicas 10 `
            -WorkerCpu 1 -WorkerMemory 1Gi -EnableAutoscaling -IdleTimeoutSec 100000
        $g = Set-RayWorkerReplicas sd-bounds workers -MinReplicas 2 -MaxReplicas 5 -PassThru -WarningVariable warnings -WarningAction SilentlyContinue
        ($g.Min, $g.Max, $g.Replicas) | Should -Be @(2, 5, 2)
        "$warnings" | Should -Match 'outside the new bounds'
        { Set-RayWorkerReplicas sd-bounds workers -MinReplicas 6 -ErrorAction Stop } | Should -Throw -ErrorId 'ReplicasOutOfRange,*'
        { Set-RayWorkerReplicas sd-bounds workers 4 -ErrorAction Stop } | Should -Throw -ErrorId 'AutoscalerOwnsReplicas,*'
    }

    It 'is ScaleTargetMissing with nothing to change, and NotSupportedForDeploymentGroup for bounds of a Deployment group' {
        $null = New-RayWorkerDeployment sd-bounds dep -Replicas 1 -Cpu 1 -Memory 1Gi
        $null = Get-NewRequests
        { Set-RayWorkerReplicas sd-bounds workers -ErrorAction Stop } | Should -Throw -ErrorId 'ScaleTargetMissing,*'
        { Set-RayWorkerReplicas sd-bounds dep -MaxReplicas 3 -ErrorAction Stop } | Should -Throw -ErrorId 'NotSupportedForDeploymentGroup,*'
        { Set-RayWorkerReplicas sd-bounds dep -Kind Deployment -Replicas 2 -WorkersToDelete x -ErrorAction Stop } | Should -Throw -ErrorId 'NotSupportedForDeploymentGroup,*'
        @(Get-NewRequests | Where-Object Verb -EQ 'patch').Count | Should -Be 0
    }
}

Describe 'Remove-RayWorkerGroup' {
    It 'drains a RayCluster group, removes it, and leaves no orphaned pod and the other groups untouched' {
        $null = New-ReadyGroupCluster rm-rc -Replicas 2
        $null = Add-RayWorkerGroup rm-rc other -Replicas 1 -Cpu 1 -Memory 1Gi
        $null = Add-RayWorkerGroup rm-rc gone -Replicas 2 -Cpu 1 -Memory 1Gi
        $null = Wait-PodCount rm-rc 2 -Group gone
        $otherBefore = Wait-PodCount rm-rc 1 -Group other

        $removed = Remove-RayWorkerGroup rm-rc gone -Confirm:$false -PassThru
        $removed.GroupName | Should -Be 'gone'
        (Get-RayCluster rm-rc).WorkerGroups.GroupName | Should -Be @('workers', 'other')
        $orphans = Invoke-RestMethod -Uri "$apiBase/api/v1/namespaces/default/pods?labelSelector=ray.io/cluster=rm-rc,ray.io/group=gone" -Headers @{ Authorization = "Bearer $token" } -SkipCertificateCheck
        @($orphans.items).Count | Should -Be 0
        Get-GroupPods rm-rc other | Should -Be $otherBefore
        (Get-GroupPods rm-rc workers).Count | Should -Be 2
    }

    It 'removes the right group while another client adds one concurrently' {
        $null = Add-RayWorkerGroup rm-rc racer-old -Replicas 1 -Cpu 1 -Memory 1Gi
        $null = Wait-PodCount rm-rc 1 -Group racer-old
        $job = Start-ThreadJob -ScriptBlock {
            param($modulePath, $kubeConfig)
            Import-Module $modulePath
            Start-Sleep -Milliseconds 200
            Add-RayWorkerGroup rm-rc racer-new -Replicas 0 -KubeConfig $kubeConfig | Out-Null
        } -ArgumentList (Get-RayPSModulePath), $sandbox.KubeConfigPath
        try {
            Remove-RayWorkerGroup rm-rc racer-old -Confirm:$false
        }
        finally {
            $job | Wait-Job | Receive-Job
            $job | Remove-Job
        }
        (Get-RayCluster rm-rc).WorkerGroups.GroupName | Should -Be @('workers', 'other', 'racer-new')
    }

    It '-Force deletes the pods by name and removes the group at once' {
        $null = Add-RayWorkerGroup rm-rc forced -Replicas 2 -Cpu 1 -Memory 1Gi
        $pods = Wait-PodCount rm-rc 2 -Group forced
        Remove-RayWorkerGroup rm-rc forced -Force -Confirm:$false
        (Get-RayCluster rm-rc).WorkerGroups.GroupName | Should -Not -Contain 'forced'
        $left = Invoke-RestMethod -Uri "$apiBase/api/v1/namespaces/default/pods?labelSelector=ray.io/cluster=rm-rc,ray.io/group=forced" -Headers @{ Authorization = "Bearer $token" } -SkipCertificateCheck
        @($left.items | Where-Object { -not $_.metadata.deletionTimestamp }).Count | Should -Be 0
    }

    It 'deletes a Deployment group piped from Get-RayWorkerGroup and waits until it is gone' {
        $null = New-RayWorkerDeployment rm-rc npu -Replicas 2 -Cpu 1 -Memory 1Gi -Wait -TimeoutSec 60
        Get-RayWorkerGroup rm-rc -Name npu | Remove-RayWorkerGroup -Confirm:$false
        (Get-RayWorkerGroup rm-rc).GroupName | Should -Not -Contain 'npu'
        $pods = Invoke-RestMethod -Uri "$apiBase/api/v1/namespaces/default/pods?labelSelector=ray.io/cluster=rm-rc,ray.io/group=npu" -Headers @{ Authorization = "Bearer $token" } -SkipCertificateCheck
        @($pods.items).Count | Should -Be 0
    }

    It 'sends nothing with -WhatIf' {
        $null = Get-NewRequests
        Remove-RayWorkerGroup rm-rc other -WhatIf
        Get-NewRequestTotal | Should -Be 0
        (Get-RayCluster rm-rc).WorkerGroups.GroupName | Should -Contain 'other'
    }

    It 'is WorkerGroupNotFound for a missing group and RayClusterNotFound for a missing cluster' {
        Remove-RayWorkerGroup rm-rc nope -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'WorkerGroupNotFound,*'
        { Remove-RayWorkerGroup no-such-cluster g -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'RayClusterNotFound,*'
    }
}

Describe 'Set-RayClusterAutoscaling and the simulated Ray autoscaler' {
    It 'turns autoscaling on and off with one merge patch each, and sets the options' {
        $null = New-RayCluster as-toggle -HeadCpu 1 -HeadMemory 1Gi -WorkerReplicas 1 -WorkerCpu 1 -WorkerMemory 1Gi
        $null = Get-NewRequests
        $c = Set-RayClusterAutoscaling as-toggle -Enable -IdleTimeoutSeconds 300 -UpscalingMode Conservative -Version v2 -PassThru -WarningVariable warnings -WarningAction SilentlyContinue
        $requests = Get-NewRequests
        [int] ($requests | Measure-Object Count -Sum).Sum | Should -Be 1
        $c.AutoscalingEnabled | Should -BeTrue
        "$warnings" | Should -Match 'head pod'
        $raw = $c.ToJson() | ConvertFrom-Json
        ($raw.spec.autoscalerOptions.idleTimeoutSeconds, $raw.spec.autoscalerOptions.upscalingMode, $raw.spec.autoscalerOptions.version) | Should -Be @(300, 'Conservative', 'v2')
        (Get-RayWorkerGroup as-toggle).AutoscalingEnabled | Should -BeTrue

        $off = Set-RayClusterAutoscaling as-toggle -Disable -PassThru -WarningAction SilentlyContinue
        $off.AutoscalingEnabled | Should -BeFalse
        (($off.ToJson() | ConvertFrom-Json).spec.autoscalerOptions.idleTimeoutSeconds) | Should -Be 300
    }

    It 'refuses a call with nothing to change, and a missing cluster' {
        { Set-RayClusterAutoscaling as-toggle -ErrorAction Stop } | Should -Throw -ErrorId 'AutoscalingSwitchMissing,*'
        { Set-RayClusterAutoscaling no-such-cluster -Enable -ErrorAction Stop -WarningAction SilentlyContinue } | Should -Throw -ErrorId 'RayClusterNotFound,*'
        $null = Get-NewRequests
        Set-RayClusterAutoscaling as-toggle -Enable -WhatIf
        Get-NewRequestTotal | Should -Be 0
    }

    It 'removes idle workers past idleTimeoutSeconds through workersToDelete, never a busy one nor below minReplicas' {
        $null = New-RayCluster as-idle -HeadCpu 1 -HeadMemory 1Gi -WorkerGroupName workers -WorkerReplicas 3 -WorkerMinReplicas 1 -WorkerMaxReplicas 5 `
            -WorkerCpu 1 -WorkerMemory 1Gi -EnableAutoscaling -IdleTimeoutSec 100000
        $null = Wait-RayCluster as-idle -TimeoutSec 60
        $pods = Wait-PodCount as-idle 3
        $busy = $pods[1]
        Set-RaySandboxPodFault -Sandbox $sandbox -PodName $busy -RayBusy $true
        # Idle timeout 1 simulated second: the autoscaler now removes the two idle workers... but only down to minReplicas 1.
        Set-RayClusterAutoscaling as-idle -IdleTimeoutSeconds 1 -WarningAction SilentlyContinue
        $left = Wait-PodCount as-idle 1
        $left | Should -Be @($busy)
        (Get-RayWorkerGroup as-idle -Name workers).Replicas | Should -Be 1
    }

    It 'adds a worker for a pending job whose resources only that group has' {
        $null = New-RayCluster as-up -HeadCpu 1 -HeadMemory 1Gi -WorkerGroupName npu -WorkerReplicas 0 -WorkerMinReplicas 0 -WorkerMaxReplicas 3 `
            -WorkerCpu 1 -WorkerMemory 1Gi -WorkerRayResources @{ ascend = 2 } -EnableAutoscaling -IdleTimeoutSec 100000
        $null = Wait-RayCluster as-up -TimeoutSec 60
        $jobs = "$apiBase/api/v1/namespaces/default/services/as-up-head-svc:dashboard/proxy/api/jobs/"
        # Ray refuses POSTs from browsers (a User-Agent with Mozilla, as PowerShell's default has).
        $submitted = Invoke-RestMethod -Method Post -Uri $jobs -Headers @{ Authorization = "Bearer $token" } -UserAgent 'rayps-test' -SkipCertificateCheck -ContentType 'application/json' `
            -Body (@{ entrypoint = 'sleep 1000'; entrypoint_resources = @{ ascend = 1 } } | ConvertTo-Json -Compress)
        $submitted.submission_id | Should -Not -BeNullOrEmpty
        $pods = Wait-PodCount as-up 1 -Group npu
        $pods.Count | Should -Be 1
        (Get-RayWorkerGroup as-up -Name npu).Replicas | Should -Be 1
    }
}
