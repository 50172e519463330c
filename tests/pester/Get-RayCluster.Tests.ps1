# Get-RayCluster against the sandbox: names, wildcards, namespaces, pipeline input, errors and its single LIST.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:sandbox = Start-TestSandbox
    $script:kc = $sandbox.KubeConfigPath
    $null = New-RayCluster -Name alpha -WorkerReplicas 1 -WorkerCpu 2 -WorkerMemory 4Gi -KubeConfig $kc -Wait -TimeoutSec 120
    $null = New-RayCluster -Name beta -WorkerReplicas 0 -KubeConfig $kc
    $null = New-RayCluster -Name gamma -Namespace kube-system -WorkerReplicas 0 -KubeConfig $kc

}

AfterAll {
    Stop-TestSandbox $sandbox
}

Describe 'Get-RayCluster' {
    It 'lists the clusters of the context''s namespace as RayPS.RayCluster objects' {
        $clusters = @(Get-RayCluster -KubeConfig $kc)
        $clusters.Name | Should -Be @('alpha', 'beta')
        $clusters[0] | Should -BeOfType RayPS.RayCluster
        $clusters[0].Namespace | Should -Be 'default'
        $clusters[0].Context | Should -Be 'rayps-sandbox'
    }

    It 'reports state, workers, resources and the head of a ready cluster' {
        $alpha = Get-RayCluster alpha -KubeConfig $kc
        $alpha.State | Should -Be 'ready'
        $alpha.DesiredWorkers | Should -Be 1
        $alpha.ReadyWorkers | Should -Be 1
        $alpha.HeadServiceName | Should -Be 'alpha-head-svc'
        $alpha.HeadPodName | Should -BeLike 'alpha-head-*'
        $alpha.WorkerGroups.GroupName | Should -Be 'workergroup'
        $alpha.Conditions.Type | Should -Contain 'RayClusterProvisioned'
    }

    It 'takes wildcards, several names and another namespace' {
        (Get-RayCluster 'a*', 'beta' -KubeConfig $kc).Name | Should -Be @('alpha', 'beta')
        (Get-RayCluster -Namespace kube-system -KubeConfig $kc).Name | Should -Be 'gamma'
        @(Get-RayCluster 'z*' -KubeConfig $kc) | Should -BeNullOrEmpty
    }

    It '-AllNamespaces lists every namespace with one request' {
        $null = Get-NewRequests
        $null = Get-RayCluster -AllNamespaces -KubeConfig $kc
        $counts = Get-NewRequests
        (Get-RayCluster -AllNamespaces -KubeConfig $kc).Name | Sort-Object | Should -Be @('alpha', 'beta', 'gamma')
        "$($counts.Verb) $($counts.Resource) $($counts.Count)" | Should -Be 'list rayclusters 1'
    }

    It 'sends one LIST whatever the number of names' {
        $null = Get-NewRequests
        $null = Get-RayCluster alpha, beta, 'g*' -KubeConfig $kc
        $counts = Get-NewRequests
        @($counts).Count | Should -Be 1
        "$($counts.Verb) $($counts.Resource) $($counts.Count)" | Should -Be 'list rayclusters 1'
    }

    It 'writes RayClusterNotFound per missing name and still returns the others' {
        $found = Get-RayCluster alpha, nope -KubeConfig $kc -ErrorVariable failures -ErrorAction SilentlyContinue
        $found.Name | Should -Be 'alpha'
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'RayClusterNotFound,*'
        $failures[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $failures[0].TargetObject | Should -Be 'nope'
        { Get-RayCluster nope -KubeConfig $kc -ErrorAction Stop } | Should -Throw -ErrorId 'RayClusterNotFound,*'
    }

    It 'binds Name and Namespace from pipeline objects' {
        $found = [pscustomobject]@{ ClusterName = 'gamma'; Namespace = 'kube-system' }, [pscustomobject]@{ Name = 'beta'; Namespace = 'default' } | Get-RayCluster -KubeConfig $kc
        $found.Name | Should -Be @('gamma', 'beta')
        ('alpha' | Get-RayCluster -KubeConfig $kc).Name | Should -Be 'alpha'
    }

    It 'lists nothing in a namespace that does not exist (a LIST there is empty on a real server too)' {
        @(Get-RayCluster -Namespace no-such-ns -KubeConfig $kc) | Should -BeNullOrEmpty
        { Get-RayCluster alpha -Namespace no-such-ns -KubeConfig $kc -ErrorAction Stop } | Should -Throw -ErrorId 'RayClusterNotFound,*'
    }

    It 'shows a table view with the kubectl ray columns' {
        $text = Get-RayCluster -KubeConfig $kc | Out-String -Width 200
        $text | Should -Match 'Name\s+Namespace\s+Desired\s+Available\s+CPUs\s+GPUs\s+Memory\s+State\s+Age'
        $text | Should -Match 'alpha\s+default\s+1\s+1'
    }
}
