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

    It '-Seed reproduces which workers a plain scale-down removes; without it a random seed is reported' {
        $first = Start-RaySandbox -Seed 7 -Controllers KubeRay, Deployment
        $second = Start-RaySandbox -Seed 7 -Controllers KubeRay, Deployment
        $unseeded = Start-RaySandbox -Controllers KubeRay, Deployment
        try {
            $first.Seed | Should -Be 7
            $unseeded.Seed | Should -BeOfType [int]
            $survivors = foreach ($s in $first, $second) {
                $null = New-RayCluster -Name seeded -HeadCpu 1 -HeadMemory 1Gi -WorkerReplicas 4 -WorkerMaxReplicas 4 -KubeConfig $s.KubeConfigPath
                $headers = @{ Authorization = 'Bearer ' + (Get-KubeConfigToken $s.KubeConfigPath) }
                $base = $s.Uri.ToString().TrimEnd('/')
                $workers = { @((Invoke-RestMethod "$base/api/v1/namespaces/default/pods?labelSelector=ray.io/node-type%3Dworker" -Headers $headers -SkipCertificateCheck).items) }
                $deadline = [DateTime]::UtcNow.AddSeconds(30)
                while ((& $workers).Count -ne 4 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
                # A plain scale-down (no workersToDelete), which RayPS itself never sends.
                $null = Invoke-RestMethod -Method Patch "$base/apis/ray.io/v1/namespaces/default/rayclusters/seeded" -Headers $headers -SkipCertificateCheck `
                    -ContentType 'application/json-patch+json' -Body '[{"op":"replace","path":"/spec/workerGroupSpecs/0/replicas","value":1}]'
                while ((& $workers).Count -ne 1 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
                $left = & $workers
                $left.Count | Should -Be 1
                $left[0].metadata.name
            }
            $survivors[0] | Should -Be $survivors[1]
        }
        finally {
            $first, $second, $unseeded | Stop-RaySandbox
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

Describe 'The simulated KubeRay operator and RBAC, as the real ones behave' {
    BeforeAll {
        # A REST call as the sandbox's admin (or another token), for what no RayPS cmdlet does.
        function Invoke-AsUser($Sandbox, [string] $Method, [string] $Path, [string] $Body, [string] $Token, [string] $ContentType = 'application/json') {
            if (-not $Token) { $Token = Get-KubeConfigToken $Sandbox.KubeConfigPath }
            $call = @{ Uri = $Sandbox.Uri.ToString().TrimEnd('/') + $Path; Method = $Method; Headers = @{ Authorization = "Bearer $Token" }; SkipCertificateCheck = $true }
            if ($Body) { $call.Body = $Body; $call.ContentType = $ContentType }
            Invoke-RestMethod @call
        }
        function Wait-Until([scriptblock] $Condition, [string] $What) {
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            while (-not (& $Condition)) {
                if ([DateTime]::UtcNow -gt $deadline) { throw "timed out waiting for $What" }
                Start-Sleep -Milliseconds 50
            }
        }
        function Get-Condition($Sandbox, [string] $Cluster, [string] $Type) {
            (Invoke-AsUser $Sandbox GET "/apis/ray.io/v1/namespaces/default/rayclusters/$Cluster").status.conditions | Where-Object type -EQ $Type
        }
    }

    It 'suspends through RayClusterSuspending with one DeletedPod event; after a resume state stays suspended while pods are Pending' {
        $sandbox = Start-RaySandbox -Controllers KubeRay, Deployment
        try {
            $kc = $sandbox.KubeConfigPath
            $null = New-RayCluster -Name sus -HeadCpu 1 -HeadMemory 1Gi -WorkerReplicas 1 -KubeConfig $kc
            $pods = { @((Invoke-AsUser $sandbox GET '/api/v1/namespaces/default/pods?labelSelector=ray.io/cluster%3Dsus').items) }
            Wait-Until { (& $pods).Count -eq 2 } 'two pods'
            @((Invoke-AsUser $sandbox GET '/apis/ray.io/v1/namespaces/default/rayclusters/sus').status.conditions).type |
                Should -Be @('HeadPodReady', 'RayClusterProvisioned', 'RayClusterSuspended', 'RayClusterSuspending')

            $null = Invoke-AsUser $sandbox PATCH '/apis/ray.io/v1/namespaces/default/rayclusters/sus' '{"spec":{"suspend":true}}' -ContentType 'application/merge-patch+json'
            Wait-Until { (Get-RayCluster sus -KubeConfig $kc).State -eq 'suspended' } 'state suspended'
            (& $pods).Count | Should -Be 0
            (Get-Condition $sandbox sus RayClusterSuspended).status | Should -Be 'True'
            (Get-Condition $sandbox sus RayClusterSuspending).status | Should -Be 'False'
            (Get-Condition $sandbox sus RayClusterProvisioned).message | Should -Be 'RayCluster has been suspended'
            $deleted = @((Invoke-AsUser $sandbox GET '/api/v1/namespaces/default/events').items | Where-Object reason -Like 'Deleted*')
            $deleted.Count | Should -Be 1
            $deleted[0].reason | Should -Be 'DeletedPod'
            $deleted[0].message | Should -Be 'Deleted Pods for RayCluster default/sus due to suspension'

            $null = Invoke-AsUser $sandbox PATCH '/apis/ray.io/v1/namespaces/default/rayclusters/sus' '{"spec":{"suspend":false}}' -ContentType 'application/merge-patch+json'
            Wait-Until { (& $pods).Count -eq 2 } 'pods back'
            (Get-Condition $sandbox sus RayClusterSuspended).status | Should -Be 'False'
            # As on the real operator: nothing runs yet, so the state is still the last one reached.
            (Get-RayCluster sus -KubeConfig $kc).State | Should -Be 'suspended'
        }
        finally {
            $sandbox | Stop-RaySandbox
        }
    }

    It 'a resumed cluster becomes ready again once its pods run' {
        $sandbox = Start-RaySandbox
        try {
            $kc = $sandbox.KubeConfigPath
            $null = New-RayCluster -Name back -HeadCpu 1 -HeadMemory 1Gi -WorkerReplicas 1 -KubeConfig $kc -Wait
            $null = Invoke-AsUser $sandbox PATCH '/apis/ray.io/v1/namespaces/default/rayclusters/back' '{"spec":{"suspend":true}}' -ContentType 'application/merge-patch+json'
            Wait-Until { (Get-RayCluster back -KubeConfig $kc).State -eq 'suspended' } 'state suspended'
            $null = Invoke-AsUser $sandbox PATCH '/apis/ray.io/v1/namespaces/default/rayclusters/back' '{"spec":{"suspend":false}}' -ContentType 'application/merge-patch+json'
            Wait-Until { (Get-RayCluster back -KubeConfig $kc).State -eq 'ready' } 'state ready'
            (Get-Condition $sandbox back RayClusterProvisioned).status | Should -Be 'True'
        }
        finally {
            $sandbox | Stop-RaySandbox
        }
    }

    It 'gives the viewer what a RoleBinding grants, in its namespace only, and says why in a SelfSubjectAccessReview' {
        $sandbox = Start-RaySandbox
        try {
            $kc = $sandbox.KubeConfigPath
            $viewer = Get-KubeConfigToken $kc -User 'rayps-sandbox-viewer'
            $null = New-RayCluster -Name shared -HeadCpu 1 -HeadMemory 1Gi -WorkerReplicas 0 -KubeConfig $kc
            { Get-RayCluster -KubeConfig $kc -Context rayps-sandbox-viewer } | Should -Throw -ErrorId 'KubeApiForbidden,*'

            $null = Invoke-AsUser $sandbox POST '/apis/rbac.authorization.k8s.io/v1/clusterroles' (@{
                    apiVersion = 'rbac.authorization.k8s.io/v1'; kind = 'ClusterRole'; metadata = @{ name = 'raycluster-reader' }
                    rules = @(@{ apiGroups = @('ray.io'); resources = @('rayclusters'); verbs = @('get', 'list', 'watch') })
                } | ConvertTo-Json -Depth 5)
            $null = Invoke-AsUser $sandbox POST '/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings' (@{
                    apiVersion = 'rbac.authorization.k8s.io/v1'; kind = 'RoleBinding'; metadata = @{ name = 'viewer-reads'; namespace = 'default' }
                    roleRef = @{ apiGroup = 'rbac.authorization.k8s.io'; kind = 'ClusterRole'; name = 'raycluster-reader' }
                    subjects = @(@{ apiGroup = 'rbac.authorization.k8s.io'; kind = 'User'; name = 'viewer' })
                } | ConvertTo-Json -Depth 5)

            (Get-RayCluster -KubeConfig $kc -Context rayps-sandbox-viewer).Name | Should -Be 'shared'
            { Get-RayCluster -AllNamespaces -KubeConfig $kc -Context rayps-sandbox-viewer } | Should -Throw -ErrorId 'KubeApiForbidden,*'
            { New-RayCluster -Name nope -WorkerReplicas 0 -KubeConfig $kc -Context rayps-sandbox-viewer } | Should -Throw -ErrorId 'KubeApiForbidden,*'
            @((Invoke-AsUser $sandbox GET '/apis/ray.io/v1/namespaces/default/rayclusters').items).Count | Should -Be 1

            $review = Invoke-AsUser $sandbox POST '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews' -Token $viewer (@{
                    apiVersion = 'authorization.k8s.io/v1'; kind = 'SelfSubjectAccessReview'
                    spec = @{ resourceAttributes = @{ namespace = 'default'; verb = 'list'; group = 'ray.io'; resource = 'rayclusters' } }
                } | ConvertTo-Json -Depth 5)
            $review.status.allowed | Should -BeTrue
            $review.status.reason | Should -Be 'RBAC: allowed by RoleBinding "viewer-reads/default" of ClusterRole "raycluster-reader" to User "viewer"'
        }
        finally {
            $sandbox | Stop-RaySandbox
        }
    }

    It 'creates an autoscaled cluster''s ServiceAccount, Role and RoleBinding, owned by it and removed with it' {
        $sandbox = Start-RaySandbox -Controllers KubeRay, Deployment
        try {
            $kc = $sandbox.KubeConfigPath
            $null = New-RayCluster -Name auto -HeadCpu 1 -HeadMemory 1Gi -WorkerReplicas 0 -EnableAutoscaling -KubeConfig $kc
            Wait-Until { @((Invoke-AsUser $sandbox GET '/api/v1/namespaces/default/pods?labelSelector=ray.io/cluster%3Dauto').items).Count -eq 1 } 'the head pod'
            $head = @((Invoke-AsUser $sandbox GET '/api/v1/namespaces/default/pods?labelSelector=ray.io/cluster%3Dauto').items)[0]
            $head.spec.serviceAccountName | Should -Be 'auto'
            $role = Invoke-AsUser $sandbox GET '/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles/auto'
            $role.metadata.ownerReferences[0].kind | Should -Be 'RayCluster'
            ($role.rules | ForEach-Object { $_.resources }) | Should -Be @('pods', 'rayclusters')
            (Invoke-AsUser $sandbox GET '/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings/auto').subjects[0].name | Should -Be 'auto'
            $reasons = @((Invoke-AsUser $sandbox GET '/api/v1/namespaces/default/events').items | ForEach-Object reason)
            $reasons | Should -Contain 'CreatedServiceAccount'
            $reasons | Should -Contain 'CreatedRole'
            $reasons | Should -Contain 'CreatedRoleBinding'

            Remove-RayCluster auto -KubeConfig $kc -Confirm:$false -Wait
            Wait-Until { @((Invoke-AsUser $sandbox GET '/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles').items).Count -eq 0 } 'the Role collected'
            @((Invoke-AsUser $sandbox GET '/api/v1/namespaces/default/serviceaccounts').items | ForEach-Object { $_.metadata.name }) | Should -Be @('default')
        }
        finally {
            $sandbox | Stop-RaySandbox
        }
    }
}
