# API requests of Install-KubeRayOperator / Uninstall-KubeRayOperator on a sandbox started without KubeRay (issue #19), and their times.
# Targets: the permission check, the pre-read and one server-side apply per object; a second install sends the same requests and
# changes nothing (every object keeps its resourceVersion).
param([Parameter(Mandatory)] [string] $ModulePath)
Import-Module $ModulePath

$sandbox = Start-RaySandbox -WithoutKubeRay
try {
    $kc = $sandbox.KubeConfigPath
    $rows = [Collections.Generic.List[object]]::new()

    function Read-Requests {
        $counts = @(Get-RaySandbox -InputObject $sandbox -RequestCount -Reset)
        [pscustomobject]@{
            Total = [int] ($counts | Measure-Object Count -Sum).Sum
            Text  = ($counts | Sort-Object Verb, Resource | ForEach-Object { "$($_.Verb) $($_.Resource) x$($_.Count)" }) -join ', '
        }
    }

    function Add-Row([string] $Operation, [scriptblock] $Script, [string] $Note) {
        $null = Read-Requests
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $result = & $Script
        $ms = $watch.ElapsedMilliseconds
        $requests = Read-Requests
        $rows.Add([pscustomobject]@{ Operation = $Operation; Requests = $requests.Text; Total = $requests.Total; Ms = $ms; Note = $Note })
        $result
    }

    $first = Add-Row '`Install-KubeRayOperator -Namespace kube-system` (empty cluster, 1.4.2)' { Install-KubeRayOperator -Namespace kube-system -KubeConfig $kc }
    $first = $first | Select-Object -Last 1
    $second = Add-Row '`Install-KubeRayOperator -Namespace kube-system` (again, same values)' { Install-KubeRayOperator -Namespace kube-system -KubeConfig $kc }
    $second = $second | Select-Object -Last 1
    $null = Add-Row '`Install-KubeRayOperator -Version 1.7.0` (upgrade in place)' { Install-KubeRayOperator -Namespace kube-system -Version 1.7.0 -KubeConfig $kc }
    $null = Add-Row '`Install-KubeRayOperator -ManifestOnly`' { Install-KubeRayOperator -Namespace kube-system -ManifestOnly -KubeConfig $kc }
    $null = Add-Row '`Uninstall-KubeRayOperator`' { Uninstall-KubeRayOperator -Confirm:$false -KubeConfig $kc }

    $table = ($rows | ForEach-Object { "| $($_.Operation) | $($_.Requests) | $($_.Total) | $($_.Ms) |" }) -join "`n"
    @"
## Requests of Install-KubeRayOperator

Every request each command sends, counted by the sandbox's API server (``Get-RaySandbox -RequestCount -Reset`` around it; one fresh
sandbox started ``-WithoutKubeRay``, one run each: the counts are deterministic, the times are one noisy sample).

| operation | requests (verb resource x count) | total | ms |
|---|---|---:|---:|
$table

- First install: $($first.Created) objects created ($($first.Objects.Count) applied). Second install: Changed = $($second.Changed),
  $($second.Unchanged) of $($second.Objects.Count) objects unchanged (the server keeps their resourceVersion), the same requests.
- The requests: one SelfSubjectAccessReview per resource and verb (create, patch) so a missing right stops the install before
  anything is written; one GET of the namespace and of each object (is it new, unchanged, or Helm's?); one server-side apply
  PATCH per object, CRDs first and the Deployment last. The three CRD GETs and PATCHes carry ~1 MB each.
"@
}
finally {
    $sandbox | Stop-RaySandbox
}
