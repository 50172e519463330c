# Get-RayNodeLog and Save-RayClusterLog against the sandbox: pods/log as the kubelet serves it, Ray's log API through the
# head service's proxy, faults (OOM kills, a head that is down, a forbidden pods/log) and the request counts.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:sandbox = Start-TestSandbox
    $script:kc = $sandbox.KubeConfigPath

    $null = New-RayCluster -Name logs -HeadCpu 1 -HeadMemory 2Gi -WorkerReplicas 2 -WorkerCpu 1 -WorkerMemory 2Gi -KubeConfig $kc -Wait -TimeoutSec 120
    $script:pods = @(Get-RayNodeHealth logs -KubeConfig $kc | Sort-Object NodeType, PodName)
    $script:head = $pods | Where-Object NodeType -EQ head
    $script:workers = @($pods | Where-Object NodeType -EQ worker)

    # Polls $Script until $Until is true for its output (or the time is up) and returns the last output.
    function Wait-Until {
        param([scriptblock] $Script, [scriptblock] $Until, [int] $TimeoutSec = 60)
        $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSec)
        do {
            $out = @(& $Script)
            if (& $Until $out) { return $out }
            Start-Sleep -Milliseconds 250
        } while ([DateTime]::UtcNow -lt $deadline)
        return $out
    }
}

AfterAll {
    Stop-TestSandbox $sandbox
}

