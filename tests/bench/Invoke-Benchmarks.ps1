#requires -Version 7.4
<#
.SYNOPSIS
    Runs tests/bench/*.Bench.ps1 and writes their markdown sections to docs/benchmarks.md.
.DESCRIPTION
    Each *.Bench.ps1 takes -ModulePath and returns markdown text (a "## ..." section with its figures). Benchmarks
    measure; they never fail the build on a target, they report it. With -Filter only the matching benchmarks run and
    their sections replace the same sections of the existing file; the others are kept as they were.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $OutputPath,
    [string] $Filter = $(if ($env:RAYPS_BENCH_FILTER) { $env:RAYPS_BENCH_FILTER } else { '*' })
)
$ErrorActionPreference = 'Stop'
$PSStyle.OutputRendering = 'PlainText'

# Sections are kept between markers so that a filtered run can replace its own and leave the rest.
$sectionPattern = '(?s)<!-- bench:(?<name>[^ ]+) -->\r?\n(?<body>.*?)<!-- /bench -->'
$sections = [ordered]@{}
if ($Filter -ne '*' -and (Test-Path $OutputPath)) {
    foreach ($match in [regex]::Matches((Get-Content $OutputPath -Raw), $sectionPattern)) {
        $sections[$match.Groups['name'].Value] = $match.Groups['body'].Value.TrimEnd()
    }
}

# Each benchmark runs in a fresh pwsh: one benchmark's sandbox, sessions and memory never colour the next one's figures.
Import-Module (Join-Path $PSScriptRoot 'BenchHelpers.psm1') -Force
$pwsh = @(Get-PwshCommand)
# -like rather than the file system's -Filter, so PowerShell wildcards work in full ('0[15]-*' runs 01 and 05).
foreach ($bench in Get-ChildItem $PSScriptRoot -Filter '*.Bench.ps1' | Where-Object Name -Like "$Filter.Bench.ps1" | Sort-Object Name) {
    $name = $bench.BaseName -replace '\.Bench$', ''
    Write-Host "bench: $name"
    $sectionFile = Join-Path ([IO.Path]::GetTempPath()) "rayps-bench-$name-$([Guid]::NewGuid().ToString('N')).md"
    $runner = "`$ErrorActionPreference = 'Stop'; `$PSStyle.OutputRendering = 'PlainText'; " +
        "(& '$($bench.FullName)' -ModulePath '$ModulePath') -join [Environment]::NewLine | Set-Content -LiteralPath '$sectionFile'"
    $arguments = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command', $runner)
    $log = & $pwsh[0] @arguments 2>&1 | ForEach-Object { "$_" }
    $sections[$name] = if ($LASTEXITCODE -eq 0 -and (Test-Path $sectionFile)) {
        (Get-Content $sectionFile -Raw).TrimEnd()
    }
    else {
        "## $name`n`nFAILED (exit code $LASTEXITCODE):`n`n``````text`n$(($log | Select-Object -Last 15) -join "`n")`n``````"
    }
    Remove-Item $sectionFile -ErrorAction SilentlyContinue
    Write-Host ($sections[$name])
}

$cpu = (Get-Content /proc/cpuinfo -ErrorAction SilentlyContinue | Select-String '^model name' | Select-Object -First 1) -replace '^.*:\s*', ''
$header = @"
# RayPS benchmarks

Written by ``dotnet pwsh ./build.ps1 Bench`` (last run: $((Get-Date).ToUniversalTime().ToString('yyyy-MM-dd HH:mm')) UTC$(if ($Filter -ne '*') { ", benchmarks matching '$Filter'" })).
Machine: $([Environment]::ProcessorCount) cores$(if ($cpu) { " ($cpu)" }), $([System.Runtime.InteropServices.RuntimeInformation]::OSDescription), .NET $([Environment]::Version), PowerShell $($PSVersionTable.PSVersion).
Figures are medians unless stated; the machines are shared and noisy, so compare ratios rather than absolute times.
Run one benchmark again with ``dotnet pwsh ./build.ps1 Bench -BenchFilter 30-*``.

"@
$body = foreach ($name in @($sections.Keys | Sort-Object)) { "<!-- bench:$name -->`n$($sections[$name])`n<!-- /bench -->" }
Set-Content -Path $OutputPath -Value ($header + ($body -join "`n`n") + "`n")
Write-Host "benchmarks written to $OutputPath"
