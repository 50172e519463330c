# The fault matrix of issue 16: every verb class (read, guarded patch, create, delete, watch, proxy, port-forward) against
# one 500, one 503, one 429 with Retry-After, one dropped connection, a slow answer and a permanent failure, injected into
# the sandbox's API server. Each case asserts the outcome and how many requests of the faulted kind were sent.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:sandbox = Start-TestSandbox
    $null = New-RayCluster fm -HeadCpu 1 -HeadMemory 1Gi -WorkerReplicas 1 -WorkerCpu 1 -WorkerMemory 1Gi -Wait -TimeoutSec 120

    # Adds one fault rule for this case; $Fault is 500, 503, 429, reset, slow or permanent.
    function script:Set-CaseFault([string] $Fault, [string] $Verb, [string] $Resource) {
        $null = Set-RaySandboxFault -Sandbox $sandbox -Clear
        $scope = @{ Sandbox = $sandbox; Verb = $Verb; Resource = $Resource }
        switch ($Fault) {
            '500' { $null = Set-RaySandboxFault @scope -StatusCode 500 -Count 1 }
            '503' { $null = Set-RaySandboxFault @scope -StatusCode 503 -Count 1 }
            '429' { $null = Set-RaySandboxFault @scope -StatusCode 429 -RetryAfterSec 1 -Count 1 }
            'reset' { $null = Set-RaySandboxFault @scope -DropConnection -Count 1 }
            'slow' { $null = Set-RaySandboxFault @scope -LatencyMs 1500 -Count 1 }
            'permanent' { $null = Set-RaySandboxFault @scope -StatusCode 503 }
        }
        $null = Get-NewRequests
    }

    # How many requests of one verb and resource the sandbox served since Set-CaseFault.
    function script:Get-CaseCount([string] $Verb, [string] $Resource) {
        [int] (Get-NewRequests | Where-Object { $_.Verb -eq $Verb -and $_.Resource -eq $Resource } | Measure-Object Count -Sum).Sum
    }

    $script:transient = @('500', '503', '429', 'reset')
    $script:counter = 0
    function script:New-CaseName([string] $Prefix) { $script:counter++; "$Prefix-$($script:counter)" }
}

AfterAll {
    Stop-TestSandbox $sandbox
}

Describe 'Fault matrix: transient faults are survived with one more request' {
    AfterEach { $null = Set-RaySandboxFault -Sandbox $sandbox -Clear }

    It 'read (LIST rayclusters) survives one <_>' -ForEach @('500', '503', '429', 'reset') {
        Set-CaseFault $_ list rayclusters
        (Get-RayCluster fm).Name | Should -Be 'fm'
        Get-CaseCount list rayclusters | Should -Be 2
    }

    It 'guarded JSON patch (Set-RayWorkerReplicas) survives one <_>' -ForEach @('500', '503', '429', 'reset') {
        $target = if ((Get-RayWorkerGroup fm workergroup).Replicas -eq 1) { 2 } else { 1 }
        Set-CaseFault $_ patch rayclusters
        Set-RayWorkerReplicas fm workergroup $target
        Get-CaseCount patch rayclusters | Should -Be 2
        (Get-RayWorkerGroup fm workergroup).Replicas | Should -Be $target
    }

    It 'create (New-RayCluster) survives one <_> and creates exactly one cluster' -ForEach @('500', '503', '429', 'reset') {
        $name = New-CaseName create
        Set-CaseFault $_ create rayclusters
        (New-RayCluster $name -HeadCpu 1 -HeadMemory 1Gi -WorkerReplicas 0).Name | Should -Be $name
        Get-CaseCount create rayclusters | Should -Be 2
        @(Get-RayCluster | Where-Object Name -eq $name).Count | Should -Be 1
    }

    It 'delete (Remove-RayCluster) survives one <_>' -ForEach @('500', '503', '429', 'reset') {
        $name = New-CaseName delete
        $null = New-RayCluster $name -HeadCpu 1 -HeadMemory 1Gi -WorkerReplicas 0
        Set-CaseFault $_ delete rayclusters
        Remove-RayCluster $name -Confirm:$false
        Get-CaseCount delete rayclusters | Should -Be 2
        { Get-RayCluster $name -ErrorAction Stop } | Should -Throw -ErrorId 'RayClusterNotFound,*'
    }

    It 'watch (New-RayCluster -Wait) survives one <_>' -ForEach @('500', '503', '429', 'reset') {
        $name = New-CaseName watch
        Set-CaseFault $_ watch rayclusters
        (New-RayCluster $name -HeadCpu 1 -HeadMemory 1Gi -WorkerReplicas 0 -Wait -TimeoutSec 60).State | Should -Be 'ready'
        Get-CaseCount watch rayclusters | Should -BeGreaterOrEqual 2
        Remove-RayCluster $name -Confirm:$false
    }

    It 'proxy (Get-RayNodeHealth) survives one <_> on the head service proxy' -ForEach @('500', '503', '429', 'reset') {
        Set-CaseFault $_ proxy services
        (Get-RayNodeHealth fm -Summary).Status | Should -Be 'Healthy'
        Get-CaseCount get services/proxy | Should -BeGreaterOrEqual 2
    }

    It 'proxy (Get-RayNodeHealth) survives one <_> on a pod proxy' -ForEach @('500', '503', '429', 'reset') {
        Set-CaseFault $_ proxy pods
        (Get-RayNodeHealth fm -Summary).Status | Should -Be 'Healthy'
        Get-CaseCount get pods/proxy | Should -BeGreaterOrEqual 3
    }
}

