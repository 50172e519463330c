# Import overhead: fresh `pwsh -NoProfile` with and without `Import-Module RayPS`. Target: <= 150 ms.
param([Parameter(Mandatory)] [string] $ModulePath)
Import-Module (Join-Path $PSScriptRoot 'BenchHelpers.psm1') -Force

$runs = 15
$bare = @(Measure-FreshPwsh -Command 'exit 0' -Runs $runs)
$with = @(Measure-FreshPwsh -Command "Import-Module '$ModulePath'; exit 0" -Runs $runs)
$withCmdlet = @(Measure-FreshPwsh -Command "Import-Module '$ModulePath'; `$null = Get-Command Get-RayCluster; `$null = [RayPS.RayCluster]; exit 0" -Runs $runs)
$bareMedian = Get-Median $bare
$overhead = (Get-Median $with) - $bareMedian
$overheadResolved = (Get-Median $withCmdlet) - $bareMedian

@"
## Module import overhead

Fresh ``pwsh -NoProfile -NonInteractive`` processes, $runs runs each after a warm-up, wall clock.

| command | median ms | min | max |
|---|---:|---:|---:|
| ``exit 0`` | $([Math]::Round($bareMedian)) | $([Math]::Round(($bare | Measure-Object -Minimum).Minimum)) | $([Math]::Round(($bare | Measure-Object -Maximum).Maximum)) |
| ``Import-Module RayPS`` | $([Math]::Round((Get-Median $with))) | $([Math]::Round(($with | Measure-Object -Minimum).Minimum)) | $([Math]::Round(($with | Measure-Object -Maximum).Maximum)) |
| ``Import-Module RayPS`` + resolve a cmdlet and a type | $([Math]::Round((Get-Median $withCmdlet))) | $([Math]::Round(($withCmdlet | Measure-Object -Minimum).Minimum)) | $([Math]::Round(($withCmdlet | Measure-Object -Maximum).Maximum)) |

**Import overhead: $([Math]::Round($overhead)) ms** (median difference; target <= 150 ms: $(if ($overhead -le 150) { 'met' } else { 'NOT met' })).
With a cmdlet and a type resolved: $([Math]::Round($overheadResolved)) ms. Nothing is read from the network or the kubeconfig at import.
"@