Describe 'Get-RayNodeLog reads container output' {
    It 'returns the ray start output of every node as RayLogLine objects with the kubelet timestamps' {
        $null = Get-NewRequests
        $lines = @(Get-RayNodeLog logs -KubeConfig $kc)
        $lines | Should -BeOfType RayPS.RayLogLine
        @($lines.PodName | Sort-Object -Unique) | Should -Be @($pods.PodName | Sort-Object)
        foreach ($pod in $pods) {
            $own = @($lines | Where-Object PodName -EQ $pod.PodName)
            ($own.Text -join "`n") | Should -Match 'Ray runtime started\.'
            ($own.Text -join "`n") | Should -Match ([regex]::Escape("Local node IP: $($pod.PodIP)"))
            $own | ForEach-Object { $_.Source | Should -Be 'Container'; $_.Timestamp | Should -Not -BeNullOrEmpty; $_.Previous | Should -BeFalse }
        }
        ($lines | Where-Object PodName -EQ $head.PodName).Container | Select-Object -Unique | Should -Be 'ray-head'
        ($lines | Where-Object PodName -EQ $workers[0].PodName).Container | Select-Object -Unique | Should -Be 'ray-worker'
        (($lines | Where-Object PodName -EQ $head.PodName).Text -join "`n") | Should -Match "ray start --address='$([regex]::Escape($head.PodIP)):6379'"
        # One pod LIST, one pods/log GET per pod.
        $requests = Get-NewRequests
        ($requests | Where-Object { $_.Verb -eq 'list' -and $_.Resource -eq 'pods' }).Count | Should -Be 1
        ($requests | Where-Object Resource -EQ 'pods/log').Count | Should -Be 3
        ($requests | Measure-Object Count -Sum).Sum | Should -Be 4
    }

    It 'lines work with Select-String and Where-Object, and the table shows pod, container, time and text' {
        $match = Get-RayNodeLog logs -NodeType Head -KubeConfig $kc | Select-String 'Ray runtime started'
        @($match).Count | Should -Be 1
        @(Get-RayNodeLog logs -KubeConfig $kc | Where-Object Text -Match 'SUCC').Count | Should -Be 9
        $text = Get-RayNodeLog logs -NodeType Head -Tail 2 -KubeConfig $kc | Out-String -Width 250
        $text | Should -Match 'PodName\s+From\s+Time \(UTC\)\s+Text'
        $text | Should -Match "$([regex]::Escape($head.PodName))\s+ray-head\s+\d\d:\d\d:\d\d\.\d{3}\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\s"
    }

    It '-Tail, -NodeType, -PodName wildcards and -GroupName pick what is read' {
        $tail = @(Get-RayNodeLog logs -Tail 2 -KubeConfig $kc)
        $tail.Count | Should -Be 6
        $workerLines = @(Get-RayNodeLog logs -NodeType Worker -Tail 1 -KubeConfig $kc)
        @($workerLines.PodName | Sort-Object) | Should -Be @($workers.PodName | Sort-Object)
        @(Get-RayNodeLog logs -PodName '*-head-*' -Tail 1 -KubeConfig $kc).PodName | Should -Be $head.PodName
        @(Get-RayNodeLog logs -GroupName workergroup -Tail 1 -KubeConfig $kc).Count | Should -Be 2
        @(Get-RayNodeLog logs -GroupName headgroup -Tail 1 -KubeConfig $kc).PodName | Should -Be $head.PodName
    }

    It '-Since keeps only recent lines (the kubelet filters by sinceSeconds)' {
        $all = @(Get-RayNodeLog logs -NodeType Head -KubeConfig $kc)
        $newest = ($all.Timestamp | Measure-Object -Maximum).Maximum
        # Wait until the newest line is over two seconds old, then a one-second window holds none of them.
        while (([DateTimeOffset]::UtcNow - $newest).TotalSeconds -lt 2.5) { Start-Sleep -Milliseconds 200 }
        @(Get-RayNodeLog logs -NodeType Head -Since '00:00:01' -KubeConfig $kc).Count | Should -Be 0
        @(Get-RayNodeLog logs -NodeType Head -Since '01:00:00' -KubeConfig $kc).Count | Should -Be $all.Count
    }

    It '-Container reads the init container, * reads every container' {
        $init = @(Get-RayNodeLog logs -PodName $workers[0].PodName -Container wait-gcs-ready -KubeConfig $kc)
        $init.Container | Select-Object -Unique | Should -Be 'wait-gcs-ready'
        ($init.Text -join "`n") | Should -Match 'GCS is ready'
        @(Get-RayNodeLog logs -PodName $workers[0].PodName -Container '*' -KubeConfig $kc).Container | Select-Object -Unique | Sort-Object |
            Should -Be @('ray-worker', 'wait-gcs-ready')
    }

    It 'takes nodes from Get-RayNodeHealth on the pipeline and lists the cluster''s pods once' {
        $null = Get-NewRequests
        $lines = @(Get-RayNodeHealth logs -KubeConfig $kc | Where-Object NodeType -EQ worker | Get-RayNodeLog -Tail 3 -KubeConfig $kc)
        $lines.Count | Should -Be 6
        @($lines.PodName | Sort-Object -Unique) | Should -Be @($workers.PodName | Sort-Object)
        $requests = Get-NewRequests
        # Get-RayNodeHealth's own pod LIST, then Get-RayNodeLog's one.
        ($requests | Where-Object { $_.Verb -eq 'list' -and $_.Resource -eq 'pods' }).Count | Should -Be 2
        ($requests | Where-Object Resource -EQ 'pods/log').Count | Should -Be 2

        # Rows of different node types and groups still list the cluster's pods once.
        $null = Get-NewRequests
        $mixed = @($head, $workers[0] | Get-RayNodeLog -Tail 1 -KubeConfig $kc)
        @($mixed.PodName | Sort-Object) | Should -Be @(($head.PodName, $workers[0].PodName) | Sort-Object)
        @(Get-NewRequests | Where-Object { $_.Verb -eq 'list' -and $_.Resource -eq 'pods' }).Count | Should -Be 1
    }

    It 'a container with RAY_LOG_TO_STDERR=1 shows the raylet''s own lines after the banner' {
        $manifest = Join-Path $TestDrive 'stderr.yaml'
        @"
apiVersion: ray.io/v1
kind: RayCluster
metadata:
  name: stderr
spec:
  rayVersion: '2.46.0'
  headGroupSpec:
    rayStartParams: {}
    template:
      spec:
        containers:
        - name: ray-head
          image: rayproject/ray:2.46.0
          env: [{name: RAY_LOG_TO_STDERR, value: "1"}]
          resources: {limits: {cpu: "1", memory: 2Gi}}
"@ | Set-Content $manifest
        $null = New-RayCluster -Path $manifest -KubeConfig $kc
        $null = Wait-RayCluster stderr -TimeoutSec 60 -KubeConfig $kc
        $head = @(Get-RayNodeHealth stderr -KubeConfig $kc)[0]
        $text = (Get-RayNodeLog stderr -KubeConfig $kc).Text -join "`n"
        Remove-RayCluster stderr -Confirm:$false -KubeConfig $kc
        $text | Should -Match 'Ray runtime started\.'
        $text | Should -Match "\(raylet\) raylet\.cc:\d+: Raylet of id, $($head.RayNodeId) started"
    }

    It '-Follow streams until the pipeline stops it' {
        $first = @(Get-RayNodeLog logs -NodeType Head -Follow -KubeConfig $kc | Select-Object -First 3)
        $first.Count | Should -Be 3
        $first[0].Text | Should -Match 'usage_lib'
    }
}

