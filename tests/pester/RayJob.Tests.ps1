# Start-, Get-, Wait-, Receive-, Stop- and Remove-RayJob end to end on a sandbox: Ray's Jobs API through the API server's
# proxy of the head service, working-directory packages, the logs/tail WebSocket through the proxy.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:sandbox = Start-TestSandbox
    $null = New-RayCluster jobs -HeadCpu 2 -HeadMemory 2Gi -WorkerReplicas 0 -Wait -TimeoutSec 120

    # Requests to the head service's proxy since the last call, as verb -> count.
    function script:Get-ProxyRequests {
        $counts = @{}
        foreach ($r in Get-NewRequests | Where-Object Resource -EQ 'services/proxy') { $counts[$r.Verb] = [int] $r.Count }
        $counts
    }

    function script:New-Project([string] $Name) {
        $dir = Join-Path $TestDrive $Name
        $null = New-Item -ItemType Directory -Path (Join-Path $dir 'data') -Force
        Set-Content -Path (Join-Path $dir 'train.py') -Value @(
            'import time'
            "print('epoch 1 loss 0.9')"
            'time.sleep(20)'
            "print('epoch 2 loss 0.4')"
        )
        Set-Content -Path (Join-Path $dir 'data/big.bin') -Value ('x' * 5000)
        Set-Content -Path (Join-Path $dir 'run.log') -Value 'local log'
        Set-Content -Path (Join-Path $dir '.gitignore') -Value '*.log'
        return $dir
    }
}

AfterAll {
    Remove-Item Env:RAY_max_grpc_message_size -ErrorAction SilentlyContinue
    Stop-TestSandbox $sandbox
}

