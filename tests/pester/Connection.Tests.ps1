BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-RayPSUnderTest
    $script:savedKubeConfig = $env:KUBECONFIG
}

AfterAll {
    $env:KUBECONFIG = $savedKubeConfig
}

Describe 'Connection errors' {
    It 'a missing -KubeConfig file is KubeConfigNotFound' {
        { Get-RayCluster -KubeConfig (Join-Path $TestDrive 'missing') } | Should -Throw -ErrorId 'KubeConfigNotFound,*'
    }

    It 'no kubeconfig anywhere is KubeConfigNotFound and names Start-RaySandbox' {
        $out = Invoke-FreshPwsh @"
`$env:KUBECONFIG = '$(Join-Path $TestDrive 'none')'; `$env:HOME = '$TestDrive'; `$env:USERPROFILE = '$TestDrive'; Remove-Item Env:KUBERNETES_SERVICE_HOST -ErrorAction SilentlyContinue
Import-Module '$(Get-RayPSModulePath)'
try { Get-RayCluster } catch { `$_.FullyQualifiedErrorId; `$_.Exception.Message }
"@
        $out | Should -Contain 'KubeConfigNotFound,RayPS.Commands.GetRayClusterCommand'
        ($out -join "`n") | Should -Match 'Start-RaySandbox'
    }

    It 'an unknown -Context is KubeContextNotFound listing the contexts' {
        $kc = New-TestKubeConfig -Path (Join-Path $TestDrive 'kc1') -Context 'alpha'
        { Get-RayCluster -KubeConfig $kc -Context nope } | Should -Throw -ErrorId 'KubeContextNotFound,*'
        try { Get-RayCluster -KubeConfig $kc -Context nope } catch { $_.Exception.Message | Should -Match 'alpha' }
    }

    It 'an unreadable kubeconfig is KubeConfigInvalid' {
        $bad = Join-Path $TestDrive 'bad'
        Set-Content $bad "clusters: [ {name: x"
        { Get-RayCluster -KubeConfig $bad } | Should -Throw -ErrorId 'KubeConfigInvalid,*'
    }

    It 'an unreachable server is KubeApiUnreachable with category ConnectionError' {
        $kc = New-TestKubeConfig -Path (Join-Path $TestDrive 'kc2') -Server 'https://127.0.0.1:1'
        $err = $null
        try { Get-RayCluster -KubeConfig $kc } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'KubeApiUnreachable,*'
        $err.CategoryInfo.Category | Should -Be 'ConnectionError'
        $err.Exception.Message | Should -Match '127.0.0.1:1'
    }

    It 'tokens never reach any stream, -Debug and -Verbose included' {
        $secret = 'sekret-' + [Guid]::NewGuid().ToString('N')
        $kc = New-TestKubeConfig -Path (Join-Path $TestDrive 'kc3') -Server 'https://127.0.0.1:1' -Token $secret
        $all = & { try { Get-RayCluster -KubeConfig $kc -Debug -Verbose } catch { $_ | Format-List * -Force | Out-String } } *>&1 | Out-String
        $all | Should -Match 'GET /apis/ray.io/v1/namespaces/default/rayclusters'
        $all | Should -Not -Match $secret
    }

    It 'Ctrl+C (StopProcessing) ends a hung request within 1 second' {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start()
        try {
            $port = $listener.LocalEndpoint.Port
            $kc = New-TestKubeConfig -Path (Join-Path $TestDrive 'kc4') -Server "https://127.0.0.1:$port"
            $ps = [PowerShell]::Create()
            # One script, not a batch of statements (see Start-RayDashboard.Tests: a stopped batch outlives Stop).
            $null = $ps.AddScript('param($Module, $KubeConfig) Import-Module $Module; Get-RayCluster -KubeConfig $KubeConfig').AddArgument((Get-RayPSModulePath)).AddArgument($kc)
            $async = $ps.BeginInvoke()
            Start-Sleep -Milliseconds 700
            $async.IsCompleted | Should -BeFalse -Because 'the server accepts but never answers'
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $watch.Stop()
            $watch.Elapsed.TotalSeconds | Should -BeLessThan 1
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            $null = $async.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(10))
            $ps.Dispose()
        }
        finally {
            $listener.Stop()
        }
    }
}
