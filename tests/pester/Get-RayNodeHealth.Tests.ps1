# Get-RayNodeHealth against the sandbox: real HTTPS, real proxies, the simulated KubeRay operator, kubelet and Ray.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-RayPSUnderTest
    $script:sandbox = Start-RaySandbox
    $script:kc = $sandbox.KubeConfigPath
    $script:token = Get-KubeConfigToken -Path $kc

    # A RayCluster from a manifest: a head and one worker group per entry of $Groups (name -> @{ Replicas; Image; Annotations }).
    function New-TestCluster {
        param([string] $Name, [hashtable] $Groups = @{ workergroup = @{} }, [hashtable] $HeadAnnotations = @{})
        $groupYaml = foreach ($group in $Groups.Keys | Sort-Object) {
            $g = $Groups[$group]
            $annotations = ($g.Annotations ?? @{}).GetEnumerator() | ForEach-Object { "          $($_.Key): `"$($_.Value)`"" }
            @"
  - groupName: $group
    replicas: $($g.Replicas ?? 1)
    minReplicas: 0
    maxReplicas: 10
    rayStartParams: {}
    template:
      metadata:
        annotations:
          rayps.io/test: "$group"
$($annotations -join "`n")
      spec:
        containers:
        - name: ray-worker
          image: $($g.Image ?? 'rayproject/ray:2.46.0')
          resources:
            limits: {cpu: "1", memory: 2Gi}
"@
        }
        $headLines = $HeadAnnotations.GetEnumerator() | ForEach-Object { "          $($_.Key): `"$($_.Value)`"" }
        $path = Join-Path $TestDrive "$Name.yaml"
        @"
apiVersion: ray.io/v1
kind: RayCluster
metadata:
  name: $Name
spec:
  rayVersion: '2.46.0'
  headGroupSpec:
    rayStartParams: {}
    template:
      metadata:
        annotations:
          rayps.io/test: head
$($headLines -join "`n")
      spec:
        containers:
        - name: ray-head
          image: rayproject/ray:2.46.0
          resources:
            limits: {cpu: "1", memory: 2Gi}
  workerGroupSpecs:
$($groupYaml -join "`n")
"@ | Set-Content -Path $path
        $null = New-RayCluster -Path $path -KubeConfig $kc
    }

    # Polls Get-RayNodeHealth until $Until is true for its output (or the time is up) and returns the last output.
    function Wait-Health {
        param([string] $Name, [scriptblock] $Until, [int] $TimeoutSec = 30, [hashtable] $Parameters = @{})
        $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSec)
        do {
            $nodes = @(Get-RayNodeHealth -ClusterName $Name -KubeConfig $kc @Parameters -WarningAction SilentlyContinue -ErrorAction SilentlyContinue)
            if ($nodes.Count -gt 0 -and (& $Until $nodes)) { return $nodes }
            Start-Sleep -Milliseconds 200
        } while ([DateTime]::UtcNow -lt $deadline)
        return $nodes
    }

    function Invoke-Sandbox([string] $Method, [string] $Path) {
        Invoke-RestMethod -Method $Method -Uri ($sandbox.Uri.ToString().TrimEnd('/') + $Path) -Headers @{ Authorization = "Bearer $token" } -SkipCertificateCheck
    }

    New-TestCluster -Name healthy -Groups @{ workergroup = @{ Replicas = 2 } }
    $script:healthy = Wait-Health healthy { param($n) $n.Count -eq 3 -and -not ($n | Where-Object Status -ne Healthy) }
}

AfterAll {
    if ($sandbox) { $sandbox | Stop-RaySandbox }
}

