# Start-/Get-/Stop-RaySandbox and Set-RaySandboxFault: the sandbox as users drive it from PowerShell.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-RayPSUnderTest
}

Describe 'Start-RaySandbox' {
    It 'returns a running RaySandbox whose kubeconfig has an admin and a viewer context' {
        $path = Join-Path $TestDrive 'sandbox.kubeconfig'
        $sandbox = Start-RaySandbox -KubeConfigPath $path
        try {
            $sandbox | Should -BeOfType RayPS.RaySandbox
            $sandbox.KubeConfigPath | Should -Be $path
            $sandbox.Uri.Host | Should -Be '127.0.0.1'
            $sandbox.Uri.Scheme | Should -Be 'https'
            $sandbox.Context | Should -Be 'rayps-sandbox'
            $sandbox.KubeRayInstalled | Should -BeTrue
            $yaml = Get-Content $path -Raw
            $yaml | Should -Match 'certificate-authority-data: \S+'
            $yaml | Should -Match 'current-context: rayps-sandbox'
            $yaml | Should -Match 'name: rayps-sandbox-viewer'
            Get-KubeRayOperator -KubeConfig $path | Select-Object -ExpandProperty Status | Should -Be 'Healthy'
        }
        finally {
            $sandbox | Stop-RaySandbox
        }
    }

    It 'refuses a port that is taken with SandboxStartFailed and a hint' {
        $first = Start-RaySandbox
        try {
            { Start-RaySandbox -Port $first.Port } | Should -Throw -ErrorId 'SandboxStartFailed,*'
            try { Start-RaySandbox -Port $first.Port } catch { $_.Exception.Message | Should -BeLike '*-Port 0*' }
        }
        finally {
            $first | Stop-RaySandbox
        }
    }

    It '-WithoutKubeRay is a cluster where KubeRay was never installed' {
        $sandbox = Start-RaySandbox -WithoutKubeRay -Controllers Deployment
        try {
            $sandbox.KubeRayInstalled | Should -BeFalse
            { Get-RayCluster -KubeConfig $sandbox.KubeConfigPath } | Should -Throw -ErrorId 'KubeRayCrdMissing,*'
            (Get-KubeRayOperator -KubeConfig $sandbox.KubeConfigPath).Status | Should -Be 'NotInstalled'
        }
        finally {
            $sandbox | Stop-RaySandbox
        }
    }

    It '-Controllers without Kubelet leaves pods Pending; -PodStartDelayMs delays Running' {
        $noKubelet = Start-RaySandbox -Controllers KubeRay, Deployment
        $slow = Start-RaySandbox -PodStartDelayMs 4000
        try {
            foreach ($s in $noKubelet, $slow) { $null = New-RayCluster -Name pace -WorkerReplicas 1 -KubeConfig $s.KubeConfigPath }
            Start-Sleep -Milliseconds 800
            foreach ($s in $noKubelet, $slow) {
                $phases = @(Get-RayNodeHealth pace -KubeConfig $s.KubeConfigPath -WarningAction SilentlyContinue | Where-Object PodName | ForEach-Object PodPhase)
                $phases.Count | Should -Be 2
                $phases | Should -Not -Contain 'Running'
            }
            (Wait-RayCluster pace -KubeConfig $slow.KubeConfigPath -TimeoutSec 60).State | Should -Be 'ready'
            @(Get-RayNodeHealth pace -KubeConfig $noKubelet.KubeConfigPath -WarningAction SilentlyContinue | Where-Object PodPhase -EQ 'Pending').Count | Should -Be 2
        }
        finally {
            $noKubelet, $slow | Stop-RaySandbox
        }
    }

    It 'starts nothing under -WhatIf' {
        $before = @(Get-RaySandbox).Count
        Start-RaySandbox -WhatIf | Should -BeNullOrEmpty
        @(Get-RaySandbox).Count | Should -Be $before
    }

    It 'answers like a real server to the viewer (no RBAC rights), to no token and to an unknown token' {
        $sandbox = Start-RaySandbox
        try {
            $viewer = Get-KubeConfigToken $sandbox.KubeConfigPath -User 'rayps-sandbox-viewer'
            $viewer | Should -Not -BeNullOrEmpty
            $uri = "$($sandbox.Uri)api/v1/namespaces/default/services"
            $body = '{"apiVersion":"v1","kind":"Service","metadata":{"name":"x"},"spec":{"ports":[{"port":80}]}}'
            $viewerWrite = Invoke-WebRequest $uri -Method Post -Body $body -ContentType 'application/json' -SkipCertificateCheck -SkipHttpErrorCheck -Headers @{ Authorization = "Bearer $viewer" }
            $viewerWrite.StatusCode | Should -Be 403
            # The viewer holds no RBAC rights, like the recorded server's: reads are Forbidden too.
            $viewerRead = Invoke-WebRequest $uri -SkipCertificateCheck -SkipHttpErrorCheck -Headers @{ Authorization = "Bearer $viewer" }
            $viewerRead.StatusCode | Should -Be 403
            ($viewerRead.Content | ConvertFrom-Json).message | Should -Be 'services is forbidden: User "viewer" cannot list resource "services" in API group "" in the namespace "default"'
            { Get-RayCluster -KubeConfig $sandbox.KubeConfigPath -Context rayps-sandbox-viewer } | Should -Throw -ErrorId 'KubeApiForbidden,*'
            (Invoke-WebRequest "$($sandbox.Uri)apis" -SkipCertificateCheck -SkipHttpErrorCheck -Headers @{ Authorization = "Bearer $viewer" }).StatusCode | Should -Be 200
            $anonymous = Invoke-WebRequest $uri -SkipCertificateCheck -SkipHttpErrorCheck
            $anonymous.StatusCode | Should -Be 403
            $anonymous.Content | Should -BeLike '*system:anonymous*'
            (Invoke-WebRequest $uri -SkipCertificateCheck -SkipHttpErrorCheck -Headers @{ Authorization = 'Bearer nope' }).StatusCode | Should -Be 401
        }
        finally {
            $sandbox | Stop-RaySandbox
        }
    }

    It '-Wait serves other processes until the process ends' {
        $path = Join-Path $TestDrive 'served.kubeconfig'
        $pwsh = @(Get-PwshCommand)
        $arguments = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command', "Import-Module '$(Get-RayPSModulePath)'; Start-RaySandbox -KubeConfigPath '$path' -Wait")
        $server = Start-Process -FilePath $pwsh[0] -ArgumentList $arguments -PassThru -RedirectStandardOutput (Join-Path $TestDrive 'out.txt') -RedirectStandardError (Join-Path $TestDrive 'err.txt')
        try {
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            $listed = $null
            # The operator's pod may still be starting at the first answer (Degraded): wait for Healthy.
            while ($listed.Status -ne 'Healthy' -and [DateTime]::UtcNow -lt $deadline) {
                Start-Sleep -Milliseconds 300
                if (Test-Path $path) { $listed = Get-KubeRayOperator -KubeConfig $path -ErrorAction SilentlyContinue }
            }
            $listed.Status | Should -Be 'Healthy'
        }
        finally {
            $server | Stop-Process -Force -ErrorAction SilentlyContinue
        }
    }
}

