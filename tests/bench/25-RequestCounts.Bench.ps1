# API requests per cluster lifecycle and scaling operation, counted by the sandbox's API server (issues #5 and #6).
# Targets: New-RayCluster = 1 POST (+ 1 watch with -Wait), Get-RayCluster = 1 LIST, a scale = 1 PATCH and no more requests
# than `kubectl ray scale` (GET + PUT). The same changes made with kubectl are counted the same way for comparison.
param([Parameter(Mandatory)] [string] $ModulePath)
Import-Module $ModulePath

$sandbox = Start-RaySandbox
$work = Join-Path ([IO.Path]::GetTempPath()) "rayps-bench-requests-$([Guid]::NewGuid().ToString('N'))"
$null = New-Item -ItemType Directory $work
try {
    $kc = $sandbox.KubeConfigPath
    $repoRoot = Split-Path (Split-Path $PSScriptRoot)
    $rows = [Collections.Generic.List[object]]::new()

    # Requests since the last call, by "verb resource"; discovery (/api, /apis, /version, /openapi...) kept apart.
    function Read-Requests {
        $counts = @(Get-RaySandbox -InputObject $sandbox -RequestCount -Reset)
        $api = @($counts | Where-Object { -not $_.Resource.StartsWith('/') })
        $discovery = @($counts | Where-Object { $_.Resource.StartsWith('/') })
        $describe = { param($c) ($c | ForEach-Object { "$($_.Verb) $($_.Resource) x$($_.Count)" }) -join ', ' }
        [pscustomobject]@{
            Api            = $api
            ApiTotal       = [int] ($api | Measure-Object Count -Sum).Sum
            Text           = if ($api) { & $describe $api } else { 'none' }
            DiscoveryTotal = [int] ($discovery | Measure-Object Count -Sum).Sum
            DiscoveryText  = & $describe $discovery
        }
    }

    function Format-Discovery($Requests) {
        if ($Requests.DiscoveryTotal) { " (+ $($Requests.DiscoveryTotal) discovery: $($Requests.DiscoveryText))" } else { '' }
    }

    function Get-Count($Requests, [string] $Key) {
        [int] ($Requests.Api | Where-Object { "$($_.Verb) $($_.Resource)" -eq $Key } | Measure-Object Count -Sum).Sum
    }

    # Runs one operation alone and records what it cost against its target: exact counts for the listed
    # "verb resource" keys and a ceiling on the total.
    function Add-Row([string] $Operation, [hashtable] $Exactly, [int] $MaxTotal, [scriptblock] $Script, [string] $Why) {
        $null = Read-Requests
        $failure = $null
        try { $null = & $Script } catch { $failure = $_.Exception.Message }
        $requests = Read-Requests
        $wrong = @($Exactly.Keys | Sort-Object | Where-Object { (Get-Count $requests $_) -ne $Exactly[$_] })
        $target = (@($Exactly.Keys | Sort-Object | ForEach-Object { "$_ x$($Exactly[$_])" }) + "total <= $MaxTotal") -join ', '
        $total = $requests.ApiTotal + $requests.DiscoveryTotal
        $met = if ($failure) { "failed: $failure" }
        elseif ($wrong) { "**not met** ($(($wrong | ForEach-Object { "$_ x$(Get-Count $requests $_)" }) -join ', '))" }
        elseif ($total -gt $MaxTotal) { "**not met** ($total > $MaxTotal)" }
        else { 'met' }
        $rows.Add([pscustomobject]@{
            Operation = $Operation; Requests = $requests.Text + (Format-Discovery $requests); Total = "$total"; Target = $target; Met = $met; Why = $Why
            IsRayPS = $true; Discovery = $requests.DiscoveryTotal
        })
    }

    # A kubectl command counted the same way; its discovery requests are shown apart from the API requests.
    function Add-KubectlRow([string] $Operation, [scriptblock] $Script) {
        $null = Read-Requests
        $output = & $Script 2>&1
        if ($LASTEXITCODE -ne 0) { throw "$Operation failed: $output" }
        $requests = Read-Requests
        $rows.Add([pscustomobject]@{ Operation = $Operation; Requests = $requests.Text + (Format-Discovery $requests); Total = "$($requests.ApiTotal)"; Target = 'reference'; Met = ''; IsRayPS = $false })
        $requests
    }

    $connection = @{ KubeConfig = $kc }
    $small = @{ HeadCpu = 1; HeadMemory = '1Gi'; WorkerCpu = 1; WorkerMemory = '1Gi'; WorkerReplicas = 1 }
    $manifestPath = Join-Path $work 'from-path.yaml'
    New-RayCluster from-path @small -ManifestOnly | Set-Content $manifestPath

    Add-Row '`New-RayCluster` (parameters)' @{ 'create rayclusters' = 1 } 1 { New-RayCluster from-params @small -WorkerMinReplicas 0 -WorkerMaxReplicas 4 @connection }
    Add-Row '`New-RayCluster -ValuesPath docs/examples/values.yaml`' @{ 'create rayclusters' = 1 } 1 {
        New-RayCluster -ValuesPath (Join-Path $repoRoot 'docs/examples/values.yaml') -ReleaseName from-values @connection
    }
    Add-Row '`New-RayCluster -Path <yaml>`' @{ 'create rayclusters' = 1 } 1 { New-RayCluster -Path $manifestPath @connection }
    Add-Row '`New-RayCluster -Wait` (until ready)' @{ 'create rayclusters' = 1; 'watch rayclusters' = 1 } 2 {
        $ready = New-RayCluster waited @small -Wait -TimeoutSec 120 @connection
        if ($ready.State -ne 'ready') { throw "the cluster is '$($ready.State)', not ready" }
    }
    Add-Row '`New-RayCluster -ManifestOnly`' @{} 0 { New-RayCluster manifest-only @small -ManifestOnly @connection }
    Add-Row '`New-RayCluster -DryRun`' @{ 'create rayclusters' = 1 } 1 { New-RayCluster dry-run @small -DryRun @connection }
    Add-Row '`Get-RayCluster from-params` (one)' @{ 'list rayclusters' = 1 } 1 { Get-RayCluster from-params @connection }
    $clusterCount = @(Get-RayCluster @connection).Count
    Add-Row "``Get-RayCluster`` (all, $clusterCount clusters)" @{ 'list rayclusters' = 1 } 1 { Get-RayCluster @connection }
    Add-Row '`New-RayWorkerDeployment from-params dep`' @{ 'create deployments' = 1 } 3 { New-RayWorkerDeployment from-params dep -Cpu 1 -Memory 1Gi @connection } `
        'documented: GET RayCluster + LIST Deployments (together) + POST; no issue target'
    Add-Row '`Get-RayWorkerGroup from-params`' @{ 'get rayclusters' = 1; 'list deployments' = 1; 'list pods' = 1 } 3 { Get-RayWorkerGroup from-params @connection } `
        'documented: GET RayCluster + LIST Deployments + LIST pods, sent together; no issue target'
    Add-Row '`Set-RayWorkerReplicas` RayCluster group' @{ 'patch rayclusters' = 1 } 2 { Set-RayWorkerReplicas from-params workergroup 2 @connection }
    Add-Row '`Set-RayWorkerReplicas` Deployment group (by name)' @{ 'patch deployments' = 1 } 2 { Set-RayWorkerReplicas from-params dep 2 @connection } `
        'GET RayCluster (the group is not in it), then one JSON patch of the Deployment named <cluster>-<group> that tests its ray.io labels'
    Add-Row '`Set-RayWorkerReplicas -Kind Deployment` (by name)' @{ 'patch deployments' = 1 } 1 { Set-RayWorkerReplicas from-params dep 2 -Kind Deployment @connection }
    $depGroup = Get-RayWorkerGroup from-params dep @connection
    Add-Row '`Get-RayWorkerGroup ... \| Set-RayWorkerReplicas` Deployment group (piped)' @{ 'patch deployments/scale' = 1 } 1 { $depGroup | Set-RayWorkerReplicas -Replicas 3 @connection }
    $rcGroup = Get-RayWorkerGroup from-params workergroup @connection
    Add-Row '`Get-RayWorkerGroup ... \| Set-RayWorkerReplicas` RayCluster group (piped, up)' @{ 'patch rayclusters' = 1 } 1 { $rcGroup | Set-RayWorkerReplicas -Replicas 3 @connection }
    $null = Wait-RayCluster from-params -TimeoutSec 120 @connection
    $null = Set-RayWorkerReplicas from-params workergroup 3 -Wait -TimeoutSec 120 @connection
    Add-Row '`Set-RayWorkerReplicas` RayCluster group scale-down 3 -> 2 (idle workers first)' @{ 'patch rayclusters' = 1; 'list pods' = 1; 'get services/proxy' = 1 } 4 {
        Set-RayWorkerReplicas from-params workergroup 2 @connection
    } 'issue #21: GET RayCluster + LIST the group''s pods + GET the head''s node summary through the service proxy (which nodes are idle) + one JSON patch naming the pods in workersToDelete'
    $null = Set-RayWorkerReplicas from-params workergroup 2 -Wait -TimeoutSec 120 @connection
    $victim = (Get-RayWorkerGroup from-params workergroup @connection).Pods | Select-Object -First 1
    Add-Row '`Set-RayWorkerReplicas -WorkersToDelete <pod>` scale-down 2 -> 1' @{ 'patch rayclusters' = 1; 'list pods' = 1 } 3 {
        Set-RayWorkerReplicas from-params workergroup 1 -WorkersToDelete $victim @connection
    } 'the user''s choice covers the reduction: Ray''s state is not read'
    $null = Add-RayWorkerGroup from-params doomed -Replicas 2 -Cpu 1 -Memory 1Gi @connection
    $null = Set-RayWorkerReplicas from-params doomed 2 -Wait -TimeoutSec 120 @connection
    Add-Row '`Remove-RayWorkerGroup -Force` RayCluster group of 2 pods' @{ 'patch rayclusters' = 2; 'delete pods' = 2 } 6 {
        Remove-RayWorkerGroup from-params doomed -Force -Confirm:$false @connection
    } 'issue #21: GET RayCluster + LIST pods + PATCH (replicas and bounds 0, pods named) + DELETE per pod + PATCH (remove, testing the name at its index); without -Force the DELETEs become one LIST of pods per half second until KubeRay has removed them'
    $null = New-RayWorkerDeployment from-params doomed-dep -Replicas 1 -Cpu 1 -Memory 1Gi @connection
    Add-Row '`Remove-RayWorkerGroup -Force` Deployment group' @{ 'delete deployments' = 1 } 3 {
        Remove-RayWorkerGroup from-params doomed-dep -Force -Confirm:$false @connection
    } 'GET RayCluster (not a RayCluster group) + LIST Deployments + one foreground DELETE; without -Force one GET per half second until it is gone'
    Add-Row '`Set-RayClusterAutoscaling -Enable -IdleTimeoutSeconds 300`' @{ 'patch rayclusters' = 1 } 1 {
        Set-RayClusterAutoscaling from-params -Enable -IdleTimeoutSeconds 300 -WarningAction SilentlyContinue @connection
    } 'one merge patch of just those fields'
    $null = Set-RayClusterAutoscaling from-params -Disable -WarningAction SilentlyContinue @connection
    $above = (Get-RayWorkerGroup from-params workergroup @connection).Max + 2
    Add-Row "``Set-RayWorkerReplicas -AdjustBounds`` ($above, above maxReplicas)" @{ 'patch rayclusters' = 1 } 2 { Set-RayWorkerReplicas from-params workergroup $above -AdjustBounds @connection }
    if ((Get-RayWorkerGroup from-params workergroup @connection).Max -ne $above) { throw "-AdjustBounds did not move maxReplicas to $above" }
    Add-Row '`Add-RayWorkerGroup`' @{ 'patch rayclusters' = 1 } 3 { Add-RayWorkerGroup from-params extra -Replicas 0 -Cpu 1 -Memory 1Gi @connection } `
        'target: one JSON patch (issue #6); 3 requests in 2 round trips: the LIST of Deployments, sent alongside the GET, refuses a name a Deployment group already has; `kubectl ray create workergroup` (GET + PUT) does not check'
    Add-Row '`Remove-RayCluster`' @{ 'delete rayclusters' = 1 } 1 { Remove-RayCluster from-path -Confirm:$false @connection }
    Add-Row '`Remove-RayCluster -PassThru`' @{ 'delete rayclusters' = 1 } 2 { Remove-RayCluster from-values-kuberay -PassThru -Confirm:$false @connection } `
        'documented: a custom resource''s DELETE answers with a Status, so -PassThru GETs the object first'

    # kubectl against the same sandbox, with a discovery cache of its own: the first call fills it.
    $cache = Join-Path $work 'kubectl-cache'
    $kubectlArgs = @('--kubeconfig', $kc, '--cache-dir', $cache)
    $first = Add-KubectlRow '`kubectl scale deployment/from-params-dep --replicas=4` (first call, empty cache)' {
        kubectl scale deployment/from-params-dep --replicas=4 @kubectlArgs
    }
    $null = Add-KubectlRow '`kubectl scale deployment/from-params-dep --replicas=5`' { kubectl scale deployment/from-params-dep --replicas=5 @kubectlArgs }
    $editedPath = Join-Path $work 'replace.json'
    # The operator writes the cluster's status while pods start; a GET + PUT during that time fails with 409 Conflict (as
    # `kubectl ray scale` does on a real cluster). Let it settle first, so the row counts the requests of a successful scale.
    function Wait-Settled { $null = Wait-RayCluster from-params -TimeoutSec 120 @connection; Start-Sleep -Seconds 1 }
    Wait-Settled
    $null = Add-KubectlRow '`kubectl get raycluster from-params -o json` (the GET of `kubectl ray scale`)' {
        kubectl get raycluster from-params -o json @kubectlArgs | Set-Content $editedPath
    }
    $edited = Get-Content $editedPath -Raw | ConvertFrom-Json -Depth 64
    $edited.spec.workerGroupSpecs[0].replicas = 4
    $edited | ConvertTo-Json -Depth 64 | Set-Content $editedPath
    $null = Add-KubectlRow '`kubectl replace -f <edited json>` (the PUT of `kubectl ray scale`)' { kubectl replace -f $editedPath @kubectlArgs }
    Wait-Settled
    $again = kubectl get raycluster from-params -o json @kubectlArgs | ConvertFrom-Json -Depth 64
    $again.spec.workerGroupSpecs[0].replicas = 5
    $again | ConvertTo-Json -Depth 64 | Set-Content $editedPath
    $replaceAgain = Add-KubectlRow '`kubectl replace -f <edited json>` (second call)' { kubectl replace -f $editedPath @kubectlArgs }

    $rayps = @($rows | Where-Object IsRayPS)
    $notMet = @($rayps | Where-Object Met -NE 'met')
    $table = ($rows | ForEach-Object { "| $($_.Operation) | $($_.Requests) | $($_.Total) | $($_.Target) | $($_.Met)$(if ($_.Why) { "; $($_.Why)" }) |" }) -join "`n"
    @"
## Requests per cluster lifecycle and scaling operation

Every request a command sends, counted by the sandbox's API server (``Get-RaySandbox -RequestCount -Reset`` around each
command, one fresh sandbox, one run each: the counts are deterministic). Targets (issues #5, #6): New-RayCluster 1 POST,
plus 1 watch with -Wait; Get-RayCluster 1 LIST; a scale 1 PATCH and no more requests than ``kubectl ray scale`` (GET + PUT).

| operation | requests (verb resource x count) | total | target | met? |
|---|---|---:|---|---|
$table

- **$($rayps.Count - $notMet.Count) of $($rayps.Count) RayPS operations meet their target**$(if ($notMet) { "; not met: $(($notMet | ForEach-Object { $_.Operation }) -join ', ')" }).
- Discovery: RayPS sent $(($rayps | Measure-Object Discovery -Sum).Sum) discovery requests in all. kubectl's first call on an empty cache sent
  $($first.DiscoveryTotal) ($($first.DiscoveryText)); later calls read /api and /apis from the cache (``--cache-dir``) but still send
  ``GET /version`` each time, and every ``kubectl replace`` also reads the OpenAPI v3 documents to check that the server supports
  field validation ($($replaceAgain.DiscoveryText) on its second call). The totals above count API requests only for kubectl.
- ``kubectl ray scale`` is GET + PUT of the whole RayCluster: a change made by anyone between the two makes the PUT fail
  with 409 Conflict. RayPS sends the same number of requests, but its JSON patch ``test``s only the group it changes, so other
  changes do not conflict, and a conflicting one is read again and retried.
"@
}
finally {
    $sandbox | Stop-RaySandbox
    Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
}
