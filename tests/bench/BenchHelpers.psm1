# Helpers shared by the *.Bench.ps1 scripts.

function Get-PwshCommand {
    $processPath = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($processPath) -eq 'dotnet') {
        return @($processPath, [Reflection.Assembly]::GetEntryAssembly().Location)
    }
    return @($processPath)
}

# Wall-clock milliseconds of a fresh `pwsh -NoProfile -Command $Command`, $Runs times (after one warm-up).
function Measure-FreshPwsh {
    param([Parameter(Mandatory)] [string] $Command, [int] $Runs = 10)
    $pwsh = @(Get-PwshCommand)
    $exe = $pwsh[0]
    $arguments = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command', $Command)
    $null = & $exe @arguments
    foreach ($i in 1..$Runs) {
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $null = & $exe @arguments
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

function Get-Percentile([double[]] $Values, [double] $Percent) {
    $sorted = $Values | Sort-Object
    if ($sorted.Count -eq 0) { return [double]::NaN }
    $index = [Math]::Min($sorted.Count - 1, [Math]::Max(0, [int][Math]::Ceiling($Percent / 100 * $sorted.Count) - 1))
    return $sorted[$index]
}

Export-ModuleMember -Function *
