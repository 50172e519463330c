BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:sandbox = Start-TestSandbox
}

AfterAll {
    Stop-TestSandbox $sandbox
}

Describe 'Wait-RayCluster -For Ready' {
    It 'a cluster that does not become ready is RayClusterNotReady, with the reason, after the timeout' {
        $null = New-RayCluster wait-never -Image rayproject/ray:does-not-exist
        $watch = [Diagnostics.Stopwatch]::StartNew()
        { Wait-RayCluster wait-never -TimeoutSec 2 -ErrorAction Stop } | Should -Throw -ErrorId 'RayClusterNotReady,*'
        $watch.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 2
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 15
        try { Wait-RayCluster wait-never -TimeoutSec 1 -ErrorAction Stop } catch { $_.Exception.Message | Should -Match "RayCluster 'wait-never' in namespace 'default' is not ready after" }
    }

    It 'a missing cluster is RayClusterNotFound and the others are still waited for' {
        $null = New-RayCluster wait-other -Image rayproject/ray:does-not-exist
        $null = Wait-RayCluster wait-missing, wait-other -TimeoutSec 2 -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors | Should -HaveCount 2
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'RayClusterNotFound,*'
        $errors[1].FullyQualifiedErrorId | Should -BeLike 'RayClusterNotReady,*'
    }

    It 'one deadline covers every cluster of the call' {
        $null = New-RayCluster wait-d1 -Image rayproject/ray:does-not-exist
        $null = New-RayCluster wait-d2 -Image rayproject/ray:does-not-exist
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $null = Get-RayCluster wait-d1, wait-d2 | Wait-RayCluster -TimeoutSec 2 -ErrorAction SilentlyContinue
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 6
    }

    It 'returns piped clusters once they are ready' {
        $null = New-RayCluster wait-ready-a -WorkerReplicas 1 -WorkerCpu 1 -WorkerMemory 1Gi
        $null = New-RayCluster wait-ready-b -WorkerReplicas 1 -WorkerCpu 1 -WorkerMemory 1Gi
        $ready = Get-RayCluster wait-ready-* | Wait-RayCluster -TimeoutSec 60
        $ready | Should -HaveCount 2
        $ready.State | Should -Be @('ready', 'ready')
    }
}

Describe 'Wait-RayCluster -For Deleted' {
    It 'returns at once for a cluster that is already gone' {
        Wait-RayCluster wait-gone -For Deleted -TimeoutSec 5 | Should -BeNullOrEmpty
    }

    It 'returns when the cluster is deleted while waiting' {
        $null = New-RayCluster wait-deleted
        $job = Start-ThreadJob -ScriptBlock {
            param($modulePath, $kubeConfig)
            Import-Module $modulePath
            Start-Sleep -Milliseconds 700
            Remove-RayCluster wait-deleted -KubeConfig $kubeConfig -Confirm:$false
        } -ArgumentList (Get-RayPSModulePath), $sandbox.KubeConfigPath
        try {
            Wait-RayCluster wait-deleted -For Deleted -TimeoutSec 20 -ErrorAction Stop
            { Get-RayCluster wait-deleted -ErrorAction Stop } | Should -Throw -ErrorId 'RayClusterNotFound,*'
        }
        finally {
            $job | Wait-Job | Remove-Job
        }
    }

    It 'a cluster nobody deletes is RayClusterDeletionTimeout' {
        $null = New-RayCluster wait-kept
        $err = $null
        try { Wait-RayCluster wait-kept -For Deleted -TimeoutSec 1 -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'RayClusterDeletionTimeout,*'
        $err.Exception.Message | Should -Match 'nobody is deleting it'
    }
}