Describe 'Fault matrix: more write and stream classes' {
    AfterEach { $null = Set-RaySandboxFault -Sandbox $sandbox -Clear; Stop-RayDashboard -All }

    BeforeAll {
        $null = New-RayWorkerDeployment fm fmdep -Cpu 1 -Memory 1Gi
        $null = New-RayCluster fmauto -HeadCpu 1 -HeadMemory 1Gi -WorkerReplicas 0
        $script:toggle = $false
    }

    It 'label-guarded JSON patch of a Deployment group survives one <_>' -ForEach @('500', '503', '429', 'reset') {
        $target = if ((Get-RayWorkerGroup fm fmdep).Replicas -eq 1) { 2 } else { 1 }
        Set-CaseFault $_ patch deployments
        Set-RayWorkerReplicas fm fmdep $target -Kind Deployment
        Get-CaseCount patch deployments | Should -Be 2
        (Get-RayWorkerGroup fm fmdep).Replicas | Should -Be $target
    }

    It 'merge patch of absolute values (Set-RayClusterAutoscaling) survives one <_>' -ForEach @('500', '503', '429', 'reset') {
        $script:toggle = -not $script:toggle
        Set-CaseFault $_ patch rayclusters
        if ($script:toggle) { Set-RayClusterAutoscaling fmauto -Enable } else { Set-RayClusterAutoscaling fmauto -Disable }
        Get-CaseCount patch rayclusters | Should -Be 2
        ((Get-RayCluster fmauto).ToJson() | ConvertFrom-Json).spec.enableInTreeAutoscaling | Should -Be $script:toggle
    }

    It 'a watch that drops before its first event re-lists and sees the cluster ready (New-RayCluster -Wait)' {
        $name = New-CaseName dropwatch
        $null = Set-RaySandboxFault -Sandbox $sandbox -DropWatchAfterEvents 0 -Resource rayclusters
        $null = Get-NewRequests
        (New-RayCluster $name -HeadCpu 1 -HeadMemory 1Gi -WorkerReplicas 0 -Wait -TimeoutSec 60).State | Should -Be 'ready'
        Get-CaseCount get rayclusters | Should -BeGreaterOrEqual 1
        $null = Set-RaySandboxFault -Sandbox $sandbox -Clear
        Remove-RayCluster $name -Confirm:$false
    }

    It 'port-forward (Start-RayDashboard) survives one <_> on its first upgrade' -ForEach @('500', '503', '429', 'reset') {
        Set-CaseFault $_ portforward pods
        $session = Start-RayDashboard fm -LocalPort 0
        (Invoke-RestMethod "$($session.Url)api/version" -TimeoutSec 30) | Should -Not -BeNullOrEmpty
        [int] (Get-NewRequests | Where-Object { $_.Resource -eq 'pods/portforward' } | Measure-Object Count -Sum).Sum | Should -BeGreaterOrEqual 2
    }
}

