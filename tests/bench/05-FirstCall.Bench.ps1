# Time to first result (issue #23): a fresh pwsh that imports RayPS and lists RayClusters, next to a bare pwsh and to
# `kubectl get rayclusters -A`, all as whole processes in one interleaved run against one sandbox. RayPS is installed
# from a package made with PSResourceGet, as a gallery user gets it. Targets: import + first Get-RayCluster <= 300 ms
# over a bare pwsh; import alone <= 150 ms over a pwsh whose formatting database is initialised.
# RAYPS_BENCH_BASELINE may name an older staged module (out/RayPS/RayPS.psd1 of another build) to measure as "before" in the
# same run; RAYPS_BENCH_BASELINE_LABEL says what it is.
param([Parameter(Mandatory)] [string] $ModulePath)
Import-Module (Join-Path $PSScriptRoot 'BenchHelpers.psm1') -Force

$runs = 21
$work = Join-Path ([IO.Path]::GetTempPath()) "rayps-bench-firstcall-$([Guid]::NewGuid().ToString('N'))"
$null = New-Item -ItemType Directory $work

# Publishes a staged module folder to a local repository and installs it with Save-PSResource; returns the install root
# (for PSModulePath) and the .nupkg.
function Install-FromPackage([string] $StagedModule, [string] $Name) {
    $repoDir = Join-Path $work "repo-$Name"
    $installRoot = Join-Path $work "installed-$Name"
    $null = New-Item -ItemType Directory $repoDir, $installRoot
    $repoName = 'RayPSBench' + [Guid]::NewGuid().ToString('N').Substring(0, 8)
    Register-PSResourceRepository -Name $repoName -Uri $repoDir -Trusted
    try {
        Publish-PSResource -Path $StagedModule -Repository $repoName
        Save-PSResource -Name RayPS -Repository $repoName -Path $installRoot -TrustRepository
    }
    finally { Unregister-PSResourceRepository -Name $repoName }
    [pscustomobject]@{ Root = $installRoot; Package = Get-ChildItem $repoDir -Filter 'RayPS.*.nupkg' | Select-Object -First 1 }
}

$stagedModule = Split-Path $ModulePath
$installed = Install-FromPackage $stagedModule 'current'
$baseline = if ($env:RAYPS_BENCH_BASELINE) { Install-FromPackage (Split-Path $env:RAYPS_BENCH_BASELINE) 'baseline' }

