# Dashboard port-forward: Start-RayDashboard through the sandbox's API server (HTTPS, WebSocket v4.channel.k8s.io) against
# the same simulated dashboard served directly on a plain-HTTP loopback port, in the same run. Target: a 100 MB download
# through the session at >= 0.5 of the direct rate. Also: start time and first-request latency.
param([Parameter(Mandatory)] [string] $ModulePath)
Import-Module (Join-Path $PSScriptRoot 'BenchHelpers.psm1') -Force
Import-Module $ModulePath -Force
$ErrorActionPreference = 'Stop'

$downloadBytes = 100MB
# Steady state: every path first carries $warmUpRuns downloads (tiered JIT settles), then $downloadRuns alternating ones count.
$warmUpRuns = 10
$downloadRuns = 9
$kubectlRuns = 5
$latencyRuns = 30
$startRuns = 5

# Milliseconds of one GET, body read to the end. -Fresh opens a new connection (and so a new port-forward stream).
function Measure-Get([System.Net.Http.HttpClient] $Client, [string] $Uri, [switch] $Fresh) {
    $request = [System.Net.Http.HttpRequestMessage]::new('GET', $Uri)
    $request.Headers.ConnectionClose = [bool] $Fresh
    $watch = [Diagnostics.Stopwatch]::StartNew()
    $response = $Client.SendAsync($request, [System.Net.Http.HttpCompletionOption]::ResponseHeadersRead).GetAwaiter().GetResult()
    $null = $response.Content.CopyToAsync([IO.Stream]::Null).GetAwaiter().GetResult()
    $watch.Stop()
    if (-not $response.IsSuccessStatusCode) { throw "GET $Uri answered $([int] $response.StatusCode)" }
    $response.Dispose()
    return $watch.Elapsed.TotalMilliseconds
}

# MB/s of one download of $downloadBytes, on a fresh connection; adds this process's CPU time for it to $CpuMs.
function Measure-Download([System.Net.Http.HttpClient] $Client, [string] $BaseUri, [Collections.Generic.List[double]] $CpuMs) {
    $cpu = [Diagnostics.Process]::GetCurrentProcess().TotalProcessorTime
    $ms = Measure-Get $Client "${BaseUri}api/sandbox/blob?bytes=$downloadBytes" -Fresh
    $CpuMs.Add(([Diagnostics.Process]::GetCurrentProcess().TotalProcessorTime - $cpu).TotalMilliseconds)
    return ($downloadBytes / 1MB) / ($ms / 1000)
}

function Get-FreeTcpPort {
    $probe = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $probe.Start()
    try { $probe.LocalEndpoint.Port } finally { $probe.Stop() }
}

# The floor of any port-forward through an HTTPS API server here: a TLS hop, and a TLS hop plus a plain relay hop (TlsFloor.cs).
Add-Type -Path (Join-Path $PSScriptRoot 'TlsFloor.cs')
function Measure-TlsFloor([switch] $WithRelayHop) {
    $null = foreach ($i in 1..5) { [RayPSBenchTlsFloor]::Measure($downloadBytes, [bool] $WithRelayHop) }
    $runs = @(foreach ($i in 1..7) { , [RayPSBenchTlsFloor]::Measure($downloadBytes, [bool] $WithRelayHop) })
    [pscustomobject]@{ Rate = Get-Median @($runs | ForEach-Object { $_[0] }); Cpu = Get-Median @($runs | ForEach-Object { $_[1] }) }
}