Describe 'Fault matrix: slow answers' {
    AfterEach { $null = Set-RaySandboxFault -Sandbox $sandbox -Clear }

    It 'read, guarded patch, create, delete and proxy wait for a slow (1.5 s) answer and send one request' {
        Set-CaseFault slow list rayclusters
        (Get-RayCluster fm).Name | Should -Be 'fm'
        Get-CaseCount list rayclusters | Should -Be 1

        $target = if ((Get-RayWorkerGroup fm workergroup).Replicas -eq 1) { 2 } else { 1 }
        Set-CaseFault slow patch rayclusters
        Set-RayWorkerReplicas fm workergroup $target
        Get-CaseCount patch rayclusters | Should -Be 1

        $name = New-CaseName slow
        Set-CaseFault slow create rayclusters
        $null = New-RayCluster $name -HeadCpu 1 -HeadMemory 1Gi -WorkerReplicas 0
        Get-CaseCount create rayclusters | Should -Be 1

        Set-CaseFault slow delete rayclusters
        Remove-RayCluster $name -Confirm:$false
        Get-CaseCount delete rayclusters | Should -Be 1

        Set-CaseFault slow proxy services
        (Get-RayNodeHealth fm -Summary -TimeoutSec 5).Status | Should -Be 'Healthy'
    }

    It 'a watch that is slow to open still sees the cluster become ready' {
        $name = New-CaseName slowwatch
        Set-CaseFault slow watch rayclusters
        (New-RayCluster $name -HeadCpu 1 -HeadMemory 1Gi -WorkerReplicas 0 -Wait -TimeoutSec 60).State | Should -Be 'ready'
        Remove-RayCluster $name -Confirm:$false
    }
}

