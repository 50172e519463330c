#requires -Version 7.4
<#
.SYNOPSIS
    Runs every tests/bench/*.Bench.ps1 and writes their markdown sections to docs/benchmarks.md.
.DESCRIPTION
    Each *.Bench.ps1 takes -ModulePath and returns markdown text (a "## ..." section with its figures). Benchmarks
    measure; they never fail the build on a target, they report it.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $OutputPath,
    [string] $Filter = '*'
)
$ErrorActionPreference = 'Stop'
$PSStyle.OutputRendering = 'PlainText'

$sections = foreach ($bench in Get-ChildItem $PSScriptRoot -Filter "$Filter.Bench.ps1" | Sort-Object Name) {
    Write-Host "bench: $($bench.BaseName)"
    try {
        (& $bench.FullName -ModulePath $ModulePath) -join "`n"
    }
    catch {
        "## $($bench.BaseName)`n`nFAILED: $($_.Exception.Message)`n"
    }
}

$cpu = (Get-Content /proc/cpuinfo -ErrorAction SilentlyContinue | Select-String '^model name' | Select-Object -First 1) -replace '^.*:\s*', ''
$header = @"
# RayPS benchmarks

Written by ``dotnet pwsh ./build.ps1 Bench`` on $((Get-Date).ToUniversalTime().ToString('yyyy-MM-dd HH:mm')) UTC.
Machine: $([Environment]::ProcessorCount) cores$(if ($cpu) { " ($cpu)" }), $([System.Runtime.InteropServices.RuntimeInformation]::OSDescription), .NET $([Environment]::Version), PowerShell $($PSVersionTable.PSVersion).
Figures are medians unless stated; the machines are shared and noisy, so compare ratios rather than absolute times.

"@
Set-Content -Path $OutputPath -Value ($header + ($sections -join "`n`n") + "`n")
Write-Host "benchmarks written to $OutputPath"