$sandbox = Start-RaySandbox
$http = [System.Net.Http.HttpClient]::new()
$http.Timeout = [TimeSpan]::FromMinutes(5)
try {
    $kc = $sandbox.KubeConfigPath
    $null = New-RayCluster -Name bench -HeadCpu 1 -HeadMemory 1Gi -KubeConfig $kc -Wait -TimeoutSec 120
    # The direct dashboard has no cmdlet: reach the sandbox's StartDirectDashboardAsync through the RaySandbox object.
    $server = $sandbox.GetType().GetProperty('Server', [Reflection.BindingFlags] 'Instance,NonPublic').GetValue($sandbox)
    $direct = [string] $server.StartDirectDashboardAsync('default', 'bench', [Threading.CancellationToken]::None).GetAwaiter().GetResult()

    # Start-RayDashboard wall time, and the first request right after it (a fresh connection: a new stream).
    $startMs = [Collections.Generic.List[double]]::new()
    $firstMs = [Collections.Generic.List[double]]::new()
    foreach ($i in 1..$startRuns) {
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $session = Start-RayDashboard bench -LocalPort 0 -KubeConfig $kc
        $watch.Stop()
        $startMs.Add($watch.Elapsed.TotalMilliseconds)
        $firstMs.Add((Measure-Get $http "$($session.Url)api/version" -Fresh))
        $session | Stop-RayDashboard
    }

    $session = Start-RayDashboard bench -LocalPort 0 -KubeConfig $kc
    $viaSession = [string] $session.Url
    $null = Measure-Get $http "${viaSession}api/version" -Fresh
    $null = Measure-Get $http "${direct}api/version" -Fresh

    $freshSession = @(foreach ($i in 1..$latencyRuns) { Measure-Get $http "${viaSession}api/version" -Fresh })
    $freshDirect = @(foreach ($i in 1..$latencyRuns) { Measure-Get $http "${direct}api/version" -Fresh })
    $keptSession = @(foreach ($i in 1..$latencyRuns) { Measure-Get $http "${viaSession}api/version" })
    $keptDirect = @(foreach ($i in 1..$latencyRuns) { Measure-Get $http "${direct}api/version" })

    # Cold: the first download through each, as a user's first large request meets it (code not yet optimised).
    $ignoredCpu = [Collections.Generic.List[double]]::new()
    $coldSession = Measure-Download $http $viaSession $ignoredCpu
    $coldDirect = Measure-Download $http $direct $ignoredCpu
    foreach ($i in 2..$warmUpRuns) {
        $null = Measure-Download $http $viaSession $ignoredCpu
        $null = Measure-Download $http $direct $ignoredCpu
    }
    $rateSession = [Collections.Generic.List[double]]::new()
    $rateDirect = [Collections.Generic.List[double]]::new()
    $cpuSession = [Collections.Generic.List[double]]::new()
    $cpuDirect = [Collections.Generic.List[double]]::new()
    foreach ($i in 1..$downloadRuns) {
        $rateSession.Add((Measure-Download $http $viaSession $cpuSession))
        $rateDirect.Add((Measure-Download $http $direct $cpuDirect))
    }

    # The seed's way: kubectl port-forward to the head service, when kubectl is installed.
    $kubectl = Get-Command kubectl -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    $rateKubectl = [Collections.Generic.List[double]]::new()
    $kubectlVersion = $null
    if ($kubectl) {
        $kubectlVersion = (& $kubectl.Source version --client -o json 2>$null | ConvertFrom-Json).clientVersion.gitVersion
        $kubectlPort = Get-FreeTcpPort
        $kubectlLogs = @('out', 'err' | ForEach-Object { Join-Path ([IO.Path]::GetTempPath()) "rayps-bench-kpf-$PID.$_" })
        $forward = Start-Process $kubectl.Source -ArgumentList "--kubeconfig=$kc", 'port-forward', 'svc/bench-head-svc', "${kubectlPort}:8265" -PassThru `
            -RedirectStandardOutput $kubectlLogs[0] -RedirectStandardError $kubectlLogs[1]
        try {
            $viaKubectl = "http://127.0.0.1:$kubectlPort/"
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            while ($true) {
                try { $null = Measure-Get $http "${viaKubectl}api/version" -Fresh; break }
                catch { if ([DateTime]::UtcNow -gt $deadline) { throw "kubectl port-forward did not answer within 30 s: $_" }; Start-Sleep -Milliseconds 200 }
            }
            $null = Measure-Download $http $viaKubectl $ignoredCpu
            foreach ($i in 1..$kubectlRuns) { $rateKubectl.Add((Measure-Download $http $viaKubectl $ignoredCpu)) }
        }
        finally {
            Stop-Process -Id $forward.Id -ErrorAction SilentlyContinue
            $null = $forward.WaitForExit(5000)
            Remove-Item $kubectlLogs -ErrorAction SilentlyContinue
        }
    }

    $floorTls = Measure-TlsFloor
    $floorRelay = Measure-TlsFloor -WithRelayHop
    $counters = Get-RayDashboard -Id $session.Id
}
finally {
    $http.Dispose()
    Stop-RayDashboard -All
    $sandbox | Stop-RaySandbox
}

$mbSession = Get-Median $rateSession
$mbDirect = Get-Median $rateDirect
$ratio = $mbSession / $mbDirect
$pairRatios = @(for ($i = 0; $i -lt $rateSession.Count; $i++) { $rateSession[$i] / $rateDirect[$i] })
function Format-Ms([double] $Value) { [Math]::Round($Value, 1) }
$kubectlText = if ($rateKubectl.Count) {
    $mbKubectl = Get-Median $rateKubectl
    "The seed's own command, ``kubectl port-forward svc/bench-head-svc`` (kubectl $kubectlVersion, its own process) against the same sandbox, carries " +
    "$([Math]::Round($mbKubectl)) MB/s (median of $kubectlRuns after one warm-up): **the session is $([Math]::Round($mbSession / $mbKubectl, 1))x faster**."
} else { 'kubectl port-forward: not measured (no kubectl on PATH).' }
$floorRatio = $floorRelay.Rate / $mbDirect

@"
## Dashboard port-forward

Start-RayDashboard on a sandbox cluster (its API server over HTTPS, one WebSocket port-forward stream per connection)
against the same simulated dashboard served directly on a plain-HTTP loopback port, in the same run, from one HttpClient.
Downloads: $($downloadBytes / 1MB) MB on a fresh connection each (so a new port-forward stream each); every path first carries
$warmUpRuns downloads, then $downloadRuns alternating session/direct pairs count (steady state); the cold row is the first download of each.
Latencies: $latencyRuns GETs of /api/version each.

| measure | through the session | direct | session / direct |
|---|---:|---:|---:|
| 100 MB download, MB/s, steady state (median) | $([Math]::Round($mbSession)) | $([Math]::Round($mbDirect)) | **$([Math]::Round($ratio, 2))** (pairs: $([Math]::Round((Get-Min $pairRatios), 2)) - $([Math]::Round((Get-Max $pairRatios), 2))) |
| 100 MB download, MB/s, cold (first of each) | $([Math]::Round($coldSession)) | $([Math]::Round($coldDirect)) | $([Math]::Round($coldSession / $coldDirect, 2)) |
| CPU time of this process per download, ms (median) | $([Math]::Round((Get-Median $cpuSession))) | $([Math]::Round((Get-Median $cpuDirect))) | $([Math]::Round((Get-Median $cpuSession) / (Get-Median $cpuDirect), 2)) |
| GET on a fresh connection, ms (median / p95) | $(Format-Ms (Get-Median $freshSession)) / $(Format-Ms (Get-Percentile $freshSession 95)) | $(Format-Ms (Get-Median $freshDirect)) / $(Format-Ms (Get-Percentile $freshDirect 95)) | |
| GET on a kept-alive connection, ms (median) | $(Format-Ms (Get-Median $keptSession)) | $(Format-Ms (Get-Median $keptDirect)) | |

**Download ratio: $([Math]::Round($ratio, 2))** (target >= 0.5: $(if ($ratio -ge 0.5) { 'met' } else { 'NOT met' })).
$kubectlText

What bounds the ratio here: everything shares this machine's $([Environment]::ProcessorCount) cores (the sandbox's API server and dashboard,
the session and the downloading client run in one process), so the rate is set by CPU per byte. Through the session a byte crosses two
TCP hops and two TLS ends (plus WebSocket framing and the API server's in-memory hop to the pod); direct, one plain hop. The floor of
that path, measured in the same run with nothing but .NET's SslStream and sockets (TlsFloor.cs; medians of 7 after 5 warm-ups):

| floor (no HTTP, WebSocket, API server or dashboard) | MB/s | CPU ms per 100 MB | / direct |
|---|---:|---:|---:|
| one TLS hop (SslStream to SslStream) | $([Math]::Round($floorTls.Rate)) | $([Math]::Round($floorTls.Cpu)) | $([Math]::Round($floorTls.Rate / $mbDirect, 2)) |
| one TLS hop + one plain relay hop (a port-forward's minimum) | $([Math]::Round($floorRelay.Rate)) | $([Math]::Round($floorRelay.Cpu)) | $([Math]::Round($floorRatio, 2)) |
| the session (all of the above) | $([Math]::Round($mbSession)) | $([Math]::Round((Get-Median $cpuSession))) | $([Math]::Round($ratio, 2)) |

Session / floor: $([Math]::Round($mbSession / $floorRelay.Rate, 2)) (both vary by about 20% from run to run on this machine).
$(if ($floorRatio -lt 0.5) { "The floor itself is below 0.5 of direct here: no port-forward that decrypts the API server's TLS with .NET and relays to a local socket, on these $([Environment]::ProcessorCount) cores beside the server, can meet the target." } else { "The floor is at or above 0.5 of direct in this run: the target is within reach of the path itself." })

Start-RayDashboard (resolve the head pod, bind, one probe stream): $(Format-Ms (Get-Median $startMs)) ms median of $startRuns;
the first request right after it (fresh connection, new stream): $(Format-Ms (Get-Median $firstMs)) ms median.
The session's own counters after the run: $($counters.TotalConnections) connections, $([Math]::Round($counters.BytesIn / 1MB)) MB in, $([Math]::Round($counters.BytesOut / 1KB)) KB out, $($counters.Reconnects) reconnects.
"@