Describe 'Get-RayNodeLog reads Ray''s session log files' {
    It '-RayLog raylet.out reads each node''s raylet log through the head''s dashboard, one node list and one GET per node' {
        $null = Get-NewRequests
        $lines = @(Get-RayNodeLog logs -RayLog raylet.out -KubeConfig $kc)
        @($lines.PodName | Sort-Object -Unique) | Should -Be @($pods.PodName | Sort-Object)
        $lines | ForEach-Object { $_.Source | Should -Be 'RayLog'; $_.File | Should -Be 'raylet.out'; $_.Container | Should -BeNullOrEmpty }
        foreach ($pod in $pods) {
            $own = @($lines | Where-Object PodName -EQ $pod.PodName)
            ($own.Text -join "`n") | Should -Match "Raylet of id, $($pod.RayNodeId) started"
            $own[0].Timestamp | Should -Not -BeNullOrEmpty
        }
        $requests = Get-NewRequests
        ($requests | Where-Object Resource -EQ 'services/proxy').Count | Should -Be 4
    }

    It '-RayLog with wildcards lists each node''s files and reads the matching ones; -Tail limits each file' {
        $files = @(Get-RayNodeLog logs -NodeType Head -RayLog '*' -Tail 1 -KubeConfig $kc)
        $files.File | Should -Contain 'gcs_server.out'
        $files.File | Should -Contain 'dashboard.log'
        $files.File | Should -Not -Contain 'events/'
        @($files | Where-Object File -EQ 'gcs_server.out').Count | Should -Be 1
        $gcs = @(Get-RayNodeLog logs -NodeType Head -RayLog 'gcs_server.*' -KubeConfig $kc)
        ($gcs.Text -join "`n") | Should -Match "Registering new node. node_id=$($workers[0].RayNodeId)"
        @(Get-RayNodeLog logs -NodeType Worker -RayLog 'gcs_server.*' -KubeConfig $kc).Count | Should -Be 0
    }

    It 'a file the node does not have is RayLogReadFailed with Ray''s words, and the other nodes still report' {
        $out = @(Get-RayNodeLog logs -RayLog gcs_server.out -KubeConfig $kc -ErrorVariable err -ErrorAction SilentlyContinue)
        $out.PodName | Select-Object -Unique | Should -Be $head.PodName
        $err.Count | Should -Be 2
        $err | ForEach-Object {
            $_.FullyQualifiedErrorId | Should -BeLike 'RayLogReadFailed,*'
            $_.CategoryInfo.Category | Should -Be 'ReadError'
            $_.Exception.Message | Should -Match 'A file is not found at: /tmp/ray/session_.+/logs/gcs_server.out'
        }
    }
}

