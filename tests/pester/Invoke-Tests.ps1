#requires -Version 7.4
# Runs every tests/pester/*.Tests.ps1 (and the example runbook tests in docs/examples) with Pester 6.2.0 and writes the counts for build.ps1 to add up.
param(
    [Parameter(Mandatory)] [string] $PesterPath,
    [Parameter(Mandatory)] [string] $ResultPath,
    [string] $Filter
)
$ErrorActionPreference = 'Stop'
$PSStyle.OutputRendering = 'PlainText'
Import-Module $PesterPath -Force
$config = New-PesterConfiguration
$config.Run.Path = @($PSScriptRoot, (Join-Path (Split-Path (Split-Path $PSScriptRoot)) 'docs/examples'))
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Normal'
if ($Filter) { $config.Filter.FullName = $Filter }
$result = Invoke-Pester -Configuration $config
# A container or block that fails outside any test (BeforeAll, discovery) fails its tests too: count it.
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
[pscustomobject]@{ Passed = $result.PassedCount; Failed = $failed; Skipped = $result.SkippedCount } | ConvertTo-Json | Set-Content -Path $ResultPath
if ($failed -gt 0) { exit 1 }
