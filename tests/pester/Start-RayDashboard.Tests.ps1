# Start-, Get- and Stop-RayDashboard end to end on a sandbox: the sandbox's KubeRay operator creates the head pod and
# service, its API server forwards ports over WebSocket (v4.channel.k8s.io) and its simulated dashboard answers.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-RayPSUnderTest
    $script:sandbox = Start-RaySandbox
    $script:kc = $sandbox.KubeConfigPath
    $null = New-RayCluster -Name dash -HeadCpu 1 -HeadMemory 1Gi -KubeConfig $kc -Wait -TimeoutSec 60

    function script:Get-FreePort {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start()
        try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
    }

    function script:Test-PortFree([int] $Port) {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, $Port)
        try { $listener.Start(); $true } catch { $false } finally { $listener.Stop() }
    }

    # Deletes a pod through the module's own client (no kubectl on the test machines).
    function script:Remove-TestPod([string] $Name) {
        $assembly = [RayPS.RayCluster].Assembly
        $options = [Activator]::CreateInstance($assembly.GetType('RayPS.Kube.KubeConnectionOptions'), @($kc, $null, $null))
        $connection = $assembly.GetType('RayPS.Kube.KubeConnection')::Get($options)
        $null = $connection.Api.DeleteAsync("/api/v1/namespaces/default/pods/$Name", [Threading.CancellationToken]::None, $null).GetAwaiter().GetResult()
    }
}

AfterAll {
    Stop-RayDashboard -All
    $sandbox | Stop-RaySandbox
}

