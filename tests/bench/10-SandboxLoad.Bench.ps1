# The sandbox's API server under load (issue #3): 200 concurrent clients, 10,000 requests, no errors; latency
# percentiles overall and per verb, and the memory of the process the sandbox runs in. The clients are
# tests/bench/LoadGenerator, in a process of their own; the sandbox runs in this pwsh, started as users start it.
param([Parameter(Mandatory)] [string] $ModulePath, [int] $Clients = 200, [int] $Cycles = 4)
Import-Module (Join-Path $PSScriptRoot 'BenchHelpers.psm1') -Force
Import-Module $ModulePath
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

$generatorProject = Join-Path $PSScriptRoot 'LoadGenerator/LoadGenerator.csproj'
$buildLog = dotnet build $generatorProject -c Release --nologo -v q -clp:ErrorsOnly 2>&1
if ($LASTEXITCODE -ne 0) { throw "building the load generator failed: $($buildLog -join "`n")" }
$generator = Join-Path $PSScriptRoot 'LoadGenerator/bin/Release/net10.0/LoadGenerator.dll'
$prefix = 'load'

$sandbox = Start-RaySandbox
try {
    $kc = $sandbox.KubeConfigPath
    $credential = Get-KubeConfigCredential $kc
    $start = [Diagnostics.ProcessStartInfo]::new('dotnet')
    foreach ($argument in $generator, '--clients', $Clients, '--cycles', $Cycles, '--prefix', $prefix) { $start.ArgumentList.Add([string] $argument) }
    $start.Environment['RAYPS_LOAD_SERVER'] = $credential.Server
    $start.Environment['RAYPS_LOAD_CA_DATA'] = $credential.CertificateAuthorityData
    $start.Environment['RAYPS_LOAD_TOKEN'] = $credential.Token
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    $start.UseShellExecute = $false

    $before = Get-ProcessMemory -FullCollection
    $null = $sandbox | Get-RaySandbox -RequestCount -Reset
    $self = [Diagnostics.Process]::GetCurrentProcess()
    $cpuBefore = $self.TotalProcessorTime
    $allocatedBefore = [GC]::GetTotalAllocatedBytes($false)
    $pauseBefore = [GC]::GetTotalPauseDuration()
    $sampler = Start-MemorySampler
    $process = [Diagnostics.Process]::Start($start)
    $stdout = $process.StandardOutput.ReadToEndAsync()
    $stderr = $process.StandardError.ReadToEndAsync()
    $process.WaitForExit()
    $self.Refresh()
    $cpuSeconds = ($self.TotalProcessorTime - $cpuBefore).TotalSeconds
    $allocatedMB = ([GC]::GetTotalAllocatedBytes($false) - $allocatedBefore) / 1MB
    $pauseSeconds = ([GC]::GetTotalPauseDuration() - $pauseBefore).TotalSeconds
    $load = Get-LoadAverage
    $served = ($sandbox | Get-RaySandbox -RequestCount | Measure-Object -Property Count -Sum).Sum
    if ($process.ExitCode -ne 0) { throw "the load generator failed ($($process.ExitCode)): $($stderr.Result)" }
    $result = $stdout.Result | ConvertFrom-Json

    # The namespace deletions finish in the background (the namespace controller empties each one first).
    $drain = [Diagnostics.Stopwatch]::StartNew()
    do {
        Start-Sleep -Milliseconds 250
        $left = @(kubectl --kubeconfig $kc get namespaces -o name | Where-Object { $_ -like "namespace/$prefix-*" }).Count
    } until ($left -eq 0 -or $drain.Elapsed.TotalSeconds -gt 120)
    $drain.Stop()
    $peak = Stop-MemorySampler $sampler
    $after = Get-ProcessMemory -FullCollection
}
finally {
    $sandbox | Stop-RaySandbox
}

function Format-Ms([double] $Value) { if ($Value -ge 100) { [Math]::Round($Value).ToString() } else { $Value.ToString('0.0') } }
function Format-Row($Stats, [string] $Name = $Stats.name) {
    "| $Name | $($Stats.count) | $($Stats.errors) | $(Format-Ms $Stats.p50) | $(Format-Ms $Stats.p95) | $(Format-Ms $Stats.p99) | $(Format-Ms $Stats.max) |"
}
$header = "| {0} | requests | errors | p50 ms | p95 ms | p99 ms | max ms |`n|---|---:|---:|---:|---:|---:|---:|"
$mb = { param($value) [Math]::Round($value) }
$targetMet = if ($result.errors -eq 0) { 'met' } else { 'NOT met' }
$statuses = ($result.statuses.PSObject.Properties | ForEach-Object { "$($_.Value) x $($_.Name)" }) -join ', '
$errorLines = foreach ($e in $result.errorSamples) { "  - $($e.count) x $($e.operation) -> $(if ($e.status) { $e.status } else { 'no answer' }): ``$($e.example -replace '\s+', ' ')``" }

@"
## Sandbox API server under load

$Clients concurrent clients (tests/bench/LoadGenerator, a separate .NET process started once the sandbox is up), each with its
own ``HttpClient`` (``SocketsHttpHandler``, ``MaxConnectionsPerServer = 1``: one keep-alive TLS connection per client),
the admin bearer token, and TLS validated against the CA from the kubeconfig that ``Start-RaySandbox`` wrote. All start
together. Each client creates its own namespace, then $Cycles times runs the life of a small RayCluster (1 head, 0 workers)
and a Service in it: discovery (``GET /api`` or ``/apis``, aggregated), create RayCluster, get it, list RayClusters
``-l app.kubernetes.io/managed-by=rayps``, merge-patch a label, JSON-patch the workers 0 -> 1 with ``test`` ops (as
Set-RayWorkerReplicas does), list pods ``-l ray.io/cluster=`` as a kubectl Table, list Deployments ``-l``, create a
Service, list Services ``-l``, delete the Service, delete the RayCluster; finally it deletes its namespace. The simulated
KubeRay operator, kubelet and garbage collector react to all of it meanwhile (head and worker pods, head services, events).
$($result.requestsPerClient) requests per client, $($result.requests) in all. Latency: from sending the request to the
last byte of the answer; a client's first request (``create namespace``) includes its TCP connect and TLS handshake.
Expected answers: 201 to a create, 200 to everything else (202 would also be accepted for a delete); anything else,
or no answer, is an error. No retries.

- **$Clients clients, $($result.requests.ToString('N0')) requests: $($result.errors) errors (target 0: $targetMet).** Answers: $statuses.$(if ($errorLines) { "`n" + ($errorLines -join "`n") })
- Total time **$($result.seconds.ToString('0.0')) s**, throughput **$([Math]::Round($result.requestsPerSecond)) requests/s**; the sandbox counted $served requests.
  CPU of the sandbox's process during the load: $($cpuSeconds.ToString('0.0')) s ($(($cpuSeconds * 1000 / $result.requests).ToString('0.0')) ms per request,
  controllers included); of the load generator: $($result.generatorCpuSeconds.ToString('0.0')) s$(if ($load) { "; load average at the end: $load on $([Environment]::ProcessorCount) cores, shared" }).
  The process allocated $([Math]::Round($allocatedMB).ToString('N0')) MB meanwhile ($([Math]::Round($allocatedMB * 1024 / $result.requests)) KB per request) and spent $($pauseSeconds.ToString('0.0')) s in GC pauses.
- The $Clients namespaces were gone $($drain.Elapsed.TotalSeconds.ToString('0.0')) s after the last answer$(if ($left) { " (NOT: $left left after 120 s)" }).

$($header -f 'verb')
$(Format-Row $result.overall '**all**')
$(($result.verbs | ForEach-Object { Format-Row $_ }) -join "`n")

$($header -f 'request')
$(($result.operations | ForEach-Object { Format-Row $_ }) -join "`n")

Memory of the bench's pwsh process, which hosts the sandbox (so pwsh and the module are included): before the load
(after a full GC), peak during the load and the namespace clean-up ($(if ($peak.PeakWorkingSetExact) { 'working set: the kernel''s peak RSS mark, reset at the start' } else { 'working set sampled' }); GC heap sampled every 100 ms, $($peak.Samples) samples), and after (full GC).

| | working set MB | GC heap MB |
|---|---:|---:|
| before | $(& $mb $before.WorkingSetMB) | $(& $mb $before.GcHeapMB) |
| peak during | $(& $mb $peak.WorkingSetMB) | $(& $mb $peak.GcHeapMB) |
| after | $(& $mb $after.WorkingSetMB) | $(& $mb $after.GcHeapMB) |
"@