Describe 'Get-RaySandbox and Stop-RaySandbox' {
    It 'lists running sandboxes, counts requests by verb and resource, and resets the counts' {
        $sandbox = Start-RaySandbox
        try {
            @(Get-RaySandbox).Id | Should -Contain $sandbox.Id
            $null = $sandbox | Get-RaySandbox -RequestCount -Reset
            $null = Get-RayCluster -KubeConfig $sandbox.KubeConfigPath
            $counts = @($sandbox | Get-RaySandbox -RequestCount)
            $counts | Should -HaveCount 1
            $counts[0] | Should -BeOfType RayPS.RaySandboxRequestCount
            "$($counts[0].Verb) $($counts[0].Resource) $($counts[0].Count)" | Should -Be 'list rayclusters 1'
        }
        finally {
            $sandbox | Stop-RaySandbox
        }
    }

    It 'stops by Id, frees the port, and says SandboxNotFound for an unknown Id' {
        $sandbox = Start-RaySandbox
        Stop-RaySandbox -Id $sandbox.Id
        @(Get-RaySandbox).Id | Should -Not -Contain $sandbox.Id
        $again = Start-RaySandbox -Port $sandbox.Port
        $again.Port | Should -Be $sandbox.Port
        $again | Stop-RaySandbox
        Stop-RaySandbox -Id 99999 -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'SandboxNotFound,*'
    }

    It '-All stops every sandbox of the session' {
        $null = Start-RaySandbox; $null = Start-RaySandbox
        Stop-RaySandbox -All
        @(Get-RaySandbox) | Should -BeNullOrEmpty
    }
}

