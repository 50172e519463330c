BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:sandbox = Start-TestSandbox
    $script:sandboxYaml = Get-Content $sandbox.KubeConfigPath -Raw
    $script:adminToken = Get-KubeConfigToken -Path $sandbox.KubeConfigPath

    # An exec credential plugin (a shell script) that counts its runs, records its arguments one per line, and
    # prints an ExecCredential with the sandbox's admin token and the given expiry.
    function New-ExecPlugin {
        param([Parameter(Mandatory)] [string] $Path, [Parameter(Mandatory)] [string] $Expiry, [string] $Token = $adminToken, [string] $Extra = '')
        $null = New-Item -ItemType Directory -Path (Split-Path $Path) -Force
        $script = @"
#!/bin/sh
echo run >> "`$0.runs"
: > "`$0.args"
for a in "`$@"; do printf '%s\n' "`$a" >> "`$0.args"; done
$Extra
echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"$Token","expirationTimestamp":"$Expiry"}}'
"@
        [IO.File]::WriteAllText($Path, $script.Replace("`r", ''))
        chmod +x $Path
    }

    function Get-PluginRuns([string] $Path) { if (Test-Path "$Path.runs") { @(Get-Content "$Path.runs").Count } else { 0 } }

    # The sandbox's kubeconfig with its admin user's token replaced by an exec plugin call.
    function New-ExecKubeConfig {
        param([Parameter(Mandatory)] [string] $Path, [Parameter(Mandatory)] [string] $Command, [string[]] $Arguments = @())
        $null = New-Item -ItemType Directory -Path (Split-Path $Path) -Force
        $argLines = ($Arguments | ForEach-Object { "      - '" + $_.Replace("'", "''") + "'" }) -join "`n"
        $exec = @"
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: $Command
      interactiveMode: Never
      args:
$argLines
"@
        $yaml = $sandboxYaml.Replace("    token: $adminToken", $exec.Replace("`r", ''))
        [IO.File]::WriteAllText($Path, $yaml)
        return $Path
    }
}

AfterAll {
    Stop-TestSandbox $sandbox
}

