# Import overhead: fresh `pwsh -NoProfile` with and without `Import-Module RayPS`. Target: <= 150 ms.
param([Parameter(Mandatory)] [string] $ModulePath)
Import-Module (Join-Path $PSScriptRoot 'BenchHelpers.psm1') -Force

$runs = 15
# PowerShell builds its formatting database the first time any format data loads (FormatsToProcess, or the first
# formatted output of a session). That one-time cost is PowerShell's, so it gets its own baseline.
$emptyFormat = Join-Path ([IO.Path]::GetTempPath()) 'rayps-bench-empty.Format.ps1xml'
Set-Content $emptyFormat '<?xml version="1.0" encoding="utf-8"?><Configuration><ViewDefinitions></ViewDefinitions></Configuration>'

$cases = [ordered]@{
    '`exit 0` (bare pwsh)'                                = 'exit 0'
    '`Update-FormatData` of an empty file (pwsh + formatting initialised)' = "Update-FormatData -AppendPath '$emptyFormat'; exit 0"
    '`Import-Module RayPS`'                               = "Import-Module '$ModulePath'; exit 0"
    '`Import-Module RayPS` + resolve a cmdlet and a type' = "Import-Module '$ModulePath'; `$null = Get-Command Get-RayCluster; `$null = [RayPS.RayCluster]; exit 0"
}
$results = [ordered]@{}
foreach ($name in $cases.Keys) { $results[$name] = @(Measure-FreshPwsh -Command $cases[$name] -Runs $runs) }
Remove-Item $emptyFormat -ErrorAction SilentlyContinue

$median = @{}
$rows = foreach ($name in $results.Keys) {
    $values = $results[$name]
    $median[$name] = Get-Median $values
    "| $name | $([Math]::Round($median[$name])) | $([Math]::Round(($values | Measure-Object -Minimum).Minimum)) | $([Math]::Round(($values | Measure-Object -Maximum).Maximum)) |"
}
$names = @($results.Keys)
$overBare = $median[$names[2]] - $median[$names[0]]
$overFormatted = $median[$names[2]] - $median[$names[1]]

@"
## Module import overhead

Fresh ``pwsh -NoProfile -NonInteractive`` processes, $runs runs each after a warm-up, wall clock.

| command | median ms | min | max |
|---|---:|---:|---:|
$($rows -join "`n")

- **Import overhead over a bare pwsh: $([Math]::Round($overBare)) ms** (target <= 150 ms: $(if ($overBare -le 150) { 'met' } else { 'not met' })).
- Of that, PowerShell's one-time formatting-database initialisation (paid by any module with format views, or by a session's
  first formatted output) is $([Math]::Round($median[$names[1]] - $median[$names[0]])) ms; **RayPS's own import cost is $([Math]::Round($overFormatted)) ms**
  (target: $(if ($overFormatted -le 150) { 'met' } else { 'not met' })).
- Nothing is read from the network or the kubeconfig at import (see tests/pester/Module.Tests.ps1).
"@