Import-Module $ModulePath
$sandbox = Start-RaySandbox -KubeConfigPath (Join-Path $work 'kubeconfig')
try {
    $kubeconfig = $sandbox.KubeConfigPath
    foreach ($name in 'alpha', 'beta') { $null = New-RayCluster -Name $name -WorkerReplicas 1 -KubeConfig $kubeconfig -Wait -TimeoutSec 120 }

    # The floors any module pays, in modules of nothing: PowerShell's own first Import-Module (a manifest and an empty script
    # module), and the same with one table view in a format file (FormatsToProcess: PowerShell sets up its formatting
    # database) whose first table is shown, with no network, as RayPS shows its first table.
    $floorRoot = Join-Path $work 'floor'
    $null = New-FloorModule -Parent $floorRoot -Name EmptyModule
    $null = New-FloorModule -Parent $floorRoot -Name ViewModule -FormatXml @'
<?xml version="1.0" encoding="utf-8"?>
<Configuration><ViewDefinitions><View><Name>Floor.Row</Name><ViewSelectedBy><TypeName>Floor.Row</TypeName></ViewSelectedBy><TableControl>
<TableHeaders><TableColumnHeader><Label>Name</Label></TableColumnHeader><TableColumnHeader><Label>State</Label></TableColumnHeader></TableHeaders>
<TableRowEntries><TableRowEntry><TableColumnItems><TableColumnItem><PropertyName>Name</PropertyName></TableColumnItem><TableColumnItem><PropertyName>State</PropertyName></TableColumnItem></TableColumnItems></TableRowEntry></TableRowEntries>
</TableControl></View></ViewDefinitions></Configuration>
'@
    $floorTable = "Import-Module ViewModule; @([pscustomobject]@{ PSTypeName = 'Floor.Row'; Name = 'alpha'; State = 'ready' }, [pscustomobject]@{ PSTypeName = 'Floor.Row'; Name = 'beta'; State = 'ready' }) | Out-Host; exit 0"
    $firstCall = 'Import-Module RayPS; Get-RayCluster -AllNamespaces | Out-Host; exit 0'
    $pwsh = @(Get-PwshCommand)
    # Set by build.ps1 Bench when this pwsh is the IL-only dotnet tool: the same pwsh with its assemblies precompiled, as
    # PowerShell's installers ship them (Invoke-ReadyToRunPwsh), to measure on a pwsh like the one users run.
    $r2rPwsh = if ($env:RAYPS_BENCH_R2R_PWSH -and (Test-Path $env:RAYPS_BENCH_R2R_PWSH)) { @($pwsh[0], $env:RAYPS_BENCH_R2R_PWSH) }
    # name -> how to start it: pwsh command text (with the module path it sees and the environment it gets) or kubectl.
    $cases = [ordered]@{}
    $cases['bare pwsh: `exit 0`'] = @{ Command = 'exit 0' }
    $cases['floor: `Import-Module` of an empty manifest module'] = @{ Command = 'Import-Module EmptyModule; exit 0'; Root = $floorRoot }
    $cases['floor: `Import-Module` of a module with one table view (PowerShell sets up its formatting database)'] = @{ Command = 'Import-Module ViewModule; exit 0'; Root = $floorRoot }
    $cases['floor: `Import-Module` of a module with one table view, and its first table (two rows, no network)'] = @{ Command = $floorTable; Root = $floorRoot }
    $cases['`Import-Module RayPS`'] = @{ Command = 'Import-Module RayPS; exit 0'; Root = $installed.Root }
    $cases['`Import-Module RayPS; Get-RayCluster -AllNamespaces`'] = @{ Command = $firstCall; Root = $installed.Root }
    $cases['the same, IL only (`RAYPS_READYTORUN=0`, as on a platform without images)'] = @{ Command = $firstCall; Root = $installed.Root; IL = $true }
    $cases['the same, without the TLS prefetch at import (`RAYPS_PREFETCH=0`)'] = @{ Command = $firstCall; Root = $installed.Root; NoPrefetch = $true }
    if ($baseline) {
        $cases['before: `Import-Module RayPS`'] = @{ Command = 'Import-Module RayPS; exit 0'; Root = $baseline.Root }
        $cases['before: `Import-Module RayPS; Get-RayCluster -AllNamespaces`'] = @{ Command = $firstCall; Root = $baseline.Root }
    }
    $cases['the same, objects only (`| Out-Null`: a runbook that formats nothing)'] = @{ Command = 'Import-Module RayPS; Get-RayCluster -AllNamespaces | Out-Null; exit 0'; Root = $installed.Root }
    # PowerShell sends a telemetry metric for every module a session imports (ApplicationInsightsTelemetry, unless
    # POWERSHELL_TELEMETRY_OPTOUT is set), and telemetry at start: the floors pay it too. These two rows are the same
    # processes with it off, for runbook authors deciding on the setting (docs/performance.md).
    $cases['bare pwsh with PowerShell''s telemetry off (`POWERSHELL_TELEMETRY_OPTOUT=1`)'] = @{ Command = 'exit 0'; NoTelemetry = $true }
    $cases['the same first call with PowerShell''s telemetry off'] = @{ Command = $firstCall; Root = $installed.Root; NoTelemetry = $true }
    if ($r2rPwsh) {
        $cases['precompiled pwsh: bare `exit 0`'] = @{ Command = 'exit 0'; Pwsh = $r2rPwsh }
        $cases['precompiled pwsh: floor: a module with one table view, and its first table'] = @{ Command = $floorTable; Root = $floorRoot; Pwsh = $r2rPwsh }
        $cases['precompiled pwsh: `Import-Module RayPS`'] = @{ Command = 'Import-Module RayPS; exit 0'; Root = $installed.Root; Pwsh = $r2rPwsh }
        $cases['precompiled pwsh: `Import-Module RayPS; Get-RayCluster -AllNamespaces`'] = @{ Command = $firstCall; Root = $installed.Root; Pwsh = $r2rPwsh }
        $cases['precompiled pwsh: the same, without the TLS prefetch'] = @{ Command = $firstCall; Root = $installed.Root; Pwsh = $r2rPwsh; NoPrefetch = $true }
        if ($baseline) {
            $cases['precompiled pwsh: before: `Import-Module RayPS`'] = @{ Command = 'Import-Module RayPS; exit 0'; Root = $baseline.Root; Pwsh = $r2rPwsh }
            $cases['precompiled pwsh: before: `Import-Module RayPS; Get-RayCluster -AllNamespaces`'] = @{ Command = $firstCall; Root = $baseline.Root; Pwsh = $r2rPwsh }
        }
    }
    $cases['the same, on a machine where pwsh never wrote its module analysis cache (a fresh container)'] = @{ Command = $firstCall; Root = $installed.Root; ColdCache = $true }
    if ($r2rPwsh) {
        $cases['precompiled pwsh: the same, with no module analysis cache (a fresh container)'] = @{ Command = $firstCall; Root = $installed.Root; Pwsh = $r2rPwsh; ColdCache = $true }
    }
    $cases['`kubectl get rayclusters -A`'] = @{ Kubectl = $true }

    # PowerShell's module analysis cache: the first Import-Module by name reads it, and when the file does not exist
    # PowerShell sleeps 3 x 25 ms waiting for it (AnalysisCacheData.Get retries as if another process were writing it).
    # PowerShell writes the file from a background task ~13 s after a session imports a module, so a machine where pwsh has
    # been used has one and a fresh container does not; the rows' processes live too briefly to write one. So each pwsh
    # gets a cache of its own here, written by one longer session that imported RayPS and the floor modules, as a user's
    # first session would; the "fresh container" rows point at a file that does not exist.
    $analysisCaches = @{ tool = Join-Path $work 'analysis-cache-tool'; precompiled = Join-Path $work 'analysis-cache-precompiled' }
    $coldCache = Join-Path $work 'no-analysis-cache/ModuleAnalysisCache'
    $primeCommand = "Import-Module RayPS, ViewModule, EmptyModule; `$w = [Diagnostics.Stopwatch]::StartNew(); while (-not (Test-Path `$env:PSModuleAnalysisCachePath) -and `$w.Elapsed.TotalSeconds -lt 60) { Start-Sleep -Milliseconds 250 }; exit [int] (-not (Test-Path `$env:PSModuleAnalysisCachePath))"
    $priming = foreach ($key in $analysisCaches.Keys) {
        $exe = if ($key -eq 'precompiled') { $r2rPwsh } else { $pwsh }
        if (-not $exe) { continue }
        $environment = @{
            PSModulePath = $installed.Root + [IO.Path]::PathSeparator + $floorRoot + [IO.Path]::PathSeparator + $env:PSModulePath
            PSModuleAnalysisCachePath = $analysisCaches[$key]
        }
        Invoke-WithEnvironment $environment {
            Start-Process -FilePath $exe[0] -ArgumentList (@($exe | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command', "`"$primeCommand`"")) -NoNewWindow -PassThru
        }
    }
    foreach ($process in $priming) { $process.WaitForExit() }
    foreach ($key in $analysisCaches.Keys) {
        if (($key -eq 'tool' -or $r2rPwsh) -and -not (Test-Path $analysisCaches[$key])) { throw "PowerShell wrote no module analysis cache for the $key pwsh" }
    }

    function Invoke-Case($Case) {
        $environment = @{
            KUBECONFIG = $kubeconfig
            PSModuleAnalysisCachePath = if ($Case.ColdCache) { $coldCache } elseif ($Case.Pwsh) { $analysisCaches.precompiled } else { $analysisCaches.tool }
            PSModulePath = if ($Case.Root) { $Case.Root + [IO.Path]::PathSeparator + $env:PSModulePath } else { $env:PSModulePath }
            RAYPS_READYTORUN = if ($Case.IL) { '0' } else { $env:RAYPS_READYTORUN }
            RAYPS_PREFETCH = if ($Case.NoPrefetch) { '0' } else { $env:RAYPS_PREFETCH }
            POWERSHELL_TELEMETRY_OPTOUT = if ($Case.NoTelemetry) { '1' } else { $env:POWERSHELL_TELEMETRY_OPTOUT }
        }
        Invoke-WithEnvironment $environment {
            $watch = [Diagnostics.Stopwatch]::StartNew()
            if ($Case.Kubectl) { $out = & kubectl get rayclusters -A 2>&1 }
            else {
                $exe = if ($Case.Pwsh) { $Case.Pwsh } else { $pwsh }
                $out = Invoke-Pwsh $exe @('-Command', $Case.Command)
            }
            $watch.Stop()
            if ($LASTEXITCODE -ne 0 -or ($Case.Command -eq $firstCall -and -not ($out -match 'alpha'))) { throw "case failed: $($out -join "`n")" }
            $watch.Elapsed.TotalMilliseconds
        }
    }

    # Interleaved: each round runs every case once, so a burst of load on the shared machine hits all of them alike.
    $loadBefore = Get-LoadAverage
    $times = [ordered]@{}
    foreach ($name in $cases.Keys) { $times[$name] = [Collections.Generic.List[double]]::new(); $null = Invoke-Case $cases[$name] }
    foreach ($round in 1..$runs) { foreach ($name in $cases.Keys) { $times[$name].Add((Invoke-Case $cases[$name])) } }
    $median = @{}; foreach ($name in $times.Keys) { $median[$name] = Get-Median $times[$name] }
    if (Test-Path $coldCache) { throw 'a "fresh container" row wrote a module analysis cache: those rows no longer measure a machine without one' }

    # Per step, inside fresh processes: import, first call, second call, methods JIT-compiled, assemblies loaded.
    $splitScript = @'
$jit = { [System.Runtime.JitInfo]::GetCompiledMethodCount($false) }
$j0 = & $jit; $w = [Diagnostics.Stopwatch]::StartNew()
Import-Module RayPS
$import = $w.Elapsed.TotalMilliseconds; $j1 = & $jit
$heavy = @([AppDomain]::CurrentDomain.GetAssemblies() | ForEach-Object { $_.GetName().Name } | Where-Object { $_ -in 'KubernetesClient', 'YamlDotNet', 'RayPS.Sandbox', 'Fractions' })
$w.Restart(); $null = Get-RayCluster -AllNamespaces; $first = $w.Elapsed.TotalMilliseconds; $j2 = & $jit
$w.Restart(); $null = Get-RayCluster -AllNamespaces; $second = $w.Elapsed.TotalMilliseconds
$r2r = [RayPS.Loader.RayPSLoadContext]::ReadyToRunDirectory
[pscustomobject]@{ Import = $import; First = $first; Second = $second; JitImport = $j1 - $j0; JitFirst = $j2 - $j1; Heavy = $heavy -join ','; ReadyToRun = [bool] $r2r } | ConvertTo-Json -Compress
'@
    $splitFile = Join-Path $work 'split.ps1'
    Set-Content $splitFile $splitScript
    $splits = [ordered]@{ 'ReadyToRun' = $false; 'IL only' = $true }
    $samples = @{}; foreach ($label in $splits.Keys) { $samples[$label] = [Collections.Generic.List[object]]::new() }
    foreach ($round in 1..$runs) {
        foreach ($label in $splits.Keys) {
            $environment = @{
                PSModulePath = $installed.Root + [IO.Path]::PathSeparator + $env:PSModulePath; KUBECONFIG = $kubeconfig
                PSModuleAnalysisCachePath = $analysisCaches.tool
                RAYPS_READYTORUN = if ($splits[$label]) { '0' } else { $env:RAYPS_READYTORUN }
            }
            Invoke-WithEnvironment $environment {
                $json = Invoke-Pwsh $pwsh @('-File', $splitFile)
                if ($LASTEXITCODE -ne 0) { throw "split run failed: $json" }
                $samples[$label].Add(($json | Select-Object -Last 1 | ConvertFrom-Json))
            }
        }
    }
    # The first call taken apart, in fresh processes: the client layer's steps called one by one (through reflection, after
    # warming PowerShell's method-call path on something else), then the cmdlet itself, then its formatting. Each step is
    # one-time work the next step no longer pays, so a step's time is what it adds to a first call.
    $stepsScript = @'
$ErrorActionPreference = 'Stop'
$w = [Diagnostics.Stopwatch]::StartNew(); $rows = [Collections.Generic.List[object]]::new()
$seen = [Collections.Generic.HashSet[string]]::new(); foreach ($a in [AppDomain]::CurrentDomain.GetAssemblies()) { $null = $seen.Add($a.GetName().Name) }
$script:last = 0.0; $script:lastJit = [System.Runtime.JitInfo]::GetCompiledMethodCount($false)
function Step([string] $Name) {
    $now = $w.Elapsed.TotalMilliseconds; $jit = [System.Runtime.JitInfo]::GetCompiledMethodCount($false)
    $new = @(foreach ($a in [AppDomain]::CurrentDomain.GetAssemblies()) { $n = $a.GetName().Name; if ($seen.Add($n)) { $n } })
    $rows.Add([pscustomobject]@{ Step = $Name; Ms = $now - $script:last; Jit = $jit - $script:lastJit; Loaded = $new -join ', ' })
    $script:last = $w.Elapsed.TotalMilliseconds; $script:lastJit = [System.Runtime.JitInfo]::GetCompiledMethodCount($false)
}
$null = [System.IO.Path]::Combine('a', 'b'); $null = [Activator]::CreateInstance([Text.StringBuilder], @('x')); $null = [Threading.Tasks.Task]::FromResult(1).GetAwaiter().GetResult()
Step 'warm-up'
Import-Module RayPS
Step 'Import-Module RayPS'
$client = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'RayPS.Client' }
$loader = $client.GetType('RayPS.Kube.KubeConfigLoader'); $facts = $client.GetType('RayPS.Kube.OsFacts').GetProperty('Current').GetValue($null)
$options = $client.GetType('RayPS.Kube.KubeConnectionOptions').GetConstructors()[0].Invoke(@($null, $null, $null))
$none = [Threading.CancellationToken]::None
Step 'reflection set-up (measurement only)'
$null = $loader.GetMethod('Prepare').Invoke($null, @($options, $facts))
Step 'kubeconfig: find, read and parse; client configuration (CA certificate)'
$connection = $client.GetType('RayPS.Kube.KubeConnection').GetMethod('Get').Invoke($null, @($options))
Step 'client construction (KubeConnection.Get: the kubeconfig again, now warm; the HTTP client and its handler)'
$null = $connection.Api.GetAsync('/version', $none, $null).GetAwaiter().GetResult()
Step 'first request: TCP connect, TLS handshake (chain build), GET /version'
$null = $connection.Api.GetAsync('/apis/ray.io/v1/rayclusters', $none, $null).GetAwaiter().GetResult()
Step 'the LIST of RayClusters on the open connection (JSON parse)'
$null = $client.GetType('RayPS.Operations.RayClusterOperations').GetMethod('ListAsync').Invoke($null, @($connection, $null, $none, $null)).GetAwaiter().GetResult()
Step 'the LIST again, made into RayCluster objects'
$null = Get-RayCluster -AllNamespaces
Step 'Get-RayCluster -AllNamespaces (the cmdlet: binding, async bridge, output), not formatted'
Get-RayCluster -AllNamespaces | Out-Host
Step 'the same piped to Out-Host: the first table of RayClusters formatted to the console'
Get-RayCluster -AllNamespaces | Out-Host
Step 'the same again (all warm)'
$rows | ConvertTo-Json -Compress
'@
    $stepsFile = Join-Path $work 'steps.ps1'
    Set-Content $stepsFile $stepsScript
    # One run of the steps with the module installed under $Root: a row per step; throws when a step failed.
    function Invoke-Steps([string] $Root) {
        $environment = @{
            PSModulePath = $Root + [IO.Path]::PathSeparator + $env:PSModulePath; KUBECONFIG = $kubeconfig
            PSModuleAnalysisCachePath = $analysisCaches.tool
        }
        Invoke-WithEnvironment $environment {
            $json = Invoke-Pwsh $pwsh @('-File', $stepsFile)
            if ($LASTEXITCODE -ne 0) { throw "steps run failed: $json" }
            $json | Select-Object -Last 1 | ConvertFrom-Json
        }
    }
    $stepRoots = [ordered]@{ after = $installed.Root }
    $stepsBeforeNote = ''
    if ($baseline) {
        # The split calls the client layer's own methods (OsFacts, KubeConfigLoader.Prepare, ...); an older baseline may
        # not have them, and then only its whole-process rows are measured.
        try { $null = Invoke-Steps $baseline.Root; $stepRoots['before'] = $baseline.Root }
        catch { $stepsBeforeNote = ' The "before" module predates the client methods these steps call, so its column is empty.' }
    }
    $stepSamples = @{}; foreach ($label in $stepRoots.Keys) { $stepSamples[$label] = [Collections.Generic.List[object]]::new() }
    foreach ($round in 1..$runs) {
        foreach ($label in $stepRoots.Keys) { $stepSamples[$label].Add(@(Invoke-Steps $stepRoots[$label])) }
    }
    $afterSteps = $stepSamples['after']
    $stepRows = foreach ($i in 1..($afterSteps[0].Count - 1)) {
        $name = $afterSteps[0][$i].Step
        $after = Get-Median @($afterSteps | ForEach-Object { $_[$i].Ms })
        $jit = Get-Median @($afterSteps | ForEach-Object { $_[$i].Jit })
        $loaded = @($afterSteps | ForEach-Object { $_[$i].Loaded -split ', ' } | Where-Object { $_ } | Sort-Object -Unique) -join ', '
        $before = if ($stepRoots.Contains('before')) { [Math]::Round((Get-Median @($stepSamples['before'] | ForEach-Object { $_[$i].Ms }))) } else { '' }
        "| $name | $before | $([Math]::Round($after)) | $jit | $loaded |"
    }

    $stepMs = @{}; foreach ($i in 1..($afterSteps[0].Count - 1)) { $stepMs[$i] = [Math]::Round((Get-Median @($afterSteps | ForEach-Object { $_[$i].Ms }))) }

    $splitRows = foreach ($label in $splits.Keys) {
        $s = $samples[$label]
        $heavy = @($s.Heavy | Where-Object { $_ } | Sort-Object -Unique) -join ', '
        "| $label | $(@($s | Where-Object ReadyToRun).Count)/$runs | $([Math]::Round((Get-Median $s.Import))) | $([Math]::Round((Get-Median $s.First))) | $([Math]::Round((Get-Median $s.Second), 1)) | $(Get-Median $s.JitImport) | $(Get-Median $s.JitFirst) | $(if ($heavy) { $heavy } else { 'none' }) |"
    }
}
finally {
    $sandbox | Stop-RaySandbox
}

# The package: its size, and what each platform's ReadyToRun images add to it.
Add-Type -AssemblyName System.IO.Compression.FileSystem
$zip = [IO.Compression.ZipFile]::OpenRead($installed.Package.FullName)
try {
    $entries = @($zip.Entries)
    $platforms = $entries | Where-Object FullName -Match '^lib/r2r/([^/]+)/' | Group-Object { $_.FullName.Split('/')[2] }
    $ilEntries = $entries | Where-Object { $_.FullName -match '^lib/[^/]+\.dll$' }
    $sizeRows = @("| whole package (.nupkg) | $([Math]::Round(($entries | Measure-Object Length -Sum).Sum / 1MB, 1)) | $([Math]::Round($installed.Package.Length / 1MB, 1)) |")
    $sizeRows += "| IL assemblies (lib/*.dll, every platform) | $([Math]::Round(($ilEntries | Measure-Object Length -Sum).Sum / 1MB, 1)) | $([Math]::Round(($ilEntries | Measure-Object CompressedLength -Sum).Sum / 1MB, 1)) |"
    foreach ($group in $platforms) {
        $sizeRows += "| ReadyToRun images for $($group.Name) (lib/r2r/$($group.Name)) | $([Math]::Round(($group.Group | Measure-Object Length -Sum).Sum / 1MB, 1)) | $([Math]::Round(($group.Group | Measure-Object CompressedLength -Sum).Sum / 1MB, 1)) |"
    }
}
finally { $zip.Dispose() }
Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue

$bare = $median['bare pwsh: `exit 0`']
$emptyFloor = $median['floor: `Import-Module` of an empty manifest module']
$tableFloor = $median['floor: `Import-Module` of a module with one table view, and its first table (two rows, no network)']
# The issue counts the formatting database's one-time set-up apart from the import: what a format file adds to importing
# a module of nothing.
$formatSetUp = [Math]::Max(0, $median['floor: `Import-Module` of a module with one table view (PowerShell sets up its formatting database)'] - $emptyFloor)
$import = $median['`Import-Module RayPS`']
$first = $median['`Import-Module RayPS; Get-RayCluster -AllNamespaces`']
$il = $median['the same, IL only (`RAYPS_READYTORUN=0`, as on a platform without images)']
$noPrefetch = $median['the same, without the TLS prefetch at import (`RAYPS_PREFETCH=0`)']
$objectsOnly = $median['the same, objects only (`| Out-Null`: a runbook that formats nothing)']
$r2rBare = $median['precompiled pwsh: bare `exit 0`']
$cold = $median['the same, on a machine where pwsh never wrote its module analysis cache (a fresh container)']
$telemetryOffBare = $median['bare pwsh with PowerShell''s telemetry off (`POWERSHELL_TELEMETRY_OPTOUT=1`)']
$telemetryOffFirst = $median['the same first call with PowerShell''s telemetry off']
# The same difference taken within each round (the first call and the bare pwsh of one round ran seconds apart), so load
# that shifts between rounds shifts both: how much the headline number moves on this machine.
$pairedFirst = @(foreach ($i in 0..($runs - 1)) { $times['`Import-Module RayPS; Get-RayCluster -AllNamespaces`'][$i] - $times['bare pwsh: `exit 0`'][$i] })
$pairedText = "per round (the first call less the same round's bare pwsh): median $([Math]::Round((Get-Median $pairedFirst))) ms, half the rounds between $([Math]::Round((Get-Percentile $pairedFirst 25))) and $([Math]::Round((Get-Percentile $pairedFirst 75))) ms"
$rows = foreach ($name in $times.Keys) {
    $values = $times[$name]
    $over = if ($cases[$name].Pwsh) { $median[$name] - $r2rBare } else { $median[$name] - $bare }
    "| $name | $([Math]::Round($median[$name])) | $([Math]::Round($over)) | $([Math]::Round((Get-Min $values))) | $([Math]::Round((Get-Max $values))) |"
}
$met = { param($value, $target) if ($value -le $target) { 'met' } else { '**not met**' } }
$coldText = "- **In a fresh container** (no module analysis cache yet, see above): import + first ``Get-RayCluster`` $([Math]::Round($cold - $bare)) ms over a bare pwsh"
if ($r2rPwsh) { $coldText += ", $([Math]::Round($median['precompiled pwsh: the same, with no module analysis cache (a fresh container)'] - $r2rBare)) ms on the precompiled pwsh" }
$coldText += "; the difference to the rows above is PowerShell's wait for the missing file, which any module imported by name pays once per process. A runbook image can carry the cache (docs/performance.md)."
$r2rText = if ($r2rPwsh) {
    $r2rFirst = $median['precompiled pwsh: `Import-Module RayPS; Get-RayCluster -AllNamespaces`'] - $r2rBare
    $r2rFloor = $median['precompiled pwsh: floor: a module with one table view, and its first table'] - $r2rBare
    $r2rNoPrefetch = $median['precompiled pwsh: the same, without the TLS prefetch'] - $r2rBare
    "- **On a precompiled pwsh** (the same pwsh with its assemblies compiled by Crossgen2 for this machine, as PowerShell's installers ship them; bare: $([Math]::Round($r2rBare)) ms against $([Math]::Round($bare)) ms):`n" +
    "  import + first ``Get-RayCluster``: **$([Math]::Round($r2rFirst)) ms over its bare start** (target <= 300 ms: $(& $met $r2rFirst 300)); without the TLS prefetch: $([Math]::Round($r2rNoPrefetch)) ms;`n" +
    "  its floor (a module with one view and its first table): $([Math]::Round($r2rFloor)) ms, so RayPS's own share there is $([Math]::Round($r2rFirst - $r2rFloor)) ms."
} else { '- (No precompiled pwsh was measured: run through build.ps1 Bench with the dotnet tool pwsh.)' }
$baselineName = if ($env:RAYPS_BENCH_BASELINE_LABEL) { $env:RAYPS_BENCH_BASELINE_LABEL } else { 'the module staged at `' + $env:RAYPS_BENCH_BASELINE + '`' }
$baselineText = if ($baseline) { 'The "before" rows are ' + $baselineName + ', packaged and installed the same way.' } else { '' }
$beforeAfterText = if ($baseline) {
    $beforeFirst = $median['before: `Import-Module RayPS; Get-RayCluster -AllNamespaces`'] - $bare
    $beforeImport = $median['before: `Import-Module RayPS`'] - $bare
    $text = "- **Before -> after** (over a bare pwsh): import + first ``Get-RayCluster`` $([Math]::Round($beforeFirst)) -> $([Math]::Round($first - $bare)) ms, import alone $([Math]::Round($beforeImport)) -> $([Math]::Round($import - $bare)) ms"
    if ($r2rPwsh) {
        $r2rBeforeFirst = $median['precompiled pwsh: before: `Import-Module RayPS; Get-RayCluster -AllNamespaces`'] - $r2rBare
        $r2rBeforeImport = $median['precompiled pwsh: before: `Import-Module RayPS`'] - $r2rBare
        $text += ";`n  on the precompiled pwsh $([Math]::Round($r2rBeforeFirst)) -> $([Math]::Round($median['precompiled pwsh: `Import-Module RayPS; Get-RayCluster -AllNamespaces`'] - $r2rBare)) ms and $([Math]::Round($r2rBeforeImport)) -> $([Math]::Round($median['precompiled pwsh: `Import-Module RayPS`'] - $r2rBare)) ms"
    }
    $text + '.'
} else { '' }

@"
## Time to first result (issue #23)

Whole processes, $runs interleaved rounds after a warm-up round (each round runs every row once), wall clock; RayPS
installed from its .nupkg with PSResourceGet (``Publish-PSResource`` + ``Save-PSResource``) and imported by name; the sandbox
(in the bench's process) holds 2 RayClusters, which every ``Get-RayCluster`` lists and formats to the console;
``KUBECONFIG`` points at it for every row. pwsh is ``$(($pwsh | ForEach-Object { Split-Path $_ -Leaf }) -join ' ')`` -NoProfile -NonInteractive -Command.
Each pwsh has a module analysis cache (``PSModuleAnalysisCachePath``), as on a machine where pwsh has been used: PowerShell
writes it ~13 s after a session imports a module, and without the file its first ``Import-Module`` by name sleeps 3 x 25 ms
waiting for it (``AnalysisCacheData.Get``). The bench writes one per pwsh first, in a session that imports RayPS and the
floor modules; the "fresh container" rows point at a file that does not exist.
$baselineText
Load average before the rounds: $loadBefore; at the end: $(Get-LoadAverage); $([Environment]::ProcessorCount) cores, shared (the
rows' absolute times move by tens of ms between runs on this machine, so compare rows of one run).

| process | median ms | over bare pwsh | min | max |
|---|---:|---:|---:|---:|
$($rows -join "`n")

- **Import + first ``Get-RayCluster``: $([Math]::Round($first - $bare)) ms over a bare pwsh** (target <= 300 ms: $(& $met ($first - $bare) 300); moonshot 200 ms: $(& $met ($first - $bare) 200));
  IL only: $([Math]::Round($il - $bare)) ms; without the TLS prefetch: $([Math]::Round($noPrefetch - $bare)) ms; objects only, no table (``| Out-Null``, a runbook):
  $([Math]::Round($objectsOnly - $bare)) ms. ``kubectl get rayclusters -A``: $([Math]::Round($median['`kubectl get rayclusters -A`'])) ms for the whole process.
  The spread: $pairedText.
- PowerShell's own telemetry (pwsh's start and every module import send it; ``POWERSHELL_TELEMETRY_OPTOUT=1`` turns it off,
  docs/performance.md): with it off, a bare pwsh took $([Math]::Round($telemetryOffBare)) ms and import + first ``Get-RayCluster``
  $([Math]::Round($telemetryOffFirst)) ms ($([Math]::Round($telemetryOffFirst - $telemetryOffBare)) ms over that bare pwsh), against $([Math]::Round($bare)) and $([Math]::Round($first)) ms with it on.
- Its floor on this pwsh, what any module with a table view pays to show its first table with no network at all (the
  ViewModule row): $([Math]::Round($tableFloor - $bare)) ms over a bare pwsh; RayPS's own share (its import, kubeconfig, connection, the API call, objects,
  its view) is therefore $([Math]::Round($first - $tableFloor)) ms.
$r2rText
$coldText
$beforeAfterText
- **Import alone: $([Math]::Round($import - $bare)) ms over a bare pwsh**; less the formatting database's one-time set-up, which the
  issue counts separately (a module with one table view imports $([Math]::Round($formatSetUp)) ms slower than an empty one): **$([Math]::Round($import - $bare - $formatSetUp)) ms**
  (target <= 150 ms: $(& $met ($import - $bare - $formatSetUp) 150); 01-Import measures the same by path). An empty manifest module already costs
  $([Math]::Round($emptyFloor - $bare)) ms (PowerShell's module machinery; this pwsh is the IL-only dotnet tool, so every PowerShell code path a bare pwsh
  skips is JIT-compiled on first use), so RayPS's import adds $([Math]::Round($import - $emptyFloor)) ms to it, its format and type files included.
  (Earlier runs of this bench took an ``Update-FormatData`` of an empty file as "PowerShell's formatting set-up" and subtracted it:
  that row mostly measured PowerShell auto-loading Microsoft.PowerShell.Utility for the command, 100-150 ms that importing a
  module with a format file never pays, so it overstated the floor. The ViewModule row replaces it.)

Per step, inside $runs fresh processes each, interleaved (medians; JIT = methods compiled, ``System.Runtime.JitInfo``, PowerShell's own
included; heavy = KubernetesClient, YamlDotNet, RayPS.Sandbox or Fractions loaded by the import):

| assemblies | ReadyToRun used | import ms | first call ms | second call ms | JIT at import | JIT in first call | heavy assemblies after import |
|---|---:|---:|---:|---:|---:|---:|---|
$($splitRows -join "`n")

The first call taken apart (medians of $runs fresh processes per column, interleaved; ReadyToRun; the client layer's steps
called one by one through reflection, then the cmdlet, then its formatting; each row is one-time work the rows after it no
longer pay; JIT = methods compiled in the step, PowerShell's included; loaded = assemblies the step loaded).$stepsBeforeNote

| step | before ms | after ms | JIT (after) | loaded (after) |
|---|---:|---:|---:|---|
$($stepRows -join "`n")

Where the first call's time goes now, by the steps above: the first HTTPS request ($($stepMs[5]) ms: TCP connect, the TLS
handshake and the chain build, and ~300 methods of .NET's generic async code for System.Net.Http and SslStream that no
ReadyToRun image holds, JIT-compiled in every fresh process; the TLS prefetch at import takes the trust store, the TLS
stack's set-up and a first run of the certificate check off it) and PowerShell formatting the first table ($($stepMs[9]) ms) are the largest; RayPS's own steps
(kubeconfig $($stepMs[3]) ms, client $($stepMs[4]) ms, objects $($stepMs[7]) ms, the cmdlet $($stepMs[8]) ms) are the rest. This pwsh is the
``dotnet tool`` build, whose own assemblies are IL only, so the JIT counts above are mostly PowerShell's and .NET's; the
precompiled-pwsh rows show the same module on a pwsh like the installed one.

Package size (MB):

| part | uncompressed | in the .nupkg |
|---|---:|---:|
$($sizeRows -join "`n")
"@