Describe 'Fault matrix: permanent failures are bounded and say how many attempts were made' {
    AfterEach { $null = Set-RaySandboxFault -Sandbox $sandbox -Clear }

    It 'read gives up after 5 attempts with KubeApiServerError' {
        Set-CaseFault permanent list rayclusters
        { Get-RayCluster fm } | Should -Throw -ErrorId 'KubeApiServerError,*' -ExpectedMessage '*5 attempts*'
        Get-CaseCount list rayclusters | Should -Be 5
    }

    It 'guarded patch gives up after 5 attempts and leaves the group as it was' {
        $before = (Get-RayWorkerGroup fm workergroup).Replicas
        Set-CaseFault permanent patch rayclusters
        { Set-RayWorkerReplicas fm workergroup ($before + 1) } | Should -Throw -ErrorId 'KubeApiServerError,*' -ExpectedMessage '*5 attempts*'
        Get-CaseCount patch rayclusters | Should -Be 5
        $null = Set-RaySandboxFault -Sandbox $sandbox -Clear
        (Get-RayWorkerGroup fm workergroup).Replicas | Should -Be $before
    }

    It 'create gives up after 5 attempts, reads back once, and creates nothing' {
        $name = New-CaseName permcreate
        Set-CaseFault permanent create rayclusters
        { New-RayCluster $name -HeadCpu 1 -HeadMemory 1Gi -WorkerReplicas 0 } | Should -Throw -ErrorId 'KubeApiServerError,*' -ExpectedMessage '*5 attempts*'
        $requests = Get-NewRequests
        [int] ($requests | Where-Object { $_.Verb -eq 'create' -and $_.Resource -eq 'rayclusters' } | Measure-Object Count -Sum).Sum | Should -Be 5
        [int] ($requests | Where-Object { $_.Verb -eq 'get' -and $_.Resource -eq 'rayclusters' } | Measure-Object Count -Sum).Sum | Should -Be 1
        $null = Set-RaySandboxFault -Sandbox $sandbox -Clear
        @(Get-RayCluster | Where-Object Name -eq $name).Count | Should -Be 0
    }

    It 'delete gives up after 5 attempts and the cluster is still there' {
        $name = New-CaseName permdelete
        $null = New-RayCluster $name -HeadCpu 1 -HeadMemory 1Gi -WorkerReplicas 0
        Set-CaseFault permanent delete rayclusters
        { Remove-RayCluster $name -Confirm:$false } | Should -Throw -ErrorId 'KubeApiServerError,*' -ExpectedMessage '*5 attempts*'
        Get-CaseCount delete rayclusters | Should -Be 5
        $null = Set-RaySandboxFault -Sandbox $sandbox -Clear
        (Get-RayCluster $name).Name | Should -Be $name
        Remove-RayCluster $name -Confirm:$false
    }

    It 'a watch the API server keeps refusing is replaced by re-reads until the cluster is ready' {
        $name = New-CaseName permwatch
        Set-CaseFault permanent watch rayclusters
        (New-RayCluster $name -HeadCpu 1 -HeadMemory 1Gi -WorkerReplicas 0 -Wait -TimeoutSec 60).State | Should -Be 'ready'
        Get-CaseCount watch rayclusters | Should -BeGreaterOrEqual 5
        $null = Set-RaySandboxFault -Sandbox $sandbox -Clear
        Remove-RayCluster $name -Confirm:$false
    }

    It 'a proxy the API server keeps failing makes the nodes Unknown, never Unhealthy' {
        Set-CaseFault permanent proxy pods
        # Rows of Ray nodes that left in order have no pod to probe; every pod's row is Unknown.
        $nodes = @(Get-RayNodeHealth fm | Where-Object PodName)
        $nodes.Count | Should -BeGreaterOrEqual 2
        $nodes.Status | Sort-Object -Unique | Should -Be 'Unknown'
        $nodes[0].Reason | Should -BeLike 'raylet not checked: the API server answered 503*'
        (Get-RayNodeHealth fm -Summary).Status | Should -Not -Be 'Unhealthy'
    }

    It 'a head service proxy the API server keeps failing leaves the head Unknown, not down' {
        Set-CaseFault permanent proxy services
        $summary = Get-RayNodeHealth fm -Summary
        $summary.Status | Should -Not -Be 'Unhealthy'
        $summary.Reason | Should -Not -BeLike '*head down*'
    }
}

Describe 'Unknown outcomes' {
    AfterEach { $null = Set-RaySandboxFault -Sandbox $sandbox -Clear }

    It 'a create whose answer comes after the request timeout is settled by reading it back' {
        $name = New-CaseName late
        $null = Set-RaySandboxFault -Sandbox $sandbox -LatencyMs 8000 -Verb create -Resource rayclusters -Count 1
        # A 3 s request timeout (the tests' stand-in for the default 30 s): the first POST is still in flight when it ends.
        $assembly = [RayPS.RayCluster].Assembly
        $options = [Activator]::CreateInstance($assembly.GetType('RayPS.Kube.KubeConnectionOptions'), @($sandbox.KubeConfigPath, $null, $null))
        $connection = $assembly.GetType('RayPS.Kube.KubeConnection')::Get($options)
        $saved = $connection.Api.RequestTimeout
        $connection.Api.RequestTimeout = [TimeSpan]::FromSeconds(3)
        $null = Get-NewRequests
        try {
            { New-RayCluster $name -HeadCpu 1 -HeadMemory 1Gi -WorkerReplicas 0 } | Should -Throw -ErrorId 'KubeApiOutcomeUnknown,*' -ExpectedMessage '*outcome*unknown*1 attempt*'
        }
        finally {
            $connection.Api.RequestTimeout = $saved
        }
        $requests = Get-NewRequests
        [int] ($requests | Where-Object { $_.Verb -eq 'create' -and $_.Resource -eq 'rayclusters' } | Measure-Object Count -Sum).Sum | Should -Be 1
        [int] ($requests | Where-Object { $_.Verb -eq 'get' -and $_.Resource -eq 'rayclusters' } | Measure-Object Count -Sum).Sum | Should -Be 1
        # The delayed create lands after all: the runbook reads it back rather than creating it twice.
        $landed = $null
        for ($i = 0; $i -lt 300 -and -not $landed; $i++) {
            $landed = Get-RayCluster $name -ErrorAction SilentlyContinue
            if (-not $landed) { Start-Sleep -Milliseconds 100 }
        }
        $landed.Name | Should -Be $name
        @(Get-RayCluster | Where-Object Name -eq $name).Count | Should -Be 1
        Remove-RayCluster $name -Confirm:$false
    }

    It '-Debug logs every attempt with its status and the wait before the next' {
        Set-CaseFault 503 list rayclusters
        $null = Set-RaySandboxFault -Sandbox $sandbox -StatusCode 503 -Verb list -Resource rayclusters -Count 1   # two in all
        $debug = Get-RayCluster fm -Debug 5>&1 | Where-Object { $_ -is [System.Management.Automation.DebugRecord] } | ForEach-Object Message
        $lines = @($debug | Where-Object { $_ -like 'GET /apis/ray.io/v1/namespaces/default/rayclusters*' })
        $lines.Count | Should -Be 3
        $lines[0] | Should -Match '-> 503 in \d+ ms \(attempt 1 of 5\); retrying in \d+ ms$'
        $lines[1] | Should -Match '-> 503 in \d+ ms \(attempt 2 of 5\); retrying in \d+ ms$'
        $lines[2] | Should -Match '-> 200 in \d+ ms \(attempt 3 of 5\)$'
    }
}

