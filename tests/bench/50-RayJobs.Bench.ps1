# Requests and time for a short Ray job (issue #20): submit with a working directory, wait, read the log; the same with
# the folder unchanged (no upload); and submit + follow. Counted by the sandbox's API server (all go through the head
# service's proxy), beside what `ray job submit` through `kubectl port-forward` needs.
param([Parameter(Mandatory)] [string] $ModulePath)
Import-Module $ModulePath
Import-Module (Join-Path $PSScriptRoot 'BenchHelpers.psm1') -Force

$sandbox = Start-RaySandbox
$env:KUBECONFIG = $sandbox.KubeConfigPath
$work = Join-Path ([IO.Path]::GetTempPath()) "rayps-bench-jobs-$([Guid]::NewGuid().ToString('N'))"
$null = New-Item -ItemType Directory $work
try {
    $null = New-RayCluster bench-jobs -HeadCpu 2 -HeadMemory 2Gi -WorkerReplicas 0 -Wait -TimeoutSec 120
    $runs = 7

    function New-Project([int] $Index) {
        $dir = Join-Path $work "p$Index"
        $null = New-Item -ItemType Directory $dir -Force
        Set-Content (Join-Path $dir 'train.py') @("import time", "print('run $Index epoch 1')", 'time.sleep(10)', "print('run $Index epoch 2')")
        $dir
    }

    function Measure-Scenario([string] $Name, [scriptblock] $Script) {
        $times = [Collections.Generic.List[double]]::new()
        $totals = [Collections.Generic.List[int]]::new()
        $verbs = @{}
        for ($i = 0; $i -lt $runs; $i++) {
            $null = Get-RaySandbox -InputObject $sandbox -RequestCount -Reset
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $null = & $Script $i
            $watch.Stop()
            $counts = @(Get-RaySandbox -InputObject $sandbox -RequestCount -Reset)
            $times.Add($watch.Elapsed.TotalMilliseconds)
            $totals.Add([int] ($counts | Measure-Object Count -Sum).Sum)
            if ($i -eq 0) { foreach ($c in $counts) { $verbs["$($c.Verb) $($c.Resource)"] = $c.Count } }
        }
        [pscustomobject]@{
            Scenario = $Name
            First    = ($verbs.GetEnumerator() | Sort-Object Key | ForEach-Object { "$($_.Key) x$($_.Value)" }) -join ', '
            Min      = Get-Min $totals.ToArray()
            Max      = Get-Max $totals.ToArray()
            Median   = Get-Median $times.ToArray()
        }
    }

    $rows = @(
        Measure-Scenario 'submit -WorkingDirectory (new content) + Wait-RayJob + Receive-RayJob' {
            param($i)
            $job = Start-RayJob -ClusterName bench-jobs -Entrypoint 'python train.py' -WorkingDirectory (New-Project $i)
            $null = $job | Wait-RayJob
            $job | Receive-RayJob
        }
        Measure-Scenario 'the same, folder unchanged (no upload)' {
            param($i)
            $job = Start-RayJob -ClusterName bench-jobs -Entrypoint 'python train.py' -WorkingDirectory (Join-Path $work 'p0')
            $null = $job | Wait-RayJob
            $job | Receive-RayJob
        }
        Measure-Scenario 'Start-RayJob -WorkingDirectory -Follow (unchanged folder)' {
            param($i)
            Start-RayJob -ClusterName bench-jobs -Entrypoint 'python train.py' -WorkingDirectory (Join-Path $work 'p0') -Follow
        }
    )

    '## Ray jobs: submit, wait, logs'
    ''
    "A job that prints a line, sleeps 10 simulated seconds (100 ms) and prints another, run $runs times per scenario on the sandbox."
    'Every request goes through the API server (`services/proxy` of the head service; `get`/`create`/`update` = GET/POST/PUT).'
    'Wait-RayJob polls every 0.25 s, growing to 2 s, so its GET count depends on how long the job runs, and the times are mostly those'
    'poll intervals (the job itself takes about 0.2 s); this shared machine adds noise of several hundred ms.'
    ''
    '| scenario | requests (first run) | total requests (min-max) | median time |'
    '|---|---|---|---|'
    foreach ($r in $rows) { "| $($r.Scenario) | $($r.First) | $($r.Min)-$($r.Max) | $([math]::Round($r.Median)) ms |" }
    ''
    'The same with `kubectl port-forward svc/<cluster>-head-svc 8265:8265` and `ray job submit --working-dir . -- python train.py`'
    '(counted from Ray''s job CLI and SDK source, not measured here): 2 local processes (kubectl, and a Python with `ray[default]`'
    'installed), the port-forward''s own requests (kubectl resolves the service: GET service, LIST pods, then the portforward upgrade),'
    'then through the tunnel 2 GET /api/version, GET and PUT of the package, the POST, the logs/tail WebSocket and a final GET of the'
    'job: about 7 dashboard requests, each on a new TCP connection through the tunnel. RayPS needs no local process, Python or open'
    'port: 4 requests to submit (GET + PUT package, POST, GET), 1 WebSocket to follow.'
}
finally {
    $sandbox | Stop-RaySandbox
    Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
}
