# Dashboard port-forward: Start-RayDashboard through the sandbox's API server (HTTPS, WebSocket v4.channel.k8s.io) against
# the same simulated dashboard served directly on a plain-HTTP loopback port, in the same run. Target: a 100 MB download
# through the session at >= 0.5 of the direct rate. Also: start time and first-request latency.
param([Parameter(Mandatory)] [string] $ModulePath)
Import-Module (Join-Path $PSScriptRoot 'BenchHelpers.psm1') -Force
Import-Module $ModulePath -Force
$ErrorActionPreference = 'Stop'

$downloadBytes = 100MB
$downloadRuns = 3
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

# MB/s of $downloadBytes through a bare TLS stream on loopback (this machine's TLS cost, the session's ceiling).
function Measure-TlsLoopback {
    $key = [System.Security.Cryptography.ECDsa]::Create([System.Security.Cryptography.ECCurve+NamedCurves]::nistP256)
    $request = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new('CN=localhost', $key, 'SHA256')
    $selfSigned = $request.CreateSelfSigned([DateTimeOffset]::Now.AddDays(-1), [DateTimeOffset]::Now.AddDays(1))
    $certificate = [System.Security.Cryptography.X509Certificates.X509CertificateLoader]::LoadPkcs12($selfSigned.Export('Pkcs12'), $null)
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    $client = [System.Net.Sockets.TcpClient]::new()
    try {
        $connect = $client.ConnectAsync([System.Net.IPAddress]::Loopback, $listener.LocalEndpoint.Port)
        $serverSocket = $listener.AcceptTcpClient()
        $null = $connect.GetAwaiter().GetResult()
        $callback = [System.Net.Security.RemoteCertificateValidationCallback] { $true }
        $clientTls = [System.Net.Security.SslStream]::new($client.GetStream(), $false, $callback)
        $serverTls = [System.Net.Security.SslStream]::new($serverSocket.GetStream())
        # The client side validates with a script block, so it runs here, on the pipeline thread.
        $handshake = $serverTls.AuthenticateAsServerAsync($certificate)
        $clientTls.AuthenticateAsClient('localhost')
        $null = $handshake.GetAwaiter().GetResult()
        $chunk = [byte[]]::new(64KB)
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $reader = $clientTls.CopyToAsync([IO.Stream]::Null)
        for ($sent = 0; $sent -lt $downloadBytes; $sent += $chunk.Length) { $serverTls.Write($chunk, 0, $chunk.Length) }
        $serverTls.Close()
        $null = $reader.GetAwaiter().GetResult()
        $watch.Stop()
        return ($downloadBytes / 1MB) / $watch.Elapsed.TotalSeconds
    }
    finally {
        $client.Dispose()
        $listener.Stop()
        $certificate.Dispose()
        $selfSigned.Dispose()
    }
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

    $warmUp = [Collections.Generic.List[double]]::new()
    $null = Measure-Download $http $viaSession $warmUp
    $null = Measure-Download $http $direct $warmUp
    $rateSession = [Collections.Generic.List[double]]::new()
    $rateDirect = [Collections.Generic.List[double]]::new()
    $cpuSession = [Collections.Generic.List[double]]::new()
    $cpuDirect = [Collections.Generic.List[double]]::new()
    foreach ($i in 1..$downloadRuns) {
        $rateSession.Add((Measure-Download $http $viaSession $cpuSession))
        $rateDirect.Add((Measure-Download $http $direct $cpuDirect))
    }
    $tls = @(foreach ($i in 1..$downloadRuns) { Measure-TlsLoopback })
    $counters = Get-RayDashboard -Id $session.Id
}
finally {
    $http.Dispose()
    Stop-RayDashboard -All
    $sandbox | Stop-RaySandbox
}

$mbSession = Get-Median $rateSession
$mbDirect = Get-Median $rateDirect
$mbTls = Get-Median $tls
$ratio = $mbSession / $mbDirect
function Format-Ms([double] $Value) { [Math]::Round($Value, 1) }

@"
## Dashboard port-forward

Start-RayDashboard on a sandbox cluster (its API server over HTTPS, one WebSocket port-forward stream per connection)
against the same simulated dashboard served directly on a plain-HTTP loopback port, in the same run, from one HttpClient.
Downloads: $($downloadBytes / 1MB) MB, $downloadRuns runs each, alternating; latencies: $latencyRuns GETs of /api/version each.

| measure | through the session | direct | session / direct |
|---|---:|---:|---:|
| 100 MB download, MB/s (median) | $([Math]::Round($mbSession)) | $([Math]::Round($mbDirect)) | $([Math]::Round($ratio, 2)) |
| CPU time of this process per download, ms (median) | $([Math]::Round((Get-Median $cpuSession))) | $([Math]::Round((Get-Median $cpuDirect))) | $([Math]::Round((Get-Median $cpuSession) / (Get-Median $cpuDirect), 2)) |
| GET on a fresh connection, ms (median / p95) | $(Format-Ms (Get-Median $freshSession)) / $(Format-Ms (Get-Percentile $freshSession 95)) | $(Format-Ms (Get-Median $freshDirect)) / $(Format-Ms (Get-Percentile $freshDirect 95)) | |
| GET on a kept-alive connection, ms (median) | $(Format-Ms (Get-Median $keptSession)) | $(Format-Ms (Get-Median $keptDirect)) | |

**Download ratio: $([Math]::Round($ratio, 2))** (target >= 0.5: $(if ($ratio -ge 0.5) { 'met' } else { 'NOT met' })).
For scale, a bare TLS stream on loopback on this machine carries $([Math]::Round($mbTls)) MB/s (median of $downloadRuns): the API server's
HTTPS is a ceiling no port-forward through it can pass, and the sandbox's API server, the session and the client share the same cores:
the CPU row counts all of them (through the session: the dashboard, the API server's TLS and WebSocket, the session's TLS, WebSocket and
local socket, the client; direct: the dashboard and the client), which on a loaded machine decides the rate.

Start-RayDashboard (resolve the head pod, bind, one probe stream): $(Format-Ms (Get-Median $startMs)) ms median of $startRuns;
the first request right after it (fresh connection, new stream): $(Format-Ms (Get-Median $firstMs)) ms median.
The session's own counters after the run: $($counters.TotalConnections) connections, $([Math]::Round($counters.BytesIn / 1MB)) MB in, $([Math]::Round($counters.BytesOut / 1KB)) KB out, $($counters.Reconnects) reconnects.
"@