Describe 'Get-RayNodeLog errors' {
    It 'a cluster that does not exist is RayClusterNotFound' {
        { Get-RayNodeLog nope -KubeConfig $kc -ErrorAction Stop } | Should -Throw -ErrorId 'RayClusterNotFound,*'
    }

    It 'a pod that is not in the cluster is PodNotFound and the named pods still report' {
        $out = @(Get-RayNodeLog logs -PodName no-such-pod, $head.PodName -Tail 1 -KubeConfig $kc -ErrorVariable err -ErrorAction SilentlyContinue)
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'PodNotFound,*'
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $out.PodName | Should -Be $head.PodName
    }

    It '-Previous on a container that never restarted is PreviousLogNotFound in the API server''s words' {
        { Get-RayNodeLog logs -PodName $head.PodName -Previous -KubeConfig $kc -ErrorAction Stop } |
            Should -Throw -ErrorId 'PreviousLogNotFound,*' -ExpectedMessage "previous terminated container `"ray-head`" in pod `"$($head.PodName)`" not found*"
    }

    It 'a container that has not started is ContainerNotStarted, saying so as the API server does' {
        $null = New-RayCluster -Name badimage -HeadCpu 1 -HeadMemory 1Gi -WorkerReplicas 0 -Image rayproject/ray:does-not-exist -KubeConfig $kc
        $pod = Wait-Until { Get-RayNodeHealth badimage -KubeConfig $kc } { param($o) $o.Count -eq 1 -and $o[0].Reason -match 'ImagePullBackOff|ErrImagePull' }
        $err = $null
        $null = Get-RayNodeLog badimage -KubeConfig $kc -ErrorVariable err -ErrorAction SilentlyContinue
        Remove-RayCluster badimage -KubeConfig $kc -Confirm:$false
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ContainerNotStarted,*'
        $err[0].CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        $err[0].Exception.Message | Should -Match "^container `"ray-head`" in pod `"$([regex]::Escape($pod[0].PodName))`" is waiting to start: (image can't be pulled|trying and failing to pull image)"
    }

    It 'a pod not scheduled yet (the API server answers 204) is ContainerNotStarted, and Save writes nothing for it' {
        # Without a kubelet the operator's pods stay Pending on no node, as on the server of golden transcript 65.
        $pending = Start-RaySandbox -Controllers Deployment, KubeRay
        try {
            $pkc = $pending.KubeConfigPath
            $null = New-RayCluster -Name waiting -HeadCpu 1 -HeadMemory 1Gi -WorkerReplicas 0 -KubeConfig $pkc
            $pod = Wait-Until { Get-RayNodeHealth waiting -KubeConfig $pkc -WarningAction SilentlyContinue } { param($o) $o.Count -eq 1 -and $o[0].PodPhase -eq 'Pending' }
            $err = $null
            $null = Get-RayNodeLog waiting -KubeConfig $pkc -ErrorVariable err -ErrorAction SilentlyContinue
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'ContainerNotStarted,*'
            $err[0].Exception.Message | Should -Match "Pod '$([regex]::Escape($pod[0].PodName))' .+is not scheduled to a node yet \(Pending\).+204 No Content"
            $saveErr = $null
            @(Save-RayClusterLog waiting -Path (Join-Path $TestDrive 'pending') -KubeConfig $pkc -ErrorVariable saveErr -ErrorAction SilentlyContinue).Count | Should -Be 0
            $saveErr[0].FullyQualifiedErrorId | Should -BeLike 'ContainerNotStarted,*'
        }
        finally { $pending | Stop-RaySandbox }
    }

    It 'without get on pods/log it is KubeApiForbidden naming the permission' {
        Set-RaySandboxFault -Sandbox $sandbox -StatusCode 403 -Resource pods/log
        try {
            $err = $null
            $null = Get-RayNodeLog logs -Tail 1 -KubeConfig $kc -ErrorVariable err -ErrorAction SilentlyContinue
        }
        finally { Set-RaySandboxFault -Sandbox $sandbox -Clear }
        $err.Count | Should -Be 3
        $err[0].FullyQualifiedErrorId | Should -BeLike 'KubeApiForbidden,*'
        $err[0].CategoryInfo.Category | Should -Be 'PermissionDenied'
        $err[0].Exception.Message | Should -Match 'cannot get pods/log in namespace ''default'''
        $err[0].Exception.Message | Should -Match 'cannot get resource \\"pods/log\\"|cannot get resource "pods/log"'
        $err[0].Exception.Message | Should -Match 'kubectl auth can-i get pods/log -n default'
    }

    It 'a user without any rights gets KubeApiForbidden for the pod list' {
        { Get-RayNodeLog logs -KubeConfig $kc -Context rayps-sandbox-viewer -ErrorAction Stop } | Should -Throw -ErrorId 'KubeApiForbidden,*' -ExpectedMessage '*cannot list pods*'
    }

    It 'a -Since that is not positive is refused before any request' {
        $null = Get-NewRequests
        { Get-RayNodeLog logs -Since '-00:01:00' -KubeConfig $kc -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidSince,*'
        { Save-RayClusterLog logs -Path (Join-Path $TestDrive 'never') -Since 0 -KubeConfig $kc -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidSince,*'
        Get-NewRequestTotal | Should -Be 0
    }
}

Describe 'Get-RayNodeLog on a node killed by the OOM fault' {
    BeforeAll {
        $script:victim = $workers[1].PodName
        Set-RaySandboxPodFault -PodName $victim -OomAfterMs 1500
        $null = Wait-Until { Get-RayNodeHealth logs -KubeConfig $kc | Where-Object PodName -EQ $victim } { param($o) $o.Count -eq 1 -and $o[0].LastTermination -eq 'OOMKilled' }
    }
    AfterAll { Set-RaySandboxPodFault -PodName $victim -Clear }

    It '-Previous reads the killed instance: ray start names the raylet killed by SIGKILL and each line carries OOMKilled' {
        $lines = @(Get-RayNodeHealth logs -KubeConfig $kc | Where-Object LastTermination -EQ OOMKilled | Get-RayNodeLog -Previous -KubeConfig $kc)
        $lines.Count | Should -BeGreaterThan 5
        $lines.PodName | Select-Object -Unique | Should -Be $victim
        $lines | ForEach-Object { $_.Previous | Should -BeTrue; $_.Termination | Should -Match '^OOMKilled \(exit code 137\) at \d{4}-\d\d-\d\dT' }
        ($lines.Text -join "`n") | Should -Match 'Ray runtime started'
        ($lines.Text -join "`n") | Should -Match 'Some Ray subprocesses exited unexpectedly:'
        ($lines.Text -join "`n") | Should -Match 'raylet \[exit code=-9\]'
        $lines[-1].Text | Should -Match 'Remaining processes will be killed\.'
    }

    It '-RayLog -Follow streams new lines of a Ray file: GCS registers the restarted node' {
        $lines = @(Get-RayNodeLog logs -NodeType Head -RayLog gcs_server.out -Tail 1 -Follow -KubeConfig $kc | Select-Object -First 3)
        $lines.Count | Should -Be 3
        $lines | ForEach-Object { $_.File | Should -Be 'gcs_server.out'; $_.Source | Should -Be 'RayLog' }
        ($lines[1..2].Text -join "`n") | Should -Match 'Registering new node|Removing node'
    }

    It '-Follow on the killed node ends when its container stops, with what ray start printed last' {
        $lines = @(Get-RayNodeLog logs -PodName $victim -Follow -KubeConfig $kc)
        $lines[-1].Text | Should -Match 'Remaining processes will be killed\.'
        ($lines.Text -join "`n") | Should -Match 'raylet \[exit code=-9\]'
    }
}

Describe 'Save-RayClusterLog' {
    It 'saves every container log per pod, previous logs of restarted containers, and returns the files' {
        $path = Join-Path $TestDrive 'saved'
        $null = Get-NewRequests
        $files = @(Save-RayClusterLog logs -Path $path -KubeConfig $kc)
        $files | Should -BeOfType System.IO.FileInfo
        $names = @($files | ForEach-Object { [IO.Path]::GetRelativePath($path, $_.FullName).Replace('\', '/') } | Sort-Object)
        $names | Should -Contain "$($head.PodName)/ray-head.log"
        foreach ($worker in $workers) {
            $names | Should -Contain "$($worker.PodName)/ray-worker.log"
            $names | Should -Contain "$($worker.PodName)/wait-gcs-ready.log"
        }
        $names | Should -Contain "$($workers[1].PodName)/ray-worker.previous.log"
        Get-Content (Join-Path $path "$($head.PodName)/ray-head.log") -Raw | Should -Match '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z .+usage_lib'
        Get-Content (Join-Path $path "$($workers[1].PodName)/ray-worker.previous.log") -Raw | Should -Match 'raylet \[exit code=-9\]'
        $requests = Get-NewRequests
        ($requests | Where-Object { $_.Verb -eq 'list' -and $_.Resource -eq 'pods' }).Count | Should -Be 1
        ($requests | Where-Object Resource -EQ 'pods/log').Count | Should -Be $files.Count
        ($requests | Where-Object Resource -EQ 'services/proxy').Count | Should -Be 0
    }

    It '-IncludeRayLogs adds each node''s Ray session files under ray/' {
        $path = Join-Path $TestDrive 'withray'
        $files = @(Save-RayClusterLog logs -Path $path -IncludeRayLogs -NodeType Head -KubeConfig $kc)
        $names = @($files | ForEach-Object { [IO.Path]::GetRelativePath($path, $_.FullName).Replace('\', '/') })
        $names | Should -Contain "$($head.PodName)/ray/raylet.out"
        $names | Should -Contain "$($head.PodName)/ray/gcs_server.out"
        $names | Should -Contain "$($head.PodName)/ray-head.log"
        @($names | Where-Object { $_ -notlike "$($head.PodName)/*" }).Count | Should -Be 0
        Get-Content (Join-Path $path "$($head.PodName)/ray/raylet.out") -Raw | Should -Match "Raylet of id, $($head.RayNodeId) started"
    }

    It '-Zip writes one archive with the same files, and -Force replaces it' {
        $zip = Join-Path $TestDrive 'ticket'
        $out = @(Save-RayClusterLog logs -Path $zip -Zip -KubeConfig $kc)
        $out.Count | Should -Be 1
        $out[0].FullName | Should -Be "$zip.zip"
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $archive = [IO.Compression.ZipFile]::OpenRead("$zip.zip")
        try { $entries = @($archive.Entries.FullName.Replace('\', '/')) } finally { $archive.Dispose() }
        $entries | Should -Contain "$($head.PodName)/ray-head.log"
        { Save-RayClusterLog logs -Path "$zip.zip" -Zip -KubeConfig $kc -ErrorAction Stop } | Should -Throw -ErrorId 'FileExists,*'
        @(Save-RayClusterLog logs -Path "$zip.zip" -Zip -Force -KubeConfig $kc).Count | Should -Be 1
    }

    It 'a path that is a file is LogPathIsFile before any request, and nothing is written' {
        $file = Join-Path $TestDrive 'a-file.txt'
        Set-Content -Path $file -Value 'keep me'
        $null = Get-NewRequests
        { Save-RayClusterLog logs -Path $file -KubeConfig $kc -ErrorAction Stop } | Should -Throw -ErrorId 'LogPathIsFile,*' -ExpectedMessage '*is a file, not a folder*'
        Get-NewRequestTotal | Should -Be 0
        Get-Content $file | Should -Be 'keep me'
    }

    It 'an unknown cluster is RayClusterNotFound and writes nothing' {
        $path = Join-Path $TestDrive 'none'
        { Save-RayClusterLog nope -Path $path -KubeConfig $kc -ErrorAction Stop } | Should -Throw -ErrorId 'RayClusterNotFound,*'
        Test-Path $path | Should -BeFalse
    }

    It '-WhatIf writes nothing and sends nothing' {
        $path = Join-Path $TestDrive 'whatif'
        $null = Get-NewRequests
        Save-RayClusterLog logs -Path $path -WhatIf -KubeConfig $kc
        Test-Path $path | Should -BeFalse
        Get-NewRequestTotal | Should -Be 0
    }

    It 'a forbidden pods/log is a non-terminating error per log and the command goes on' {
        Set-RaySandboxFault -Sandbox $sandbox -StatusCode 403 -Resource pods/log -Count 1
        try {
            $files = @(Save-RayClusterLog logs -Path (Join-Path $TestDrive 'partly') -KubeConfig $kc -ErrorVariable err -ErrorAction SilentlyContinue)
        }
        finally { Set-RaySandboxFault -Sandbox $sandbox -Clear }
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'KubeApiForbidden,*'
        $files.Count | Should -BeGreaterThan 3
    }
}

Describe 'Get-RayNodeLog and Save-RayClusterLog when the head is down' {
    BeforeAll {
        # GCS failing fails the head's readiness probe: its service loses the endpoint and Ray's log API is unreachable.
        Set-RaySandboxPodFault -PodName $head.PodName -GcsHealthy $false
        $null = Wait-Until { Get-RayNodeLog logs -RayLog raylet.out -Tail 1 -KubeConfig $kc -ErrorAction SilentlyContinue } { param($o) $o.Count -eq 0 }
    }
    AfterAll { Set-RaySandboxPodFault -PodName $head.PodName -Clear }

    It '-RayLog is RayLogApiUnreachable, container logs still come' {
        { Get-RayNodeLog logs -RayLog raylet.out -KubeConfig $kc -ErrorAction Stop } | Should -Throw -ErrorId 'RayLogApiUnreachable,*' -ExpectedMessage '*head is probably down*'
        @(Get-RayNodeLog logs -Tail 1 -KubeConfig $kc).Count | Should -Be 3
    }

    It 'Save-RayClusterLog -IncludeRayLogs warns and still saves the container logs' {
        $path = Join-Path $TestDrive 'headdown'
        $files = @(Save-RayClusterLog logs -Path $path -IncludeRayLogs -KubeConfig $kc -WarningVariable warn -WarningAction SilentlyContinue)
        $warn.Count | Should -Be 1
        $warn[0] | Should -Match "Ray's log API on the head of cluster 'logs'.+container logs were"
        @($files | Where-Object { $_.Name -like 'ray-*.log' }).Count | Should -BeGreaterOrEqual 3
        @($files | Where-Object { $_.DirectoryName -like '*ray' }).Count | Should -Be 0
    }
}