Describe 'Get-RayNodeHealth on a healthy cluster' {
    It 'returns one healthy RayNodeHealth per node with pod, raylet, GCS and Ray facts' {
        $healthy.Count | Should -Be 3
        $healthy | Should -BeOfType RayPS.RayNodeHealth
        $healthy | ForEach-Object { $_.Status | Should -Be 'Healthy'; $_.Reason | Should -BeNullOrEmpty }
        $head = $healthy | Where-Object NodeType -EQ head
        $head.GcsHealthy | Should -BeTrue
        $head.Kind | Should -Be 'RayCluster'
        foreach ($node in $healthy) {
            $node.PodPhase | Should -Be 'Running'
            $node.Ready | Should -BeTrue
            $node.RayletHealthy | Should -BeTrue
            $node.RayNodeState | Should -Be 'ALIVE'
            $node.RayNodeId | Should -Match '^[0-9a-f]{56}$'
            $node.PodIP | Should -Not -BeNullOrEmpty
            $node.ClusterName | Should -Be 'healthy'
            $node.Namespace | Should -Be 'default'
        }
        ($healthy | Where-Object NodeType -EQ worker).Group | Should -Be @('workergroup', 'workergroup')
        ($healthy | Where-Object NodeType -EQ worker | Select-Object -First 1).Cpu | Should -Be 1
    }

    It '-Summary gives one healthy summary for runbooks' {
        $summary = Get-RayNodeHealth healthy -Summary -KubeConfig $kc
        $summary | Should -BeOfType RayPS.RayClusterHealthSummary
        $summary.Status | Should -Be 'Healthy'
        $summary.Total | Should -Be 3
        $summary.Healthy | Should -Be 3
        $summary.Reason | Should -Be 'all 3 nodes healthy'
    }

    It 'takes clusters from Get-RayCluster on the pipeline' {
        $summary = Get-RayCluster -Name healthy -KubeConfig $kc | Get-RayNodeHealth -Summary -KubeConfig $kc
        $summary.ClusterName | Should -Be 'healthy'
        $summary.Status | Should -Be 'Healthy'
    }

    It 'prints a colour-free table that filters with Where-Object Status -ne Healthy' {
        $text = Get-RayNodeHealth healthy -KubeConfig $kc | Out-String -Width 250
        $text | Should -Match 'Name\s+Ready\s+Restarts\s+Status\s+Reason'
        $text | Should -Not -Match "`e\["
        @(Get-RayNodeHealth healthy -KubeConfig $kc | Where-Object Status -ne Healthy).Count | Should -Be 0
    }

    It 'writes progress and a verbose line with the timing' {
        $verbose = Get-RayNodeHealth healthy -KubeConfig $kc -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        ($verbose.Message -join "`n") | Should -Match "Cluster 'healthy' in namespace 'default': 3 pods, 3 raylet probes, 3 Ray nodes, checked in \d+ ms"
    }

    It 'traces every request to -Debug, probes included' {
        # The trace switches on from the session's $DebugPreference (a scope-local one is not seen by the cmdlet base).
        $saved = $global:DebugPreference
        try {
            $global:DebugPreference = 'Continue'
            $debug = Get-RayNodeHealth healthy -KubeConfig $kc 5>&1 | Where-Object { $_ -is [System.Management.Automation.DebugRecord] }
        }
        finally { $global:DebugPreference = $saved }
        $lines = @($debug.Message)
        $lines.Count | Should -Be 7
        @($lines -match 'GET /api/v1/namespaces/default/pods\?labelSelector=').Count | Should -Be 1
        @($lines -match 'GET /apis/apps/v1/namespaces/default/deployments\?labelSelector=').Count | Should -Be 1
        @($lines -match 'services/healthy-head-svc:dashboard/proxy/api/gcs_healthz -> 200').Count | Should -Be 1
        @($lines -match 'services/healthy-head-svc:dashboard/proxy/api/v0/nodes\?limit=10000&detail=true').Count | Should -Be 1
        @($lines -match 'pods/healthy-.+:52365/proxy/api/local_raylet_healthz -> 200').Count | Should -Be 3
    }
}