Describe 'Set-RaySandboxFault' {
    BeforeAll {
        $script:sandbox = Start-RaySandbox -Controllers Deployment
        $script:kc = $sandbox.KubeConfigPath
    }
    AfterAll { $sandbox | Stop-RaySandbox }
    AfterEach { Set-RaySandboxFault -Sandbox $sandbox -Clear }

    It 'answers 503 to the next reads, which RayPS retries' {
        $rule = Set-RaySandboxFault -Sandbox $sandbox -StatusCode 503 -Resource rayclusters -Verb list -Count 2
        $rule.Kind | Should -Be 'Error'
        { Get-RayCluster -KubeConfig $kc } | Should -Not -Throw
        $rule.Hits | Should -Be 2
    }

    It 'answers 500 to every matching request until cleared, as an ErrorRecord with the server''s message' {
        $null = Set-RaySandboxFault -Sandbox $sandbox -StatusCode 500 -PathPattern '/apis/ray.io/*'
        { Get-RayCluster -KubeConfig $kc } | Should -Throw -ErrorId 'KubeApiServerError,*'
        Set-RaySandboxFault -Sandbox $sandbox -Clear
        { Get-RayCluster -KubeConfig $kc } | Should -Not -Throw
    }

    It 'adds latency' {
        $null = Set-RaySandboxFault -Sandbox $sandbox -LatencyMs 600 -Resource rayclusters
        (Measure-Command { Get-RayCluster -KubeConfig $kc }).TotalMilliseconds | Should -BeGreaterOrEqual 600
    }

    It 'changes nothing under -WhatIf' {
        Set-RaySandboxFault -Sandbox $sandbox -StatusCode 500 -WhatIf
        { Get-RayCluster -KubeConfig $kc } | Should -Not -Throw
    }
}

Describe 'Sandbox lifecycle: one rule for Ids, no arguments, no folders made' {
    It 'Get-RaySandbox -Id of no running sandbox is SandboxNotFound, as Stop-RaySandbox -Id is' {
        Get-RaySandbox -Id 99999 -ErrorVariable getFailed -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Stop-RaySandbox -Id 99999 -ErrorVariable stopFailed -ErrorAction SilentlyContinue
        $getFailed[0].FullyQualifiedErrorId | Should -Be 'SandboxNotFound,RayPS.Commands.GetRaySandboxCommand'
        $stopFailed[0].FullyQualifiedErrorId | Should -Be 'SandboxNotFound,RayPS.Commands.StopRaySandboxCommand'
        $getFailed[0].CategoryInfo.Category | Should -Be $stopFailed[0].CategoryInfo.Category
        $getFailed[0].Exception.Message | Should -Be $stopFailed[0].Exception.Message
    }

    It 'Stop-RaySandbox with no arguments stops every sandbox of the session, without asking for an object' {
        $out = Invoke-FreshPwsh @"
Import-Module '$(Get-RayPSModulePath)'
`$a = Start-RaySandbox; `$b = Start-RaySandbox
Stop-RaySandbox
'left:' + @(Get-RaySandbox).Count
'running:' + (`$a.Running -or `$b.Running)
"@
        $out | Should -Contain 'left:0'
        $out | Should -Contain 'running:False'
    }

    It 'Stop-RaySandbox still takes sandboxes from the pipeline and leaves the others running' {
        $a = Start-RaySandbox; $b = Start-RaySandbox
        try {
            $a | Stop-RaySandbox
            $a.Running | Should -BeFalse
            $b.Running | Should -BeTrue
        }
        finally { $b | Stop-RaySandbox }
    }

    It 'Start-RaySandbox -KubeConfigPath in a folder that does not exist fails before starting anything' {
        $missing = Join-Path ([IO.Path]::GetTempPath()) ('rayps-no-such-' + [Guid]::NewGuid().ToString('N'))
        $before = @(Get-RaySandbox).Count
        { Start-RaySandbox -KubeConfigPath (Join-Path $missing 'kc') } | Should -Throw -ErrorId 'SandboxKubeConfigFolderMissing,*'
        Test-Path $missing | Should -BeFalse
        @(Get-RaySandbox).Count | Should -Be $before
        try { Start-RaySandbox -KubeConfigPath (Join-Path $missing 'kc') } catch { $_.Exception.Message | Should -Match 'New-Item -ItemType Directory' }
    }
}