Describe 'Start-RayDashboard under port-forward faults' {
    BeforeAll {
        # Notices the session queued since the last call (Get-RayDashboard says them as warnings).
        function script:Get-SessionNotices($Session) {
            @(Get-RayDashboard -Id $Session.Id 3>&1 | Where-Object { $_ -is [System.Management.Automation.WarningRecord] } | ForEach-Object { "$_" })
        }
        function script:Get-PortForwardCount {
            [int] (Get-NewRequests | Where-Object { $_.Resource -eq 'pods/portforward' } | Measure-Object Count -Sum).Sum
        }
    }
    AfterEach { $null = Set-RaySandboxFault -Sandbox $sandbox -Clear; Stop-RayDashboard -All }

    It 'one connection refused through all its attempts is retried alone: no reconnect, nothing re-resolved' {
        $session = Start-RayDashboard fm -LocalPort 0
        $null = Get-SessionNotices $session
        # The retry policy's 5 upgrade attempts and the one GET asking why: the connection's first open fails whole.
        $rule = Set-RaySandboxFault -Sandbox $sandbox -StatusCode 503 -Verb portforward -Resource pods -Count 6
        $null = Get-NewRequests

        (Invoke-RestMethod "$($session.Url)api/version" -DisableKeepAlive -TimeoutSec 60).version | Should -Be '4'

        $rule.Hits | Should -Be 6
        $requests = Get-NewRequests
        @($requests | Where-Object { $_.Resource -ne 'pods/portforward' }) | Should -HaveCount 0 -Because 'the head pod is not re-resolved'
        $session.Reconnects | Should -Be 0
        $session.State | Should -Be 'Running'
        $notices = Get-SessionNotices $session
        $notices | Should -HaveCount 2
        $notices[0] | Should -BeLike "*The API server did not open a port-forward to head pod 'default/fm-head-*'*503*Retrying the connections it refuses*"
        $notices[1] | Should -BeLike "*Port-forwards to head pod 'default/fm-head-*' open again, after 1 failure in a row."
    }

    It 'at 50% 503s on port-forwards, 20 requests all succeed with no reconnect and at most two notices' {
        $session = Start-RayDashboard fm -LocalPort 0
        $null = Get-SessionNotices $session
        $null = Set-RaySandboxFault -Sandbox $sandbox -StatusCode 503 -Verb portforward -Resource pods -Probability 0.5
        $null = Get-NewRequests

        $answers = foreach ($i in 1..20) { (Invoke-RestMethod "$($session.Url)api/version" -DisableKeepAlive -TimeoutSec 60).version }

        @($answers | Where-Object { $_ -eq '4' }) | Should -HaveCount 20
        @(Get-NewRequests | Where-Object { $_.Resource -ne 'pods/portforward' }) | Should -HaveCount 0 -Because 'nothing is re-resolved'
        $session.Reconnects | Should -Be 0
        $session.State | Should -Be 'Running'
        $notices = Get-SessionNotices $session
        $notices.Count | Should -BeLessOrEqual 2
        $notices | Where-Object { $_ -like '*Lost the port-forward*' -or $_ -like '*Gave up*' } | Should -BeNullOrEmpty
    }

    It 'a port-forward refused for good ends the session once, with coherent counts and notices in order' {
        $session = Start-RayDashboard fm -LocalPort 0 -MaxReconnectAttempts 2
        $null = Get-SessionNotices $session
        $null = Set-RaySandboxFault -Sandbox $sandbox -StatusCode 503 -Verb portforward -Resource pods

        { Invoke-RestMethod "$($session.Url)api/version" -DisableKeepAlive -TimeoutSec 60 } | Should -Throw
        $deadline = [DateTime]::UtcNow.AddSeconds(60)
        while ($session.State -ne 'Failed' -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }

        $session.State | Should -Be 'Failed'
        $session.Reconnects | Should -Be 0
        $session.LastErrorId | Should -Be 'KubeApiServerError'
        $notices = Get-SessionNotices $session
        $notices | Should -HaveCount 2
        $notices[0] | Should -BeLike '*The API server did not open a port-forward*(each up to 2 times)*'
        $notices[1] | Should -BeLike "*Gave up forwarding to RayCluster 'fm' after 2 failed attempts to open a port-forward for one connection:*503*"
        $notices | Where-Object { $_ -like '*Reconnected*' } | Should -BeNullOrEmpty
    }
}