Describe 'Get-RayNodeHealth on a cluster with faults' {
    BeforeAll {
        New-TestCluster -Name faulty -Groups @{
            ok       = @{}
            sick     = @{ Annotations = @{ 'sandbox.rayps.io/raylet-healthy' = 'false' } }
            dead     = @{ Annotations = @{ 'sandbox.rayps.io/ray-node-state' = 'DEAD' } }
            slow     = @{ Annotations = @{ 'sandbox.rayps.io/probe-latency-ms' = '3000' } }
            badimage = @{ Image = 'rayproject/ray:does-not-exist' }
            oom      = @{ Annotations = @{ 'sandbox.rayps.io/oom-after-ms' = '300' } }
        }
        $script:faulty = Wait-Health faulty -Parameters @{ TimeoutSec = 1 } {
            param($n)
            ($n | Where-Object Group -EQ ok).Status -eq 'Healthy' -and
            ($n | Where-Object Group -EQ badimage).Reason -match 'ImagePullBackOff' -and
            ($n | Where-Object Group -EQ oom).LastTermination -eq 'OOMKilled' -and
            ($n | Where-Object Group -EQ dead).RayNodeState -eq 'DEAD'
        }
        function Get-Group([string] $Group) { $faulty | Where-Object { $_.Group -eq $Group -and $_.PodName } | Select-Object -First 1 }
    }

    It 'the healthy group stays Healthy next to the faults' {
        (Get-Group ok).Status | Should -Be 'Healthy'
        (Get-Group headgroup).Status | Should -Be 'Healthy'
    }

    It 'a failing raylet is Unhealthy: raylet health check failed (503)' {
        $node = Get-Group sick
        $node.Status | Should -Be 'Unhealthy'
        $node.RayletHealthy | Should -BeFalse
        $node.Reason | Should -Match 'raylet health check failed \(503: Local Raylet failed\)'
    }

    It 'a node Ray reports DEAD is Unhealthy' {
        $node = Get-Group dead
        $node.Status | Should -Be 'Unhealthy'
        $node.RayNodeState | Should -Be 'DEAD'
        $node.Reason | Should -Match 'Ray reports the node DEAD'
    }

    It 'a slow raylet times out after -TimeoutSec without stalling the rest' {
        $node = Get-Group slow
        $node.Status | Should -Be 'Unhealthy'
        $node.Reason | Should -Match 'raylet health check timed out after 1 s'
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $null = Get-RayNodeHealth faulty -KubeConfig $kc -TimeoutSec 1 -WarningAction SilentlyContinue
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 2.9
    }

    It 'an image that cannot be pulled is Pending with the image named' {
        $node = Get-Group badimage
        $node.Status | Should -Be 'Unhealthy'
        $node.PodPhase | Should -Be 'Pending'
        $node.Reason | Should -Match "^Pod Pending for \S+: (Init:)?(ImagePullBackOff|ErrImagePull) \(image 'rayproject/ray:does-not-exist' cannot be pulled\)"
        $node.RayletHealthy | Should -BeNullOrEmpty
    }

    It 'OOMKilled restarts are reported with the time' {
        $node = Get-Group oom
        $node.Status | Should -BeIn 'Degraded', 'Unhealthy'
        $node.LastTermination | Should -Be 'OOMKilled'
        $node.LastTerminationTime | Should -Not -BeNullOrEmpty
        $node.Restarts | Should -BeGreaterOrEqual 1
        $node.Reason | Should -Match 'OOMKilled'
    }

    It 'the summary names the unhealthy nodes' {
        $summary = Get-RayNodeHealth faulty -Summary -TimeoutSec 1 -KubeConfig $kc -WarningAction SilentlyContinue
        $summary.Status | Should -Be 'Degraded'
        $summary.Unhealthy | Should -BeGreaterOrEqual 4
        $summary.Reason | Should -Match 'nodes not healthy'
    }
}

