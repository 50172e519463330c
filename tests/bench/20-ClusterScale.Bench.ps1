# A 1000-worker RayCluster on the sandbox (issue #4), with the module's cmdlets only: time from New-RayCluster to
# ready, the reads that follow (Get-RayCluster, kubectl's pod list, Ray node health), Remove-RayCluster -Wait,
# and the memory of the process the sandbox runs in. Target: the cluster reaches ready on this 2-core machine.
param([Parameter(Mandatory)] [string] $ModulePath, [int] $Workers = 1000, [int] $TimeoutSec = 600)
Import-Module (Join-Path $PSScriptRoot 'BenchHelpers.psm1') -Force
Import-Module $ModulePath
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

$cluster = 'scale'
$nodes = $Workers + 1
$runs = 3

function Measure-Ms([scriptblock] $Script, [int] $Count = $runs) {
    foreach ($i in 1..$Count) {
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $null = & $Script
        $watch.Stop()
        $watch.Elapsed.TotalMilliseconds
    }
}

$sandbox = Start-RaySandbox
try {
    $kc = $sandbox.KubeConfigPath
    # The session's first call pays for the client's JIT and connection; keep that out of the create's time.
    $null = Get-RayCluster -KubeConfig $kc
    $before = Get-ProcessMemory -FullCollection
    $self = [Diagnostics.Process]::GetCurrentProcess()
    $cpuBefore = $self.TotalProcessorTime
    $sampler = Start-MemorySampler

    $clock = [Diagnostics.Stopwatch]::StartNew()
    $null = New-RayCluster -Name $cluster -WorkerReplicas $Workers -WorkerMaxReplicas $Workers -WorkerCpu 100m -WorkerMemory 128Mi `
        -HeadCpu 500m -HeadMemory 1Gi -KubeConfig $kc
    $createMs = $clock.Elapsed.TotalMilliseconds
    $readyError = $null
    try {
        $ready = Wait-RayCluster $cluster -For Ready -TimeoutSec $TimeoutSec -KubeConfig $kc -ErrorAction Stop
    }
    catch {
        $readyError = $_.Exception.Message
    }
    $readySeconds = $clock.Elapsed.TotalSeconds
    $self.Refresh()
    $readyCpuSeconds = ($self.TotalProcessorTime - $cpuBefore).TotalSeconds
    $afterReady = Get-ProcessMemory -FullCollection

    # Ray registers a node once its raylet is up; give stragglers a minute after KubeRay's ready.
    $healthClock = [Diagnostics.Stopwatch]::StartNew()
    $healthChecks = 0
    do {
        if ($healthChecks++) { Start-Sleep -Milliseconds 500 }
        $summary = Get-RayNodeHealth $cluster -Summary -KubeConfig $kc -WarningAction SilentlyContinue -ErrorAction SilentlyContinue
    } until ($summary.Healthy -eq $nodes -or $healthClock.Elapsed.TotalSeconds -gt 60)
    $healthSeconds = $healthClock.Elapsed.TotalSeconds

    $getCluster = @(Measure-Ms { Get-RayCluster $cluster -KubeConfig $kc } -Count 5)
    $listed = Get-RayCluster $cluster -KubeConfig $kc
    $kubectlPods = @(Measure-Ms { kubectl --kubeconfig $kc get pods -l "ray.io/cluster=$cluster" --no-headers })
    $podLines = @(kubectl --kubeconfig $kc get pods -l "ray.io/cluster=$cluster" --no-headers)
    $runningReady = @($podLines | Where-Object { ($_ -split '\s+')[1] -eq '1/1' -and ($_ -split '\s+')[2] -eq 'Running' }).Count
    $nodeHealth = @(Measure-Ms { Get-RayNodeHealth $cluster -Summary -KubeConfig $kc -WarningAction SilentlyContinue })

    $removeClock = [Diagnostics.Stopwatch]::StartNew()
    Remove-RayCluster $cluster -Wait -TimeoutSec $TimeoutSec -Confirm:$false -KubeConfig $kc
    $removeSeconds = $removeClock.Elapsed.TotalSeconds
    $podsLeft = @(kubectl --kubeconfig $kc get pods -l "ray.io/cluster=$cluster" --no-headers 2>$null).Count
    $peak = Stop-MemorySampler $sampler
    $after = Get-ProcessMemory -FullCollection
    $load = Get-LoadAverage
}
finally {
    $sandbox | Stop-RaySandbox
}

$mb = { param($value) [Math]::Round($value) }
$row = { param($name, $values) "| $name | $([Math]::Round((Get-Median $values))) | $([Math]::Round(($values | Measure-Object -Minimum).Minimum)) | $([Math]::Round(($values | Measure-Object -Maximum).Maximum)) |" }
$readyLine = if ($readyError) {
    "**$Workers workers NOT ready after $($readySeconds.ToString('0.0')) s (target: reaches ready: NOT met)**: $readyError"
}
else {
    "**$Workers workers ready in $($readySeconds.ToString('0.0')) s (target: reaches ready: met)**; ``Wait-RayCluster`` returned State ``$($ready.State)``, $($ready.AvailableWorkers) of $($ready.DesiredWorkers) workers available."
}

@"
## A 1000-worker RayCluster

A fresh ``Start-RaySandbox`` (the simulated cluster's default timings). ``New-RayCluster $cluster -WorkerReplicas $Workers``
(workers 100m CPU / 128Mi, head 500m / 1Gi), then ``Wait-RayCluster $cluster -For Ready`` (one watch): the time runs from
the create to KubeRay's ready. Client and sandbox share this pwsh process$(if ($load) { "; load average at the end: $load on $([Environment]::ProcessorCount) cores, shared" }).

- $readyLine
  The create itself (one POST): $([Math]::Round($createMs)) ms. CPU of the process until ready: $($readyCpuSeconds.ToString('0.0')) s.
- Ray nodes: **$($summary.Healthy) of $nodes healthy** (raylet answers, ALIVE in Ray's node list, matched to its pod; ``Get-RayNodeHealth -Summary``
  reports $($summary.Total) nodes, status $($summary.Status)) at check $healthChecks after ready, which returned $($healthSeconds.ToString('0.0')) s after ready.
- ``kubectl get pods -l ray.io/cluster=$cluster --no-headers``: **$($podLines.Count) pods**, $runningReady of them ``1/1 Running``;
  ``Get-RayCluster``: State ``$($listed.State)``, $($listed.AvailableWorkers) available workers.
- ``Remove-RayCluster $cluster -Wait``: **$($removeSeconds.ToString('0.0')) s** until the cluster and all its pods were gone ($podsLeft pods left).

| command, on the ready cluster | median ms | min | max |
|---|---:|---:|---:|
$(& $row '`Get-RayCluster scale` (5 runs)' $getCluster)
$(& $row "``kubectl get pods -l ray.io/cluster=$cluster --no-headers`` ($runs runs, process start included)" $kubectlPods)
$(& $row "``Get-RayNodeHealth $cluster -Summary`` ($runs runs, $nodes raylet probes each)" $nodeHealth)

Memory of the bench's pwsh process, which hosts the sandbox and runs the cmdlets: before the create (after a full GC),
once ready (after a full GC: what a $Workers-worker cluster keeps alive), peak from the create to the end of the removal
($(if ($peak.PeakWorkingSetExact) { 'working set: the kernel''s peak RSS mark, reset at the create' } else { 'working set sampled' }); GC heap sampled every 100 ms), and after the removal (full GC).

| | working set MB | GC heap MB |
|---|---:|---:|
| before | $(& $mb $before.WorkingSetMB) | $(& $mb $before.GcHeapMB) |
| ready | $(& $mb $afterReady.WorkingSetMB) | $(& $mb $afterReady.GcHeapMB) |
| peak | $(& $mb $peak.WorkingSetMB) | $(& $mb $peak.GcHeapMB) |
| after removal | $(& $mb $after.WorkingSetMB) | $(& $mb $after.GcHeapMB) |
"@