Describe 'Set-RaySandboxFault' {
    AfterEach { $null = Set-RaySandboxFault -Sandbox $sandbox -Clear }

    It 'fires -Verb proxy on pod and service proxies and -Verb portforward on port-forwards' {
        $rule = Set-RaySandboxFault -Sandbox $sandbox -StatusCode 503 -Verb proxy -Resource services -Count 1
        $null = Get-RayNodeHealth fm -Summary
        $rule.Hits | Should -Be 1
        $rule = Set-RaySandboxFault -Sandbox $sandbox -StatusCode 503 -Verb portforward -Count 1
        $session = Start-RayDashboard fm -LocalPort 0
        try {
            $null = Invoke-RestMethod "$($session.Url)api/version" -TimeoutSec 30
        }
        finally {
            Stop-RayDashboard -All
        }
        $rule.Hits | Should -Be 1
    }

    It 'refuses a verb and resource that can never match: <Verb> <Resource>' -ForEach @(
        @{ Verb = 'proxy'; Resource = 'rayclusters' }
        @{ Verb = 'portforward'; Resource = 'services' }
        @{ Verb = 'watch'; Resource = 'deployments/scale' }
        @{ Verb = 'create'; Resource = 'rayclusters/scale' }
        @{ Verb = 'get'; Resource = 'pods/nonsense' }
    ) {
        { Set-RaySandboxFault -Sandbox $sandbox -StatusCode 503 -Verb $Verb -Resource $Resource } | Should -Throw -ErrorId 'InvalidSandboxFault,*'
        $sandbox.Server.Faults.Rules.Count | Should -Be 0
    }

    It 'a pod that asks for more accelerators than any simulated node has stays Pending Unschedulable' {
        $null = New-RayCluster big -HeadCpu 1 -HeadMemory 1Gi -WorkerReplicas 1 -WorkerCpu 1 -WorkerMemory 1Gi -WorkerGpu 16
        $worker = $null
        for ($i = 0; $i -lt 300 -and -not $worker; $i++) {
            $worker = Get-RayNodeHealth big | Where-Object { $_.NodeType -ne 'head' -and $_.Reason -like '*Insufficient nvidia.com/gpu*' }
            if (-not $worker) { Start-Sleep -Milliseconds 100 }
        }
        $worker | Should -Not -BeNullOrEmpty
        $worker.Status | Should -Be 'Unhealthy'
        Remove-RayCluster big -Confirm:$false
    }
}
