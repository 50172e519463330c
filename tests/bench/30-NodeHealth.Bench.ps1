# Get-RayNodeHealth on a 1000-worker cluster whose dashboard agents each take 20 ms to answer.
# Target: <= 2 s for the whole call (serial probing would take 20 s). Compared with `kubectl get pods -o json` on the same sandbox.
param([Parameter(Mandatory)] [string] $ModulePath, [int] $Workers = 1000)
Import-Module (Join-Path $PSScriptRoot 'BenchHelpers.psm1') -Force
Import-Module $ModulePath

$workers = $Workers
$latencyMs = 20
$runs = 7
$cluster = 'bench'
$defaultLimit = (Get-Command Get-RayNodeHealth).ImplementingType::new().ThrottleLimit

$sandbox = Start-RaySandbox
try {
    $kc = $sandbox.KubeConfigPath
    $manifest = Join-Path ([IO.Path]::GetTempPath()) "rayps-bench-$([Guid]::NewGuid().ToString('N')).yaml"
    @"
apiVersion: ray.io/v1
kind: RayCluster
metadata:
  name: $cluster
spec:
  rayVersion: '2.46.0'
  headGroupSpec:
    rayStartParams: {}
    template:
      metadata:
        annotations: {sandbox.rayps.io/probe-latency-ms: "$latencyMs"}
      spec:
        containers:
        - {name: ray-head, image: 'rayproject/ray:2.46.0', resources: {limits: {cpu: "1", memory: 2Gi}}}
  workerGroupSpecs:
  - groupName: workergroup
    replicas: $workers
    minReplicas: 0
    maxReplicas: $workers
    rayStartParams: {}
    template:
      metadata:
        annotations: {sandbox.rayps.io/probe-latency-ms: "$latencyMs"}
      spec:
        containers:
        - {name: ray-worker, image: 'rayproject/ray:2.46.0', resources: {limits: {cpu: "1", memory: 2Gi}}}
"@ | Set-Content $manifest
    $null = New-RayCluster -Path $manifest -KubeConfig $kc
    Remove-Item $manifest

    # Until every node is up and healthy (the sandbox schedules, starts and registers 1001 Ray nodes).
    $setup = [Diagnostics.Stopwatch]::StartNew()
    do {
        Start-Sleep -Milliseconds 500
        $summary = Get-RayNodeHealth $cluster -Summary -KubeConfig $kc -WarningAction SilentlyContinue -ErrorAction SilentlyContinue
    } until (($summary.Healthy -eq $workers + 1) -or $setup.Elapsed.TotalSeconds -gt 300)
    if ($summary.Healthy -ne $workers + 1) { throw "the $workers-worker cluster did not become healthy in 300 s: $($summary.Reason)" }

    function Measure-Ms([scriptblock] $Script, [int] $Count = $runs) {
        $null = & $Script
        foreach ($i in 1..$Count) {
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $null = & $Script
            $watch.Stop()
            $watch.Elapsed.TotalMilliseconds
        }
    }

    $nodes = @(Get-RayNodeHealth $cluster -KubeConfig $kc)
    $healthy = @($nodes | Where-Object Status -EQ Healthy).Count
    $full = @(Measure-Ms { Get-RayNodeHealth $cluster -KubeConfig $kc })
    $summaryOnly = @(Measure-Ms { Get-RayNodeHealth $cluster -Summary -KubeConfig $kc })
    $kubectl = @(Measure-Ms { kubectl --kubeconfig $kc get pods -l "ray.io/cluster=$cluster" -o json })
    $throttle = [ordered]@{}
    foreach ($limit in 8, 32, 64, 128) {
        $throttle["$limit"] = Get-Median @(Measure-Ms { Get-RayNodeHealth $cluster -KubeConfig $kc -ThrottleLimit $limit } -Count 3)
    }

    $load = Get-LoadAverage
    $medianFull = Get-Median $full
    $medianKubectl = Get-Median $kubectl
    $serialMs = ($workers + 1) * $latencyMs
    $row = { param($name, $values) "| $name | $([Math]::Round((Get-Median $values))) | $([Math]::Round(($values | Measure-Object -Minimum).Minimum)) | $([Math]::Round(($values | Measure-Object -Maximum).Maximum)) |" }
    @"
## Node health of a 1000-worker cluster

Sandbox cluster ``$cluster``: 1 head + $workers workers, every dashboard agent answering after $latencyMs ms
(``sandbox.rayps.io/probe-latency-ms``). One call = 1 pod LIST, 1 Deployment LIST, 1 GCS check, 1 node list and
$($workers + 1) raylet probes through the API server's proxies; defaults ``-ThrottleLimit $defaultLimit -TimeoutSec 2``. $runs runs
each after a warm-up, wall clock, client and sandbox in the same process$(if ($load) { "; load average during the run: $load on $([Environment]::ProcessorCount) cores" }).

| command | median ms | min | max |
|---|---:|---:|---:|
$(& $row '`Get-RayNodeHealth bench` (1001 objects)' $full)
$(& $row '`Get-RayNodeHealth bench -Summary`' $summaryOnly)
$(& $row '`kubectl get pods -l ray.io/cluster=bench -o json`' $kubectl)

| -ThrottleLimit | median ms (3 runs) |
|---:|---:|
$(($throttle.Keys | ForEach-Object { "| $_ | $([Math]::Round($throttle[$_])) |" }) -join "`n")

- **Whole call: $([Math]::Round($medianFull)) ms** for $($workers + 1) nodes ($healthy reported Healthy), target <= 2000 ms: $(if ($medianFull -le 2000) { 'met' } else { 'not met' }).
  Serial probing would take at least $serialMs ms; the bound of $defaultLimit concurrent probes gives a floor of about $([Math]::Round(($workers + 1) / $defaultLimit * $latencyMs)) ms.
- **Ratio to kubectl: $([Math]::Round($medianFull / $medianKubectl, 2))x** the time of ``kubectl get pods -o json`` (which only lists the pods, $([Math]::Round($medianKubectl)) ms,
  process start included), for pod, raylet, GCS and Ray-state health of every node.
"@
}
finally {
    $sandbox | Stop-RaySandbox
}
