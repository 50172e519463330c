# Save-RayClusterLog on a 100-worker cluster: requests and time to save every container log, and with Ray's session
# log files (-IncludeRayLogs). Compared with Get-RayNodeLog -Tail 50 on the same cluster (the runbook one-liner's read).
param([Parameter(Mandatory)] [string] $ModulePath, [int] $Workers = 100)
Import-Module (Join-Path $PSScriptRoot 'BenchHelpers.psm1') -Force
Import-Module $ModulePath

$cluster = 'logs'
$runs = 3
$sandbox = Start-RaySandbox
try {
    $kc = $sandbox.KubeConfigPath
    $null = New-RayCluster -Name $cluster -HeadCpu 1 -HeadMemory 2Gi -WorkerReplicas $Workers -WorkerCpu 1 -WorkerMemory 2Gi -KubeConfig $kc
    $setup = [Diagnostics.Stopwatch]::StartNew()
    do {
        Start-Sleep -Milliseconds 500
        $summary = Get-RayNodeHealth $cluster -Summary -KubeConfig $kc -WarningAction SilentlyContinue -ErrorAction SilentlyContinue
    } until (($summary.Healthy -eq $Workers + 1) -or $setup.Elapsed.TotalSeconds -gt 300)
    if ($summary.Healthy -ne $Workers + 1) { throw "the $Workers-worker cluster did not become healthy in 300 s: $($summary.Reason)" }

    $root = Join-Path ([IO.Path]::GetTempPath()) "rayps-bench-logs-$([Guid]::NewGuid().ToString('N'))"
    # One measured call: its wall clock, the files it wrote and the requests the sandbox served for it.
    function Measure-Call([scriptblock] $Script) {
        $null = Get-RaySandbox -InputObject $sandbox -RequestCount -Reset
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $out = @(& $Script)
        $watch.Stop()
        $requests = @(Get-RaySandbox -InputObject $sandbox -RequestCount -Reset)
        [pscustomobject]@{
            Ms       = $watch.Elapsed.TotalMilliseconds
            Outputs  = $out.Count
            Bytes    = ($out | Where-Object { $_ -is [IO.FileInfo] } | Measure-Object Length -Sum).Sum
            Requests = [int]($requests | Measure-Object Count -Sum).Sum
            ByKind   = ($requests | Sort-Object Resource, Verb | ForEach-Object { "$($_.Count) $($_.Verb) $($_.Resource)" }) -join ', '
        }
    }
    function Measure-Runs([scriptblock] $Script) {
        $null = & $Script
        $results = foreach ($i in 1..$runs) { Measure-Call $Script }
        [pscustomobject]@{ Last = $results[-1]; Median = Get-Median @($results.Ms); Min = Get-Min @($results.Ms); Max = Get-Max @($results.Ms) }
    }

    $i = 0
    $containers = Measure-Runs { Save-RayClusterLog $cluster -Path (Join-Path $root "c$((++$script:i))") -KubeConfig $kc }
    $withRay = Measure-Runs { Save-RayClusterLog $cluster -Path (Join-Path $root "r$((++$script:i))") -IncludeRayLogs -KubeConfig $kc }
    $zip = Measure-Runs { Save-RayClusterLog $cluster -Path (Join-Path $root "z$((++$script:i)).zip") -IncludeRayLogs -Zip -KubeConfig $kc }
    $tail = Measure-Runs { Get-RayNodeLog $cluster -Tail 50 -KubeConfig $kc }
    $wide = Measure-Runs { Save-RayClusterLog $cluster -Path (Join-Path $root "w$((++$script:i))") -IncludeRayLogs -ThrottleLimit 32 -KubeConfig $kc }
    Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue
    $load = Get-LoadAverage

    $row = { param($name, $m, $what) "| $name | $($m.Last.Requests) | $([Math]::Round($m.Median)) | $([Math]::Round($m.Min)) | $([Math]::Round($m.Max)) | $what |" }
    @"
## Saving the logs of a 100-worker cluster

Sandbox cluster ``$cluster``: 1 head + $Workers workers (KubeRay pods: the worker pods also have the wait-gcs-ready init container).
Everything goes through the API server: container logs via ``pods/NAME/log``, Ray's session files via the head dashboard's log API
(``/api/v0/nodes`` once, ``/api/v0/logs`` per node, ``/api/v0/logs/file`` per file) over the head service's proxy; no exec. Requests are
counted by the sandbox for the last run; times are the wall clock of $runs runs after a warm-up, client and sandbox in the same process,
default ``-ThrottleLimit 8`` unless stated$(if ($load) { "; load average during the run: $load on $([Environment]::ProcessorCount) cores (the machine is shared with other builds, so the times are pessimistic)" }).

| command | requests | median ms | min | max | output |
|---|---:|---:|---:|---:|---|
$(& $row '`Save-RayClusterLog logs -Path dir`' $containers "$($containers.Last.Outputs) files, $([Math]::Round($containers.Last.Bytes / 1KB)) KB")
$(& $row '`Save-RayClusterLog logs -Path dir -IncludeRayLogs`' $withRay "$($withRay.Last.Outputs) files, $([Math]::Round($withRay.Last.Bytes / 1KB)) KB")
$(& $row '... `-IncludeRayLogs -ThrottleLimit 32`' $wide "$($wide.Last.Outputs) files")
$(& $row '... `-IncludeRayLogs -Zip`' $zip "1 archive, $([Math]::Round($zip.Last.Bytes / 1KB)) KB")
$(& $row '`Get-RayNodeLog logs -Tail 50`' $tail "$($tail.Last.Outputs) lines")

- Requests of ``-IncludeRayLogs``: $($withRay.Last.ByKind) (1 pod LIST, 1 ``pods/log`` per container, 1 node list, 1 file listing per node and
  1 GET per file). Container logs alone: $($containers.Last.ByKind).
- The Ray files dominate: 6 files per worker node and 13 on the head (directories such as ``events/`` are not saved), each one proxied GET.
  A real head's dashboard also bounds them: its state API refuses requests beyond ``RAY_STATE_SERVER_MAX_HTTP_REQUEST`` (default 100) in
  progress, far above the default ``-ThrottleLimit 8``. ``-Zip`` adds the compression of the files, on the same busy cores.
"@
}
finally {
    $sandbox | Stop-RaySandbox
}
