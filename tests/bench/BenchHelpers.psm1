# Helpers shared by the *.Bench.ps1 scripts.

function Get-PwshCommand {
    $processPath = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($processPath) -eq 'dotnet') {
        return @($processPath, [Reflection.Assembly]::GetEntryAssembly().Location)
    }
    return @($processPath)
}

# A module of nothing for the floor rows: a manifest and an empty script module in <Parent>/<Name>, plus a format file
# (FormatsToProcess) when -FormatXml is given. Returns the manifest's path.
function New-FloorModule {
    param([Parameter(Mandatory)] [string] $Parent, [Parameter(Mandatory)] [string] $Name, [string] $FormatXml)
    $folder = Join-Path $Parent $Name
    $null = New-Item -ItemType Directory $folder -Force
    Set-Content (Join-Path $folder "$Name.psm1") ''
    $manifest = @{ Path = (Join-Path $folder "$Name.psd1"); RootModule = "$Name.psm1"; FunctionsToExport = @(); CmdletsToExport = @(); VariablesToExport = @(); AliasesToExport = @() }
    if ($FormatXml) {
        Set-Content (Join-Path $folder "$Name.Format.ps1xml") $FormatXml
        $manifest.FormatsToProcess = "$Name.Format.ps1xml"
    }
    New-ModuleManifest @manifest
    $manifest.Path
}

