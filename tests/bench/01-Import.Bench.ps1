# Import overhead: fresh `pwsh -NoProfile` with and without `Import-Module RayPS`. Target: <= 150 ms.
param([Parameter(Mandatory)] [string] $ModulePath)
Import-Module (Join-Path $PSScriptRoot 'BenchHelpers.psm1') -Force

$runs = 15
# The floors any module pays: PowerShell's own first Import-Module of a manifest module, and of one whose manifest loads a
# format file (FormatsToProcess: PowerShell sets up its formatting database then). An Update-FormatData call is no such
# floor: it auto-loads Microsoft.PowerShell.Utility first, which importing a module never does.
$floor = Join-Path ([IO.Path]::GetTempPath()) "rayps-bench-import-$([Guid]::NewGuid().ToString('N'))"
$emptyModule = New-FloorModule -Parent $floor -Name EmptyModule
$formatModule = New-FloorModule -Parent $floor -Name FormatModule -FormatXml '<?xml version="1.0" encoding="utf-8"?><Configuration><ViewDefinitions></ViewDefinitions></Configuration>'

$cases = [ordered]@{
    '`exit 0` (bare pwsh)'                                = 'exit 0'
    '`Import-Module` of an empty manifest module (floor)' = "Import-Module '$emptyModule'; exit 0"
    '`Import-Module` of a module with a format file (floor + formatting set-up)' = "Import-Module '$formatModule'; exit 0"
    '`Import-Module RayPS`'                               = "Import-Module '$ModulePath'; exit 0"
    '`Import-Module RayPS` + resolve a cmdlet and a type' = "Import-Module '$ModulePath'; `$null = Get-Command Get-RayCluster; `$null = [RayPS.RayCluster]; exit 0"
}
# Interleaved (each round runs every row once, after a warm-up round), so that a change in the shared machine's load
# falls on every row alike rather than on whichever row ran then.
$results = [ordered]@{}
foreach ($name in $cases.Keys) { $results[$name] = [Collections.Generic.List[double]]::new(); $null = Measure-FreshPwsh -Command $cases[$name] -Runs 1 -NoWarmUp }
foreach ($round in 1..$runs) {
    foreach ($name in $cases.Keys) { $results[$name].Add((Measure-FreshPwsh -Command $cases[$name] -Runs 1 -NoWarmUp)) }
}
Remove-Item $floor -Recurse -Force -ErrorAction SilentlyContinue

$median = @{}
$rows = foreach ($name in $results.Keys) {
    $values = $results[$name]
    $median[$name] = Get-Median $values
    "| $name | $([Math]::Round($median[$name])) | $([Math]::Round(($values | Measure-Object -Minimum).Minimum)) | $([Math]::Round(($values | Measure-Object -Maximum).Maximum)) |"
}
$names = @($results.Keys)
$overBare = $median[$names[3]] - $median[$names[0]]
$overFloor = $median[$names[3]] - $median[$names[2]]

@"
## Module import overhead

Fresh ``pwsh -NoProfile -NonInteractive`` processes, $runs interleaved rounds after a warm-up round, wall clock; RayPS imported by path
from the staged module (with its ReadyToRun images). pwsh is the IL-only dotnet tool (see 05-FirstCall for a precompiled one).

| command | median ms | min | max |
|---|---:|---:|---:|
$($rows -join "`n")

- **Import overhead over a bare pwsh: $([Math]::Round($overBare)) ms** (target <= 150 ms: $(if ($overBare -le 150) { 'met' } else { '**not met**' })).
- Of that, any module with a format file pays $([Math]::Round($median[$names[2]] - $median[$names[0]])) ms (PowerShell's module machinery and formatting set-up,
  the second and third rows); **RayPS's own import cost is $([Math]::Round($overFloor)) ms** over that floor
  (<= 150 ms: $(if ($overFloor -le 150) { 'met' } else { '**not met**' })). Earlier runs took an ``Update-FormatData`` call as the formatting floor;
  it mostly measured PowerShell auto-loading Microsoft.PowerShell.Utility, which importing a module does not do.
- Nothing is read from the network or the kubeconfig at import (see tests/pester/Module.Tests.ps1).
"@
