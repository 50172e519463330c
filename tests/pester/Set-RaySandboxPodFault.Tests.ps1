# Set-RaySandboxPodFault: pod faults for runbook tests, without kubectl, seen by Get-RayNodeHealth on the sandbox.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:sandbox = Start-TestSandbox
    $script:kc = $sandbox.KubeConfigPath
    $null = New-RayCluster -Name faults -HeadCpu 1 -HeadMemory 2Gi -WorkerReplicas 2 -WorkerCpu 1 -WorkerMemory 2Gi -KubeConfig $kc -Wait -TimeoutSec 120
    $script:workers = @(Get-RayNodeHealth faults -KubeConfig $kc | Where-Object NodeType -EQ worker | Sort-Object PodName)

    function Get-NodeStatus([string] $PodName) {
        Get-RayNodeHealth faults -KubeConfig $kc | Where-Object PodName -EQ $PodName
    }
}

AfterAll {
    Stop-TestSandbox $sandbox
}

Describe 'Set-RaySandboxPodFault' {
    It 'makes a raylet unhealthy from a Get-RayNodeHealth object in the pipeline, and healthy again' {
        $workers[0].Status | Should -Be 'Healthy'
        $fault = $workers[0] | Set-RaySandboxPodFault -RayletHealthy $false -PassThru
        $fault | Should -BeOfType RayPS.RaySandboxPodFault
        $fault.PodName | Should -Be $workers[0].PodName
        $fault.RayletHealthy | Should -BeFalse
        (Get-NodeStatus $workers[0].PodName).RayletHealthy | Should -BeFalse
        (Get-NodeStatus $workers[0].PodName).Status | Should -Be 'Unhealthy'
        (Get-NodeStatus $workers[1].PodName).Status | Should -Be 'Healthy'

        Set-RaySandboxPodFault -PodName $workers[0].PodName -RayletHealthy $true
        (Get-NodeStatus $workers[0].PodName).Status | Should -Be 'Healthy'
    }

    It 'reports a DEAD Ray node, writes the same annotation kubectl would, and -Clear removes every fault' {
        $pod = $workers[1].PodName
        Set-RaySandboxPodFault -PodName $pod -RayNodeState DEAD -ProbeLatencyMs 5
        (Get-NodeStatus $pod).RayNodeState | Should -Be 'DEAD'
        $annotations = (Invoke-RestMethod -Uri "$($sandbox.Uri)api/v1/namespaces/default/pods/$pod" -SkipCertificateCheck `
                -Headers @{ Authorization = "Bearer $(Get-KubeConfigToken $kc)" }).metadata.annotations
        $annotations.'sandbox.rayps.io/ray-node-state' | Should -Be 'DEAD'
        $annotations.'sandbox.rayps.io/probe-latency-ms' | Should -Be '5'

        $cleared = Set-RaySandboxPodFault -PodName $pod -Clear -PassThru
        $cleared.RayNodeState | Should -BeNullOrEmpty
        $cleared.ProbeLatencyMs | Should -BeNullOrEmpty
        (Get-NodeStatus $pod).RayNodeState | Should -Be 'ALIVE'
    }

    It 'changes nothing with -WhatIf' {
        Set-RaySandboxPodFault -PodName $workers[0].PodName -RayletHealthy $false -WhatIf
        (Get-NodeStatus $workers[0].PodName).Status | Should -Be 'Healthy'
    }

    It 'writes PodNotFound per missing pod and goes on with the next' {
        $names = [pscustomobject]@{ PodName = 'no-such-pod'; Namespace = 'default' }, [pscustomobject]@{ PodName = $workers[0].PodName; Namespace = 'default' }
        $out = $names | Set-RaySandboxPodFault -OomAfterMs 60000 -PassThru -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'PodNotFound,*'
        $failures[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        @($out).Count | Should -Be 1
        $out.OomAfterMs | Should -Be 60000
        Set-RaySandboxPodFault -PodName $workers[0].PodName -Clear
    }

    It 'refuses a call that names no fault' {
        { Set-RaySandboxPodFault -PodName $workers[0].PodName } | Should -Throw -ErrorId 'PodFaultMissing,*'
    }

    It 'picks the sandbox $env:KUBECONFIG points at when several run, else asks which, and says when none runs' {
        $second = Start-RaySandbox -Controllers Deployment
        $saved = $env:KUBECONFIG
        try {
            $env:KUBECONFIG = $sandbox.KubeConfigPath
            (Set-RaySandboxPodFault -PodName $workers[0].PodName -RayletHealthy $false -PassThru).SandboxId | Should -Be $sandbox.Id
            $env:KUBECONFIG = $kc + '.elsewhere'
            { Set-RaySandboxPodFault -PodName $workers[0].PodName -RayletHealthy $true } | Should -Throw -ErrorId 'SandboxNotFound,*'
            Set-RaySandboxPodFault -Sandbox $sandbox -PodName $workers[0].PodName -RayletHealthy $true
        }
        finally {
            $env:KUBECONFIG = $saved
            $second | Stop-RaySandbox
        }
        $out = Invoke-FreshPwsh "Import-Module '$(Get-RayPSModulePath)'; try { Set-RaySandboxPodFault -PodName x -RayletHealthy `$false } catch { `$_.FullyQualifiedErrorId }"
        $out | Should -BeLike 'SandboxNotFound,*'
    }
}