# Runs a fresh `pwsh -NoProfile -NonInteractive <Arguments>` (Pwsh: Get-PwshCommand's command, or another pwsh's) and
# returns its output with its error output merged in; $LASTEXITCODE is its exit code.
function Invoke-Pwsh([string[]] $Pwsh, [string[]] $Arguments) {
    & $Pwsh[0] @(@($Pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive') + $Arguments) 2>&1
}

# Wall-clock milliseconds of a fresh `pwsh -NoProfile -Command $Command`, $Runs times (after one warm-up).
function Measure-FreshPwsh {
    param([Parameter(Mandatory)] [string] $Command, [int] $Runs = 10, [switch] $NoWarmUp)
    $pwsh = @(Get-PwshCommand)
    if (-not $NoWarmUp) { $null = Invoke-Pwsh $pwsh @('-Command', $Command) }
    foreach ($i in 1..$Runs) {
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $null = Invoke-Pwsh $pwsh @('-Command', $Command)
        $watch.Stop()
        $watch.Elapsed.TotalMilliseconds
    }
}

function Get-Median([double[]] $Values) {
    $sorted = $Values | Sort-Object
    $n = $sorted.Count
    if ($n -eq 0) { return [double]::NaN }
    if ($n % 2) { return $sorted[[int][Math]::Floor($n / 2)] }
    return ($sorted[$n / 2 - 1] + $sorted[$n / 2]) / 2
}

function Get-Min([double[]] $Values) { ($Values | Measure-Object -Minimum).Minimum }

function Get-Max([double[]] $Values) { ($Values | Measure-Object -Maximum).Maximum }

function Get-Percentile([double[]] $Values, [double] $Percent) {
    $sorted = $Values | Sort-Object
    if ($sorted.Count -eq 0) { return [double]::NaN }
    $index = [Math]::Min($sorted.Count - 1, [Math]::Max(0, [int][Math]::Ceiling($Percent / 100 * $sorted.Count) - 1))
    return $sorted[$index]
}

# Memory of this process, in MB: working set and GC heap. The sandbox runs inside the bench's own pwsh, so this is
# the sandbox plus pwsh and the module. -FullCollection first collects garbage, so the heap figure is what is live.
function Get-ProcessMemory {
    param([switch] $FullCollection)
    if ($FullCollection) {
        [GC]::Collect()
        [GC]::WaitForPendingFinalizers()
        [GC]::Collect()
    }
    $process = [Diagnostics.Process]::GetCurrentProcess()
    [pscustomobject]@{ WorkingSetMB = $process.WorkingSet64 / 1MB; GcHeapMB = [GC]::GetTotalMemory($false) / 1MB }
}

# Samples this process's working set and GC heap every $IntervalMs on a thread job until Stop-MemorySampler. On Linux
# it also resets the kernel's peak-RSS mark (VmHWM, via /proc/self/clear_refs), so the peak working set is exact
# rather than sampled; the GC heap peak is always sampled.
function Start-MemorySampler {
    param([int] $IntervalMs = 100)
    $exactPeak = $true
    try { [IO.File]::WriteAllText('/proc/self/clear_refs', '5') } catch { $exactPeak = $false }
    $state = [hashtable]::Synchronized(@{ Stop = $false; PeakWorkingSet = 0L; PeakGcHeap = 0L; Samples = 0 })
    $job = Start-ThreadJob -ArgumentList $state, $IntervalMs -ScriptBlock {
        param($state, $interval)
        $process = [Diagnostics.Process]::GetCurrentProcess()
        while (-not $state.Stop) {
            $process.Refresh()
            $state.PeakWorkingSet = [Math]::Max($state.PeakWorkingSet, $process.WorkingSet64)
            $state.PeakGcHeap = [Math]::Max($state.PeakGcHeap, [GC]::GetTotalMemory($false))
            $state.Samples++
            Start-Sleep -Milliseconds $interval
        }
    }
    [pscustomobject]@{ State = $state; Job = $job; ExactPeak = $exactPeak }
}

# Stops the sampler; returns the peaks in MB (PeakWorkingSetExact tells whether the working set peak is the kernel's).
function Stop-MemorySampler {
    param([Parameter(Mandatory)] $Sampler)
    $Sampler.State.Stop = $true
    $null = $Sampler.Job | Wait-Job
    $Sampler.Job | Remove-Job
    $process = [Diagnostics.Process]::GetCurrentProcess()
    $peakWorkingSet = if ($Sampler.ExactPeak) { [Math]::Max($process.PeakWorkingSet64, $Sampler.State.PeakWorkingSet) } else { $Sampler.State.PeakWorkingSet }
    [pscustomobject]@{
        WorkingSetMB        = $peakWorkingSet / 1MB
        GcHeapMB            = $Sampler.State.PeakGcHeap / 1MB
        PeakWorkingSetExact = $Sampler.ExactPeak
        Samples             = $Sampler.State.Samples
    }
}

# Server, CA data and bearer token of a kubeconfig's current context, as kubectl resolves them.
function Get-KubeConfigCredential {
    param([Parameter(Mandatory)] [string] $KubeConfig)
    $json = kubectl config view --raw --minify --kubeconfig $KubeConfig -o json
    if ($LASTEXITCODE -ne 0) { throw "kubectl config view failed for $KubeConfig" }
    $config = $json | ConvertFrom-Json
    [pscustomobject]@{
        Server = $config.clusters[0].cluster.server
        CertificateAuthorityData = $config.clusters[0].cluster.'certificate-authority-data'
        Token = $config.users[0].user.token
    }
}

# The load average (1, 5, 15 min) as one string, or $null off Linux: the benches print it, the machine being shared.
function Get-LoadAverage {
    $line = Get-Content /proc/loadavg -ErrorAction SilentlyContinue
    if ($line) { return ($line -split ' ' | Select-Object -First 3) -join ' ' }
}

# Runs $Script with the environment variables in $Environment set (a $null value removes one) and puts the previous values
# back afterwards, so the fresh processes a bench starts see exactly the environment of their row.
function Invoke-WithEnvironment([hashtable] $Environment, [scriptblock] $Script) {
    $saved = @{}
    foreach ($name in $Environment.Keys) {
        $saved[$name] = [Environment]::GetEnvironmentVariable($name)
        [Environment]::SetEnvironmentVariable($name, $Environment[$name])
    }
    try { & $Script }
    finally { foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) } }
}

Export-ModuleMember -Function *