Describe 'Get-RayNodeHealth when the head is down' {
    It 'reports GCS unhealthy on the head and Ray state Unknown everywhere' {
        New-TestCluster -Name headdown -HeadAnnotations @{ 'sandbox.rayps.io/gcs-healthy' = 'false' }
        $nodes = Wait-Health headdown { param($n) $n.Count -eq 2 -and ($n | Where-Object NodeType -EQ head).GcsHealthy -eq $false -and ($n | Where-Object NodeType -EQ worker).PodPhase -eq 'Running' }
        $head = $nodes | Where-Object NodeType -EQ head
        $head.Status | Should -Be 'Unhealthy'
        # GCS failing fails the head's readiness probe too, so its service loses the endpoint: GCS is then unreachable.
        $head.Reason | Should -Match '^head down: GCS (unhealthy \(503|unreachable \(no endpoints available)'
        $nodes | ForEach-Object { $_.RayNodeState | Should -Be 'Unknown' }
        ($nodes | Where-Object NodeType -EQ worker).Reason | Should -Match 'head down: GCS unhealthy, Ray node state unknown'
        (Get-RayNodeHealth headdown -Summary -KubeConfig $kc).Status | Should -Be 'Unhealthy'
    }
}

Describe 'Get-RayNodeHealth with Deployment workers and removed pods' {
    It 'reports Deployment-managed workers with Kind Deployment and their group' {
        $null = New-RayWorkerDeployment -ClusterName healthy -GroupName npu -Replicas 2 -Cpu 1 -Memory 2Gi -KubeConfig $kc -Wait
        $nodes = Wait-Health healthy { param($n) @($n | Where-Object { $_.Kind -eq 'Deployment' -and $_.Status -eq 'Healthy' }).Count -eq 2 }
        $deployed = @($nodes | Where-Object Kind -EQ Deployment)
        $deployed.Count | Should -Be 2
        $deployed | ForEach-Object {
            $_.Group | Should -Be 'npu'
            $_.DeploymentName | Should -Not -BeNullOrEmpty
            $_.Status | Should -Be 'Healthy'
            $_.RayNodeState | Should -Be 'ALIVE'
        }
    }

    It 'reports the DEAD Ray node of a removed pod with an empty PodName' {
        $victim = (Get-RayNodeHealth healthy -KubeConfig $kc | Where-Object { $_.Kind -eq 'RayCluster' -and $_.NodeType -eq 'worker' } | Select-Object -First 1)
        $null = Invoke-Sandbox DELETE "/api/v1/namespaces/default/pods/$($victim.PodName)"
        $nodes = Wait-Health healthy { param($n) $n | Where-Object { -not $_.PodName -and $_.RayNodeId -eq $victim.RayNodeId } }
        $gone = $nodes | Where-Object RayNodeId -EQ $victim.RayNodeId
        $gone.PodName | Should -BeNullOrEmpty
        $gone.RayNodeState | Should -Be 'DEAD'
        $gone.PodIP | Should -Be $victim.PodIP
        # A pod deleted gracefully stops its raylet with SIGTERM: Ray records an expected termination.
        $gone.Status | Should -Be 'Healthy'
        $gone.Reason | Should -Match '^left the cluster in order at .*: Expected termination'
    }
}

Describe 'Get-RayNodeHealth errors' {
    It 'a cluster that does not exist is RayClusterNotFound and the others still report' {
        $out = Get-RayNodeHealth -ClusterName nope, healthy -Summary -KubeConfig $kc -ErrorVariable errs -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'RayClusterNotFound,*'
        $errs[0].Exception.Message | Should -Match "no pods or Deployments there are labelled ray.io/cluster=nope"
        $out.ClusterName | Should -Be 'healthy'
    }

    It 'a user without rights gets KubeApiForbidden naming the permission' {
        $err = $null
        Get-RayNodeHealth -ClusterName healthy -KubeConfig $kc -Context rayps-sandbox-viewer -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'KubeApiForbidden,*'
        $err[0].CategoryInfo.Category | Should -Be 'PermissionDenied'
        $err[0].Exception.Message | Should -Match 'cannot list pods'
        $err[0].Exception.Message | Should -Match 'get on pods/proxy'
    }

    It '-AllNamespaces -Summary covers every cluster' {
        $all = Get-RayNodeHealth -AllNamespaces -Summary -TimeoutSec 1 -KubeConfig $kc -WarningAction SilentlyContinue
        $all.ClusterName | Should -Contain 'healthy'
        $all.ClusterName | Should -Contain 'faulty'
    }
}