Describe 'Exec credential plugins' {
    It 'five cmdlets and three completions in one session run the plugin once, with a relative command and arguments whole' {
        $dir = Join-Path $TestDrive 'kube conf'
        $plugin = Join-Path $dir 'bin/token-plugin.sh'
        New-ExecPlugin -Path $plugin -Expiry ([DateTime]::UtcNow.AddHours(1).ToString('yyyy-MM-ddTHH:mm:ssZ'))
        $kc = New-ExecKubeConfig -Path (Join-Path $dir 'config') -Command './bin/token-plugin.sh' -Arguments @('--cluster', 'two words', "it's")

        $null = New-RayCluster exec-one -KubeConfig $kc -HeadCpu 1 -HeadMemory 1Gi -WorkerReplicas 0
        @(Get-RayCluster -KubeConfig $kc).Name | Should -Contain 'exec-one'
        (Get-RayCluster exec-one -KubeConfig $kc).Name | Should -Be 'exec-one'
        $null = Get-RayWorkerGroup -ClusterName exec-one -KubeConfig $kc
        $null = Get-KubeRayOperator -KubeConfig $kc

        foreach ($line in "Get-RayCluster -KubeConfig '$kc' -Name exec-", "Remove-RayCluster -KubeConfig '$kc' -Name exec-", "Wait-RayCluster -KubeConfig '$kc' -Name exec-o") {
            $result = TabExpansion2 -inputScript $line -cursorColumn $line.Length
            $result.CompletionMatches.CompletionText | Should -Contain 'exec-one'
        }

        Get-PluginRuns $plugin | Should -Be 1
        Get-Content "$plugin.args" | Should -Be @('--cluster', 'two words', "it's")
        Remove-RayCluster exec-one -KubeConfig $kc -Confirm:$false
        Get-PluginRuns $plugin | Should -Be 1
    }

    It 'the dashboard port-forward (WebSocket) authenticates with the same cached credential' {
        $plugin = Join-Path $TestDrive 'dash/plugin.sh'
        New-ExecPlugin -Path $plugin -Expiry ([DateTime]::UtcNow.AddHours(1).ToString('yyyy-MM-ddTHH:mm:ssZ'))
        $kc = New-ExecKubeConfig -Path (Join-Path $TestDrive 'dash/config') -Command $plugin
        $null = New-RayCluster exec-dash -KubeConfig $kc -HeadCpu 1 -HeadMemory 1Gi -WorkerReplicas 0 -Wait -TimeoutSec 60
        try {
            $session = Start-RayDashboard exec-dash -LocalPort 0 -KubeConfig $kc
            (Invoke-RestMethod "$($session.Url)api/version").version | Should -Be '4'
            Stop-RayDashboard -All
        }
        finally {
            Remove-RayCluster exec-dash -KubeConfig $kc -Confirm:$false
        }
        Get-PluginRuns $plugin | Should -Be 1
    }

    It 'an expired credential runs the plugin again for every request' {
        $plugin = Join-Path $TestDrive 'expired/plugin.sh'
        New-ExecPlugin -Path $plugin -Expiry '2020-01-01T00:00:00Z'
        $kc = New-ExecKubeConfig -Path (Join-Path $TestDrive 'expired/config') -Command $plugin
        $null = Get-NewRequestTotal

        $null = Get-RayCluster -KubeConfig $kc
        $null = Get-RayCluster -KubeConfig $kc -Namespace kube-system
        $requests = Get-NewRequestTotal

        $requests | Should -BeGreaterOrEqual 2
        Get-PluginRuns $plugin | Should -Be $requests
    }

    It 'a token the server refuses (401) is dropped and the plugin asked again' {
        $plugin = Join-Path $TestDrive 'refused/plugin.sh'
        # The first run answers a token the sandbox does not know, later runs the admin token.
        New-ExecPlugin -Path $plugin -Expiry ([DateTime]::UtcNow.AddHours(1).ToString('yyyy-MM-ddTHH:mm:ssZ')) -Token '$TOKEN' -Extra @"
if [ `$(wc -l < "`$0.runs") -eq 1 ]; then TOKEN=not-a-known-token; else TOKEN=$adminToken; fi
echo "{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"`$TOKEN\"}}"
exit 0
"@
        $kc = New-ExecKubeConfig -Path (Join-Path $TestDrive 'refused/config') -Command $plugin

        { Get-RayCluster -KubeConfig $kc } | Should -Not -Throw
        $null = Get-RayCluster -KubeConfig $kc
        Get-PluginRuns $plugin | Should -Be 2
    }

    It 'a failing plugin is KubeExecPluginFailed with its stderr, a missing one KubeExecPluginNotFound' {
        $plugin = Join-Path $TestDrive 'failing/plugin.sh'
        New-ExecPlugin -Path $plugin -Expiry '2030-01-01T00:00:00Z' -Extra "echo 'error: SSO session expired, run: aws sso login' >&2; exit 1"
        $kc = New-ExecKubeConfig -Path (Join-Path $TestDrive 'failing/config') -Command $plugin
        $err = $null
        try { Get-RayCluster -KubeConfig $kc } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'KubeExecPluginFailed,*'
        $err.CategoryInfo.Category | Should -Be 'AuthenticationError'
        $err.Exception.Message | Should -Match 'aws sso login'
        $err.Exception.Message | Should -Not -Match $adminToken

        $missing = New-ExecKubeConfig -Path (Join-Path $TestDrive 'missing/config') -Command 'rayps-no-such-credential-plugin'
        { Get-RayCluster -KubeConfig $missing } | Should -Throw -ErrorId 'KubeExecPluginNotFound,*'
    }

    It 'Ctrl+C while the plugin runs stops the cmdlet and kills the plugin' {
        $plugin = Join-Path $TestDrive 'hung/plugin.sh'
        New-ExecPlugin -Path $plugin -Expiry '2030-01-01T00:00:00Z' -Extra 'sleep 300 & echo $! > "$0.child"; echo $$ > "$0.pid"; wait'
        $kc = New-ExecKubeConfig -Path (Join-Path $TestDrive 'hung/config') -Command $plugin
        $ps = [PowerShell]::Create()
        $null = $ps.AddScript('param($Module, $KubeConfig) Import-Module $Module; Get-RayCluster -KubeConfig $KubeConfig').AddArgument((Get-RayPSModulePath)).AddArgument($kc)
        $async = $ps.BeginInvoke()
        $deadline = [DateTime]::UtcNow.AddSeconds(60)
        while (-not ((Test-Path "$plugin.pid") -and (Test-Path "$plugin.child")) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
        $pluginPid = [int] (Get-Content "$plugin.pid")
        Get-Process -Id $pluginPid -ErrorAction SilentlyContinue | Should -Not -BeNullOrEmpty
        $ps.Stop()
        $null = $async.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(10))
        $ps.InvocationStateInfo.State | Should -Be 'Stopped'
        $ps.Dispose()
        # The kill follows the cancellation on another thread: allow it a moment.
        $deadline = [DateTime]::UtcNow.AddSeconds(10)
        foreach ($id in $pluginPid, [int] (Get-Content "$plugin.child")) {
            do {
                # Killed, or killed and not yet reaped (a zombie).
                $gone = -not (Test-Path "/proc/$id") -or (Get-Content "/proc/$id/stat" -ErrorAction SilentlyContinue) -match '\) Z '
                if (-not $gone) { Start-Sleep -Milliseconds 50 }
            } until ($gone -or [DateTime]::UtcNow -gt $deadline)
            $gone | Should -BeTrue -Because "cancelling the cmdlet kills the plugin's process tree (pid $id)"
        }
    }
}

Describe 'Kubeconfig files like kubectl' {
    It 'merged files each resolve their relative certificate-authority against their own folder' {
        $caPem = [Text.Encoding]::ASCII.GetString([Convert]::FromBase64String([regex]::Match($sandboxYaml, 'certificate-authority-data: (\S+)').Groups[1].Value))
        $server = [regex]::Match($sandboxYaml, 'server: (\S+)').Groups[1].Value
        $first = Join-Path $TestDrive 'merge-a'
        $second = Join-Path $TestDrive 'merge-b'
        $null = New-Item -ItemType Directory -Path $first, (Join-Path $second 'pki') -Force
        Set-Content (Join-Path $first 'ca.crt') 'not a certificate'
        Set-Content (Join-Path $second 'pki/ca.crt') $caPem
        Set-Content (Join-Path $first 'config') @"
apiVersion: v1
kind: Config
current-context: other
clusters:
- name: other
  cluster:
    server: https://127.0.0.1:1
    certificate-authority: ca.crt
users:
- name: other
  user:
    token: other-token
contexts:
- name: other
  context: {cluster: other, user: other}
"@
        Set-Content (Join-Path $second 'config') @"
apiVersion: v1
kind: Config
clusters:
- name: sandbox
  cluster:
    server: $server
    certificate-authority: pki/ca.crt
users:
- name: sandbox
  user:
    token: $adminToken
contexts:
- name: sandbox-b
  context: {cluster: sandbox, user: sandbox}
"@
        $list = (Join-Path $first 'config') + [IO.Path]::PathSeparator + (Join-Path $second 'config')
        { Get-RayCluster -KubeConfig $list -Context sandbox-b } | Should -Not -Throw
    }

    It 'KUBECONFIG naming only missing files is KubeConfigNotFound, not the home config' {
        $home2 = Join-Path $TestDrive 'home'
        $null = New-Item -ItemType Directory -Path (Join-Path $home2 '.kube') -Force
        Copy-Item $sandbox.KubeConfigPath (Join-Path $home2 '.kube/config')
        $missing = (Join-Path $TestDrive 'gone-1') + [IO.Path]::PathSeparator + (Join-Path $TestDrive 'gone-2')
        $out = Invoke-FreshPwsh @"
`$env:KUBECONFIG = '$missing'; `$env:HOME = '$home2'; `$env:USERPROFILE = '$home2'; Remove-Item Env:KUBERNETES_SERVICE_HOST -ErrorAction SilentlyContinue
Import-Module '$(Get-RayPSModulePath)'
try { Get-RayCluster; 'reached a cluster' } catch { `$_.FullyQualifiedErrorId; `$_.Exception.Message }
"@
        $out | Should -Contain 'KubeConfigNotFound,RayPS.Commands.GetRayClusterCommand'
        $out | Should -Not -Contain 'reached a cluster'
        ($out -join "`n") | Should -Match 'Config not found: .*gone-1, .*gone-2'
    }

    It 'HTTPS_PROXY is used for the API and NO_PROXY or loopback bypass it, as kubectl does' {
        # The sandbox listens on loopback, which Go (and so RayPS) never proxies: with a dead proxy set, calls still work.
        $out = Invoke-FreshPwsh @"
`$env:KUBECONFIG = '$($sandbox.KubeConfigPath)'; `$env:HTTPS_PROXY = 'http://127.0.0.1:1'
Import-Module '$(Get-RayPSModulePath)'
try { `$null = Get-RayCluster; 'loopback direct' } catch { `$_.FullyQualifiedErrorId }
"@
        $out | Should -Contain 'loopback direct'
    }

    It 'a kubeconfig proxy-url is used for every request, loopback included' {
        $kc = Join-Path $TestDrive 'proxied-config'
        Set-Content $kc ($sandboxYaml -replace '(?m)^(\s+)server: (\S+)$', "`$1server: `$2`n`$1proxy-url: http://127.0.0.1:1")
        { Get-RayCluster -KubeConfig $kc } | Should -Throw -ErrorId 'KubeApiUnreachable,*'
    }
}

Describe 'Local ports like every OS agrees' {
    It 'Start-RaySandbox -Port refuses a port another program holds on 0.0.0.0' {
        $other = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Any, 0)
        $other.Start()
        try {
            $port = $other.LocalEndpoint.Port
            { Start-RaySandbox -Port $port -KubeConfigPath (Join-Path $TestDrive 'port-taken.kubeconfig') } | Should -Throw -ErrorId 'SandboxStartFailed,*'
        }
        finally {
            $other.Stop()
        }
    }
}