Describe 'Start-RayDashboard' {
    AfterEach { Stop-RayDashboard -All }

    It 'forwards /api/version and /nodes?view=summary through the session URL' {
        $session = Start-RayDashboard dash -LocalPort 0 -KubeConfig $kc

        $session | Should -BeOfType RayPS.RayDashboardSession
        $session.State | Should -Be 'Running'
        $session.Url | Should -Match '^http://127\.0\.0\.1:\d+/$'
        $session.PodName | Should -BeLike 'dash-head-*'
        $version = Invoke-RestMethod "$($session.Url)api/version"
        $version.version | Should -Be '4'
        $nodes = Invoke-RestMethod "$($session.Url)nodes?view=summary"
        $nodes.result | Should -BeTrue
        @($nodes.data.summary | Where-Object { $_.raylet.isHeadNode }).Count | Should -Be 1
        $session.BytesIn | Should -BeGreaterThan 0
        $session.BytesOut | Should -BeGreaterThan 0
        $session.TotalConnections | Should -BeGreaterOrEqual 2
    }

    It 'takes clusters from Get-RayCluster on the pipeline' {
        $session = Get-RayCluster dash -KubeConfig $kc | Start-RayDashboard -LocalPort 0 -KubeConfig $kc
        $session.ClusterName | Should -Be 'dash'
        $session.Namespace | Should -Be 'default'
    }

    It 'serves 50 concurrent requests, each on its own connection' {
        $session = Start-RayDashboard dash -LocalPort 0 -KubeConfig $kc
        $client = [System.Net.Http.HttpClient]::new([System.Net.Http.SocketsHttpHandler]@{ MaxConnectionsPerServer = 100 })
        try {
            $tasks = foreach ($i in 1..50) {
                $request = [System.Net.Http.HttpRequestMessage]::new('GET', "$($session.Url)$(if ($i % 2) { 'api/version' } else { 'nodes?view=summary' })")
                $request.Headers.ConnectionClose = $true
                $client.SendAsync($request)
            }
            [Threading.Tasks.Task]::WaitAll([Threading.Tasks.Task[]] $tasks, [TimeSpan]::FromSeconds(60)) | Should -BeTrue
            @($tasks | Where-Object { $_.Result.StatusCode -eq 'OK' }).Count | Should -Be 50
        }
        finally { $client.Dispose() }
        $session.TotalConnections | Should -BeGreaterOrEqual 50
        $session.State | Should -Be 'Running'
        $session.Reconnects | Should -Be 0
    }

    It 'follows the head pod when it is deleted: a new request succeeds on the new pod' {
        $session = Start-RayDashboard dash -LocalPort 0 -KubeConfig $kc
        $first = $session.PodName
        Invoke-RestMethod "$($session.Url)api/version" -DisableKeepAlive | Out-Null

        Remove-TestPod $first
        $deadline = [DateTime]::UtcNow.AddSeconds(60)
        $answer = $null
        while (-not $answer -and [DateTime]::UtcNow -lt $deadline) {
            try { $answer = Invoke-RestMethod "$($session.Url)api/version" -DisableKeepAlive -TimeoutSec 60 } catch { Start-Sleep -Milliseconds 100 }
        }

        $answer.version | Should -Be '4'
        $session.PodName | Should -Not -Be $first
        $session.PodName | Should -BeLike 'dash-head-*'
        $session.State | Should -Be 'Running'
        $session.Reconnects | Should -BeGreaterOrEqual 1
        $warnings = Get-RayDashboard -Id $session.Id 3>&1 | Where-Object { $_ -is [System.Management.Automation.WarningRecord] }
        ($warnings -join "`n") | Should -Match "Head pod 'default/$first' was replaced"
    }

    It 'a local port in use is DashboardPortInUse naming the port and -LocalPort 0' {
        $taken = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $taken.Start()
        try {
            $port = $taken.LocalEndpoint.Port
            $err = $null
            try { Start-RayDashboard dash -LocalPort $port -KubeConfig $kc } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -Be 'DashboardPortInUse,RayPS.Commands.StartRayDashboardCommand'
            $err.Exception.Message | Should -Match "$port"
            $err.Exception.Message | Should -Match '-LocalPort 0'
        }
        finally { $taken.Stop() }
        @(Get-RayDashboard).Count | Should -Be 0
    }

    It 'a head pod that is not running is DashboardTargetNotReady with its phase and reason' {
        $null = New-RayCluster -Name broken -Image 'rayproject/ray:does-not-exist' -KubeConfig $kc
        try {
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            $err = $null
            do {
                Start-Sleep -Milliseconds 200
                $err = $null
                try { Start-RayDashboard broken -LocalPort 0 -KubeConfig $kc } catch { $err = $_ }
            } while ($err.Exception.Message -notmatch 'ImagePull|ErrImage' -and [DateTime]::UtcNow -lt $deadline)
            $err.FullyQualifiedErrorId | Should -BeLike 'DashboardTargetNotReady,*'
            $err.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
            $err.Exception.Message | Should -Match 'Pending'
            $err.Exception.Message | Should -Match 'ImagePull|ErrImage'
        }
        finally { Remove-RayCluster broken -KubeConfig $kc -Confirm:$false }
    }

    It 'a missing cluster is RayClusterNotFound' {
        { Start-RayDashboard nope -LocalPort 0 -KubeConfig $kc } | Should -Throw -ErrorId 'RayClusterNotFound,*'
    }

    It 'a user without rights is KubeApiForbidden' {
        { Start-RayDashboard dash -LocalPort 0 -KubeConfig $kc -Context rayps-sandbox-viewer } | Should -Throw -ErrorId 'KubeApiForbidden,*'
    }

    It 'a refused port-forward names create on pods/portforward' {
        Set-RaySandboxFault -Sandbox $sandbox -StatusCode 403 -PathPattern '*/portforward*'
        try {
            $err = $null
            try { Start-RayDashboard dash -LocalPort 0 -KubeConfig $kc } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -BeLike 'KubeApiForbidden,*'
            $err.CategoryInfo.Category | Should -Be 'PermissionDenied'
            $err.Exception.Message | Should -Match "'create' on 'pods/portforward'"
        }
        finally { Set-RaySandboxFault -Sandbox $sandbox -Clear }
    }

    It 'Stop-RayDashboard frees the port and unlists the session' {
        $port = Get-FreePort
        $session = Start-RayDashboard dash -LocalPort $port -KubeConfig $kc
        $session.LocalPort | Should -Be $port
        Test-PortFree $port | Should -BeFalse

        $stopped = $session | Stop-RayDashboard -PassThru

        $stopped.State | Should -Be 'Stopped'
        Test-PortFree $port | Should -BeTrue
        Get-RayDashboard | Should -BeNullOrEmpty
        $again = Start-RayDashboard dash -LocalPort $port -KubeConfig $kc
        $again.LocalPort | Should -Be $port
    }

    It 'non-loopback addresses need -Force and warn' {
        { Start-RayDashboard dash -Address 0.0.0.0 -LocalPort 0 -KubeConfig $kc } | Should -Throw -ErrorId 'DashboardListenFailed,*'
        $session = Start-RayDashboard dash -Address 0.0.0.0 -LocalPort 0 -Force -KubeConfig $kc -WarningVariable warned -WarningAction SilentlyContinue
        $session.Address | Should -Be '0.0.0.0'
        $session.Url | Should -Match '^http://127\.0\.0\.1:'
        ($warned -join ' ') | Should -Match 'reachable by anyone'
    }

    It '-WhatIf starts nothing' {
        Start-RayDashboard dash -KubeConfig $kc -WhatIf | Should -BeNullOrEmpty
        Get-RayDashboard | Should -BeNullOrEmpty
    }

    It '-IncludeClientPort forwards the Ray client port too' {
        $session = Start-RayDashboard dash -LocalPort 0 -IncludeClientPort -ClientLocalPort 0 -KubeConfig $kc
        $session.ClientLocalPort | Should -BeGreaterThan 0
        $session.ClientUrl | Should -Be "ray://127.0.0.1:$($session.ClientLocalPort)"
        Test-PortFree $session.ClientLocalPort | Should -BeFalse
    }

    It '-Open warns when no browser can be started, and the session keeps running' -Skip:(-not $IsLinux) {
        # Without xdg-open on PATH the OS cannot open a URL (Windows and macOS would open a real browser).
        $savedPath = $env:PATH
        $env:PATH = Join-Path $TestDrive 'no-browser'
        try { $session = Start-RayDashboard dash -LocalPort 0 -Open -KubeConfig $kc -WarningVariable warned -WarningAction SilentlyContinue }
        finally { $env:PATH = $savedPath }
        ($warned -join ' ') | Should -Match "Could not open a browser .*Open $([regex]::Escape($session.Url)) yourself"
        $session.State | Should -Be 'Running'
    }

    It '-Wait blocks until stopped, then frees the port' {
        $port = Get-FreePort
        $ps = [PowerShell]::Create()
        try {
            # One script, not a batch of statements: a stopped batch goes on to its next statement on a pool thread,
            # and disposing the runspace under it crashes the process.
            $null = $ps.AddScript('param($Module, $Port, $KubeConfig) Import-Module $Module; Start-RayDashboard -ClusterName dash -LocalPort $Port -KubeConfig $KubeConfig -Wait').
                AddArgument((Get-RayPSModulePath)).AddArgument($port).AddArgument($kc)
            $async = $ps.BeginInvoke()
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            while ((Test-PortFree $port) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
            Test-PortFree $port | Should -BeFalse
            (Invoke-RestMethod "http://127.0.0.1:$port/api/version" -DisableKeepAlive).version | Should -Be '4'
            $async.IsCompleted | Should -BeFalse

            $ps.Stop()

            $deadline = [DateTime]::UtcNow.AddSeconds(10)
            while (-not (Test-PortFree $port) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
            Test-PortFree $port | Should -BeTrue
        }
        finally {
            $null = $async.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(10))
            $ps.Dispose()
        }
    }
}

Describe 'Get-RayDashboard' {
    AfterEach { Stop-RayDashboard -All }

    It 'lists sessions with live counters, by Id and by cluster name' {
        $a = Start-RayDashboard dash -LocalPort 0 -KubeConfig $kc
        $b = Start-RayDashboard dash -LocalPort 0 -KubeConfig $kc
        @(Get-RayDashboard).Id | Should -Be @($a.Id, $b.Id)
        (Get-RayDashboard -Id $b.Id).LocalPort | Should -Be $b.LocalPort
        @(Get-RayDashboard -ClusterName 'da*').Count | Should -Be 2
        $before = (Get-RayDashboard -Id $a.Id).BytesIn
        Invoke-RestMethod "$($a.Url)api/version" -DisableKeepAlive | Out-Null
        (Get-RayDashboard -Id $a.Id).BytesIn | Should -BeGreaterThan $before
    }

    It 'renders the table view' {
        $null = Start-RayDashboard dash -LocalPort 0 -KubeConfig $kc
        $text = Get-RayDashboard | Format-Table | Out-String -Width 200
        $text | Should -Match 'Id\s+ClusterName\s+Namespace\s+State\s+Url'
        $text | Should -Match 'dash\s+default\s+Running\s+http://127\.0\.0\.1:\d+/'
    }

    It 'an unknown Id or cluster is DashboardSessionNotFound' {
        Get-RayDashboard -Id 4711 -ErrorVariable e -ErrorAction SilentlyContinue
        $e[0].FullyQualifiedErrorId | Should -Be 'DashboardSessionNotFound,RayPS.Commands.GetRayDashboardCommand'
        Stop-RayDashboard -ClusterName nope -ErrorVariable e2 -ErrorAction SilentlyContinue
        $e2[0].FullyQualifiedErrorId | Should -Be 'DashboardSessionNotFound,RayPS.Commands.StopRayDashboardCommand'
    }
}