Describe 'Start-RayJob' {
    It 'submits with one POST and one GET through the service proxy and returns a typed job' {
        $null = Get-NewRequests
        $job = Start-RayJob -ClusterName jobs -Entrypoint 'echo hello; sleep 5' -Metadata @{ owner = 'team-a' } -EntrypointNumCpus 1
        $proxy = Get-ProxyRequests
        $proxy['create'] | Should -Be 1
        $proxy['get'] | Should -Be 1
        $job | Should -BeOfType ([RayPS.RayJob])
        $job.SubmissionId | Should -Match '^raysubmit_[A-Za-z0-9]{16}$'
        $job.ClusterName | Should -Be 'jobs'
        $job.Namespace | Should -Be 'default'
        $job.Type | Should -Be 'SUBMISSION'
        $job.Status | Should -BeIn 'PENDING', 'RUNNING', 'SUCCEEDED'
        $job.Metadata['owner'] | Should -Be 'team-a'
        ($job | Format-Table | Out-String -Width 250) | Should -Match 'Entrypoint +Message'
    }

    It 'waits with -Wait and returns the ended job' {
        $job = Start-RayJob -ClusterName jobs -Entrypoint 'echo done' -SubmissionId wait-ok -Wait -TimeoutSec 60
        $job.Status | Should -Be 'SUCCEEDED'
        $job.EndTime | Should -Not -BeNullOrEmpty
        $job.Duration | Should -BeOfType ([TimeSpan])
        $job.Message | Should -Be 'Job finished successfully.'
    }

    It 'reports a FAILED job as RayJobFailed with Ray''s message and still returns it' {
        $errors = $null
        $job = Start-RayJob -ClusterName jobs -Entrypoint 'python -c "import sys; sys.exit(3)"' -Wait -TimeoutSec 60 -ErrorVariable errors -ErrorAction SilentlyContinue
        $job.Status | Should -Be 'FAILED'
        $job.ErrorType | Should -Be 'JOB_ENTRYPOINT_COMMAND_ERROR'
        $errors[0].FullyQualifiedErrorId | Should -Be 'RayJobFailed,RayPS.Commands.StartRayJobCommand'
        $errors[0].Exception.Message | Should -Match 'exit code 3'
    }

    It 'passes -RuntimeEnv, -PipPackage and -EnvironmentVariable as one runtime_env' {
        $job = Start-RayJob -ClusterName jobs -Entrypoint 'echo env' -RuntimeEnv @{ pip = @('numpy'); env_vars = @{ A = '1' } } -PipPackage 'requests==2.32.3' -EnvironmentVariable @{ B = 'two' }
        $job.RuntimeEnv['pip'] | Should -Be @('numpy', 'requests==2.32.3')
        $job.RuntimeEnv['env_vars']['A'] | Should -Be '1'
        $job.RuntimeEnv['env_vars']['B'] | Should -Be 'two'
    }

    It 'follows the driver log with -Follow until the job ends' {
        $lines = @(Start-RayJob -ClusterName jobs -Entrypoint 'echo first; sleep 30; echo second' -Follow)
        $lines | Should -Contain 'first'
        $lines | Should -Contain 'second'
    }

    It 'writes nothing with -WhatIf' {
        $null = Get-NewRequests
        Start-RayJob -ClusterName jobs -Entrypoint 'echo no' -WhatIf
        (Get-ProxyRequests).Count | Should -Be 0
    }

    It 'is RayJobEntrypointEmpty for an empty entrypoint, before any request' {
        $null = Get-NewRequests
        { Start-RayJob -ClusterName jobs -Entrypoint '  ' -ErrorAction Stop } | Should -Throw -ErrorId 'RayJobEntrypointEmpty,*'
        (Get-ProxyRequests).Count | Should -Be 0
    }

    It 'is RayJobExists for a submission id in use' {
        $null = Start-RayJob -ClusterName jobs -Entrypoint 'echo one' -SubmissionId dup-id
        $err = $null
        try { Start-RayJob -ClusterName jobs -Entrypoint 'echo two' -SubmissionId dup-id -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'RayJobExists,RayPS.Commands.StartRayJobCommand'
        $err.CategoryInfo.Category | Should -Be 'ResourceExists'
        $err.Exception.Message | Should -Match 'dup-id'
    }

    It 'is RayJobRejected with Ray''s own message for a bad runtime env' {
        $err = $null
        try { Start-RayJob -ClusterName jobs -Entrypoint 'echo x' -RuntimeEnv @{ env_vars = @{ A = 1 } } -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'RayJobRejected,RayPS.Commands.StartRayJobCommand'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -Match "TypeError: runtime_env\['env_vars'\] must be of type Dict\[str, str\]"
    }

    It 'is RayClusterNotFound for a cluster that does not exist' {
        { Start-RayJob -ClusterName no-such-cluster -Entrypoint 'echo x' -ErrorAction Stop } | Should -Throw -ErrorId 'RayClusterNotFound,*'
    }

    It 'is RayDashboardUnreachable, saying how to wait, while the head is not ready' {
        $null = New-RayCluster jobs-broken -HeadCpu 1 -HeadMemory 1Gi -WorkerReplicas 0 -Image rayproject/ray:does-not-exist
        $err = $null
        try { Start-RayJob -ClusterName jobs-broken -Entrypoint 'echo x' -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'RayDashboardUnreachable,RayPS.Commands.StartRayJobCommand'
        $err.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        $err.Exception.Message | Should -Match 'Wait-RayCluster jobs-broken'
        Remove-RayCluster jobs-broken -Confirm:$false
    }

    It 'takes the cluster from Get-RayCluster on the pipeline' {
        $job = Get-RayCluster jobs | Start-RayJob 'echo piped'
        $job.ClusterName | Should -Be 'jobs'
    }
}

Describe 'Start-RayJob -WorkingDirectory' {
    It 'uploads the folder once (content-addressed) and not again for the same content' {
        $dir = New-Project 'project'
        $null = Get-NewRequests
        $first = Start-RayJob -ClusterName jobs -Entrypoint 'python train.py' -WorkingDirectory $dir -Exclude 'data/' -Wait -TimeoutSec 60
        $proxy = Get-ProxyRequests
        $proxy['update'] | Should -Be 1 -Because 'one PUT uploads the package'
        $proxy['create'] | Should -Be 1
        $first.Status | Should -Be 'SUCCEEDED'
        $first.RuntimeEnv['working_dir'] | Should -Match '^gcs://_ray_pkg_[0-9a-f]{16}\.zip$'

        $second = Start-RayJob -ClusterName jobs -Entrypoint 'python train.py' -WorkingDirectory $dir -Exclude 'data/'
        $proxy = Get-ProxyRequests
        $proxy.ContainsKey('update') | Should -BeFalse -Because 'the cluster already holds that content'
        $proxy['get'] | Should -Be 2 -Because 'one GET asks for the package, one reads the job'
        $second.RuntimeEnv['working_dir'] | Should -Be $first.RuntimeEnv['working_dir']

        # Excluded content (-Exclude, .gitignore) does not change the package.
        Set-Content -Path (Join-Path $dir 'data/more.bin') -Value 'y'
        Set-Content -Path (Join-Path $dir 'other.log') -Value 'z'
        $third = Start-RayJob -ClusterName jobs -Entrypoint 'python train.py' -WorkingDirectory $dir -Exclude 'data/'
        (Get-ProxyRequests).ContainsKey('update') | Should -BeFalse
        $third.RuntimeEnv['working_dir'] | Should -Be $first.RuntimeEnv['working_dir']

        # Changed content is a new package.
        Add-Content -Path (Join-Path $dir 'train.py') -Value "print('epoch 3')"
        $fourth = Start-RayJob -ClusterName jobs -Entrypoint 'python train.py' -WorkingDirectory $dir -Exclude 'data/'
        (Get-ProxyRequests)['update'] | Should -Be 1
        $fourth.RuntimeEnv['working_dir'] | Should -Not -Be $first.RuntimeEnv['working_dir']
    }

    It 'runs the uploaded script: its prints reach the log' {
        $dir = New-Project 'project-run'
        $job = Start-RayJob -ClusterName jobs -Entrypoint 'python train.py' -WorkingDirectory $dir -Wait -TimeoutSec 60
        $log = Receive-RayJob $job.Id -ClusterName jobs
        $log | Should -Contain 'epoch 1 loss 0.9'
        $log | Should -Contain 'epoch 2 loss 0.4'
    }

    It 'is WorkingDirectoryTooLarge over the package limit, before any request' {
        $dir = New-Project 'project-big'
        $env:RAY_max_grpc_message_size = '1000'
        try {
            $null = Get-NewRequests
            $err = $null
            try { Start-RayJob -ClusterName jobs -Entrypoint 'python train.py' -WorkingDirectory $dir -ErrorAction Stop } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -Be 'WorkingDirectoryTooLarge,RayPS.Commands.StartRayJobCommand'
            $err.CategoryInfo.Category | Should -Be 'LimitsExceeded'
            $err.Exception.Message | Should -Match '-Exclude'
            (Get-ProxyRequests).Count | Should -Be 0
        }
        finally {
            Remove-Item Env:RAY_max_grpc_message_size
        }
    }

    It 'is WorkingDirectoryNotFound for a missing folder, also under -WhatIf' {
        { Start-RayJob -ClusterName jobs -Entrypoint 'python x.py' -WorkingDirectory (Join-Path $TestDrive 'nope') -ErrorAction Stop } |
            Should -Throw -ErrorId 'WorkingDirectoryNotFound,*'
        { Start-RayJob -ClusterName jobs -Entrypoint 'python x.py' -WorkingDirectory (Join-Path $TestDrive 'nope') -WhatIf -ErrorAction Stop } |
            Should -Throw -ErrorId 'WorkingDirectoryNotFound,*'
    }
}

Describe 'Get-RayJob' {
    BeforeAll {
        $null = Start-RayJob -ClusterName jobs -Entrypoint 'echo listed' -SubmissionId list-a -Wait
        $null = Start-RayJob -ClusterName jobs -Entrypoint 'sleep 100000' -SubmissionId list-long
    }

    It 'lists the jobs of a cluster with one GET' {
        $null = Get-NewRequests
        $all = Get-RayJob -ClusterName jobs
        (Get-ProxyRequests)['get'] | Should -Be 1
        $all.SubmissionId | Should -Contain 'list-a'
        $all.SubmissionId | Should -Contain 'list-long'
    }

    It 'filters by wildcard and status' {
        @(Get-RayJob -ClusterName jobs -SubmissionId 'list-*').Count | Should -Be 2
        $running = @(Get-RayJob -ClusterName jobs -SubmissionId 'list-*' -Status RUNNING, PENDING)
        $running.SubmissionId | Should -Be @('list-long')
    }

    It 'lists every cluster of the namespace without -ClusterName' {
        (Get-RayJob).SubmissionId | Should -Contain 'list-a'
    }

    It 'reads one job by id and is RayJobNotFound for an unknown one' {
        (Get-RayJob jobs list-a).Entrypoint | Should -Be 'echo listed'
        { Get-RayJob jobs no-such-job -ErrorAction Stop } | Should -Throw -ErrorId 'RayJobNotFound,*'
    }

    AfterAll { Remove-RayJob list-long -ClusterName jobs -Force -Confirm:$false }
}

Describe 'Wait-RayJob' {
    It 'waits for piped jobs and returns them ended' {
        $job = Start-RayJob -ClusterName jobs -Entrypoint 'sleep 20' | Wait-RayJob -TimeoutSec 60
        $job.Status | Should -Be 'SUCCEEDED'
    }

    It 'is RayJobTimeout when the job outlives -TimeoutSec' {
        $job = Start-RayJob -ClusterName jobs -Entrypoint 'sleep 1000000'
        { $job | Wait-RayJob -TimeoutSec 1 -ErrorAction Stop } | Should -Throw -ErrorId 'RayJobTimeout,*'
        $job | Stop-RayJob -Confirm:$false
    }

    It 'reports a STOPPED job as RayJobStopped and still returns it' {
        $job = Start-RayJob -ClusterName jobs -Entrypoint 'sleep 1000000'
        $job | Stop-RayJob -Confirm:$false
        $errors = $null
        $done = $job | Wait-RayJob -ErrorVariable errors -ErrorAction SilentlyContinue
        $done.Status | Should -Be 'STOPPED'
        $errors[0].FullyQualifiedErrorId | Should -Be 'RayJobStopped,RayPS.Commands.WaitRayJobCommand'
    }

    It 'is RayJobNotFound for an unknown job' {
        { Wait-RayJob no-such-job -ClusterName jobs -ErrorAction Stop } | Should -Throw -ErrorId 'RayJobNotFound,*'
    }
}

Describe 'Receive-RayJob' {
    BeforeAll {
        $script:logged = Start-RayJob -ClusterName jobs -Entrypoint 'echo a; echo b; echo c' -Wait
    }

    It 'returns the log as lines, and the last lines with -Tail' {
        Receive-RayJob $logged.Id -ClusterName jobs | Should -Be @('a', 'b', 'c')
        $logged | Receive-RayJob -Tail 2 | Should -Be @('b', 'c')
    }

    It 'follows a running job over the logs/tail WebSocket through the proxy' {
        $job = Start-RayJob -ClusterName jobs -Entrypoint 'echo start; sleep 30; echo middle; sleep 30; echo end'
        $null = Get-NewRequests
        $lines = @($job | Receive-RayJob -Follow -Verbose 4>&1)
        ($lines | Where-Object { $_ -is [string] }) | Should -Be @('start', 'middle', 'end')
        ($lines | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message | Should -Match 'by websocket'
        (Get-ProxyRequests)['get'] | Should -Be 1 -Because 'one WebSocket carries the whole log'
    }

    It 'follows by polling where the upgrade is refused' {
        $job = Start-RayJob -ClusterName jobs -Entrypoint 'echo p1; sleep 30; echo p2'
        Set-RaySandboxFault -Sandbox $sandbox -StatusCode 503 -PathPattern '*/logs/tail' -Count 1
        try {
            $lines = @($job | Receive-RayJob -Follow -Verbose 4>&1)
        }
        finally {
            Set-RaySandboxFault -Sandbox $sandbox -Clear
        }
        ($lines | Where-Object { $_ -is [string] }) | Should -Be @('p1', 'p2')
        ($lines | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message | Should -Match 'by polling'
    }

    It 'is RayJobNotFound for an unknown job, with and without -Follow' {
        { Receive-RayJob no-such-job -ClusterName jobs -ErrorAction Stop } | Should -Throw -ErrorId 'RayJobNotFound,*'
        { Receive-RayJob no-such-job -ClusterName jobs -Follow -ErrorAction Stop } | Should -Throw -ErrorId 'RayJobNotFound,*'
    }
}

Describe 'Stop-RayJob' {
    It 'stops a running job and waits until it is STOPPED' {
        $job = Start-RayJob -ClusterName jobs -Entrypoint 'sleep 1000000'
        $null = Get-NewRequests
        $stopped = $job | Stop-RayJob -Wait -PassThru -Confirm:$false
        $stopped.Status | Should -Be 'STOPPED'
        (Get-ProxyRequests)['create'] | Should -Be 1 -Because 'one POST .../stop'
    }

    It 'writes nothing with -WhatIf' {
        $job = Start-RayJob -ClusterName jobs -Entrypoint 'sleep 1000000'
        $job | Stop-RayJob -WhatIf
        (Get-RayJob jobs $job.Id).Status | Should -BeIn 'PENDING', 'RUNNING'
        $job | Stop-RayJob -Confirm:$false
    }

    It 'is RayJobNotFound for an unknown job' {
        { Stop-RayJob no-such-job -ClusterName jobs -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'RayJobNotFound,*'
    }
}

Describe 'Remove-RayJob' {
    It 'removes an ended job with one DELETE' {
        $job = Start-RayJob -ClusterName jobs -Entrypoint 'echo bye' -Wait
        $null = Get-NewRequests
        $job | Remove-RayJob -Confirm:$false
        (Get-ProxyRequests)['delete'] | Should -Be 1
        { Get-RayJob jobs $job.Id -ErrorAction Stop } | Should -Throw -ErrorId 'RayJobNotFound,*'
    }

    It 'is RayJobNotTerminal for a running job without -Force' {
        $job = Start-RayJob -ClusterName jobs -Entrypoint 'sleep 1000000' -SubmissionId remove-running
        $err = $null
        try { $job | Remove-RayJob -Confirm:$false -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'RayJobNotTerminal,RayPS.Commands.RemoveRayJobCommand'
        $err.Exception.Message | Should -Match '-Force'
        (Get-RayJob jobs remove-running).Status | Should -BeIn 'PENDING', 'RUNNING'
    }

    It 'stops and then removes a running job with -Force' {
        Remove-RayJob remove-running -ClusterName jobs -Force -Confirm:$false
        { Get-RayJob jobs remove-running -ErrorAction Stop } | Should -Throw -ErrorId 'RayJobNotFound,*'
    }

    It 'is RayJobNotFound for an unknown job' {
        { Remove-RayJob no-such-job -ClusterName jobs -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'RayJobNotFound,*'
    }

    It 'is ConfirmImpact High' {
        (Get-Command Remove-RayJob).ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0].ConfirmImpact | Should -Be 'High'
    }
}

Describe 'Receive-RayJob -Follow stopped (Ctrl+C)' {
    It 'stops following, not the job' {
        $null = Start-RayJob -ClusterName jobs -Entrypoint 'echo begin; sleep 100000' -SubmissionId follow-stop
        $ps = [powershell]::Create()
        # One script, not a batch of statements (see Connection.Tests: a stopped batch outlives Stop).
        $null = $ps.AddScript('param($Module) Import-Module $Module; Receive-RayJob follow-stop -ClusterName jobs -Follow').AddArgument((Get-RayPSModulePath))
        $output = [System.Management.Automation.PSDataCollection[psobject]]::new()
        $noInput = [System.Management.Automation.PSDataCollection[psobject]]::new()
        $noInput.Complete()
        $handle = $ps.BeginInvoke($noInput, $output)
        $deadline = [DateTime]::UtcNow.AddSeconds(30)
        while ($output.Count -eq 0 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
        $ps.Stop()
        $ps.InvocationStateInfo.State | Should -Be 'Stopped'
        $output | Should -Contain 'begin'
        $handle.IsCompleted | Should -BeTrue
        (Get-RayJob jobs follow-stop).Status | Should -Be 'RUNNING'
        $ps.Dispose()
        Stop-RayJob follow-stop -ClusterName jobs -Confirm:$false
    }
}

Describe 'Ray job whose driver node dies' {
    It 'ends FAILED (RayJobFailed from Start-RayJob -Follow) and its log is RayJobRequestFailed with Ray''s 500' {
        $null = New-RayCluster jobs-w -HeadCpu 1 -HeadMemory 1Gi -WorkerReplicas 1 -WorkerCpu 4 -WorkerMemory 4Gi -Wait -TimeoutSec 120
        $job = Start-RayJob -ClusterName jobs-w -Entrypoint 'echo on-worker; sleep 100000' -EntrypointNumCpus 3
        $deadline = [DateTime]::UtcNow.AddSeconds(30)
        while ((Get-RayJob jobs-w $job.Id).Status -ne 'RUNNING' -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
        $worker = Get-RayNodeHealth jobs-w | Where-Object NodeType -NE 'head' | Select-Object -First 1
        $null = Set-RaySandboxPodFault -Sandbox $sandbox -PodName $worker.PodName -RayNodeState DEAD

        $errors = $null
        $done = $job | Wait-RayJob -TimeoutSec 30 -ErrorVariable errors -ErrorAction SilentlyContinue
        $done.Status | Should -Be 'FAILED'
        $done.ErrorType | Should -Be 'JOB_SUPERVISOR_ACTOR_DIED'
        $errors[0].FullyQualifiedErrorId | Should -Be 'RayJobFailed,RayPS.Commands.WaitRayJobCommand'

        $err = $null
        try { $job | Receive-RayJob -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'RayJobRequestFailed,RayPS.Commands.ReceiveRayJobCommand'
        $err.Exception.Message | Should -Match '500: .*Cannot connect to host'
    }

    It 'Start-RayJob -Follow writes the lines, then RayJobFailed for a failing job' {
        $errors = $null
        $lines = @(Start-RayJob -ClusterName jobs -Entrypoint 'echo trying; exit 4' -Follow -ErrorVariable errors -ErrorAction SilentlyContinue)
        $lines | Should -Contain 'trying'
        $errors[0].FullyQualifiedErrorId | Should -Be 'RayJobFailed,RayPS.Commands.StartRayJobCommand'
    }
}
