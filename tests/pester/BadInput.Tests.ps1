# Bad input of issue 16: each case fails with its own ErrorId before any request reaches the API server, and creates nothing.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:sandbox = Start-TestSandbox
    $null = New-RayCluster demo -HeadCpu 1 -HeadMemory 1Gi -WorkerReplicas 1 -WorkerCpu 1 -WorkerMemory 1Gi
}

AfterAll {
    Stop-TestSandbox $sandbox
}

Describe 'Bad input is refused before any request' {
    It '<Command> fails with <ErrorId> and sends nothing' -ForEach @(
        @{ Command = "New-RayCluster bad1 -NodeSelector @{''='x'}"; ErrorId = 'InvalidLabel' }
        @{ Command = "New-RayCluster bad2 -NodeSelector @{'disk'='not ok'}"; ErrorId = 'InvalidLabel' }
        @{ Command = "New-RayCluster bad3 -NodeSelector @{'bad_prefix_/x'='y'}"; ErrorId = 'InvalidLabel' }
        @{ Command = "New-RayCluster bad4 -HeadRayStartParams @{'num-cpus'=`$null}"; ErrorId = 'InvalidRayStartParam' }
        @{ Command = "New-RayCluster bad5 -WorkerRayStartParams @{'--bad key'='1'}"; ErrorId = 'InvalidRayStartParam' }
        @{ Command = "New-RayWorkerDeployment demo depbad -Env @{'1 bad='='x'} -Cpu 1 -Memory 1Gi"; ErrorId = 'InvalidEnvName' }
        @{ Command = "New-RayWorkerDeployment demo depbad2 -Env @{''='x'} -Cpu 1 -Memory 1Gi"; ErrorId = 'InvalidEnvName' }
        @{ Command = "Add-RayWorkerGroup demo addbad -NodeSelector @{'k'='-bad-'} -Cpu 1 -Memory 1Gi"; ErrorId = 'InvalidLabel' }
        @{ Command = "Get-RayCluster -Namespace ''"; ErrorId = 'InvalidName' }
        @{ Command = "Get-RayCluster -Namespace 'Not_A_Namespace'"; ErrorId = 'InvalidName' }
        @{ Command = "Get-RayCluster '['"; ErrorId = 'InvalidName' }
        @{ Command = "Get-RayCluster -Context ''"; ErrorId = 'KubeContextNotFound' }
        @{ Command = "Get-RayCluster -KubeConfig ''"; ErrorId = 'KubeConfigNotFound' }
        @{ Command = "Get-RayCluster -KubeConfig '$([IO.Path]::GetTempPath())'"; ErrorId = 'KubeConfigInvalid' }
        @{ Command = "New-RayCluster -ValuesPath '$([IO.Path]::GetTempPath())' -ReleaseName r"; ErrorId = 'FileNotFound' }
    ) {
        $null = Get-NewRequests
        { Invoke-Expression $Command } | Should -Throw -ErrorId "$ErrorId,*"
        Get-NewRequestTotal | Should -Be 0
    }

    It 'a 100,000-character name gets a short message that quotes a prefix' {
        $long = 'a' * 100000
        $null = Get-NewRequests
        try { New-RayCluster $long; throw 'no error' } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'InvalidClusterName,*'
        $err.Exception.Message.Length | Should -BeLessThan 400
        $err.Exception.Message | Should -BeLike '*(100000 characters)*'
        Get-NewRequestTotal | Should -Be 0
    }

    It '<Command> quotes only a prefix of a 100,000-character name' -ForEach @(
        @{ Command = 'Get-RayCluster $long'; ErrorId = 'InvalidName'; Quoted = "'$('a' * 64)...' (100000 characters)" }
        @{ Command = 'Get-RayCluster -Context $long'; ErrorId = 'KubeContextNotFound'; Quoted = "'$('a' * 64)...' (100000 characters)" }
        @{ Command = 'Get-RayCluster -KubeConfig $long'; ErrorId = 'KubeConfigNotFound'; Quoted = "$([IO.Path]::DirectorySeparatorChar)aaaa*...' (1000?? characters)" }
        @{ Command = 'Get-RayWorkerGroup demo $long'; ErrorId = 'WorkerGroupNotFound'; Quoted = "'$('a' * 64)...' (100000 characters)" }
        @{ Command = 'Get-RayJob demo -SubmissionId $long'; ErrorId = 'RayJobNotFound'; Quoted = "'$('a' * 64)...' (100000 characters)" }
    ) {
        $long = 'a' * 100000
        $err = $null
        $ErrorActionPreference = 'Stop'
        try { Invoke-Expression $Command } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike "$ErrorId,*"
        $err.Exception.Message.Length | Should -BeLessThan 1000
        $err.Exception.Message | Should -BeLike "*$Quoted*"
        "$($err.TargetObject)".Length | Should -BeLessThan 100
    }

    It 'a name longer than any Kubernetes name can be is refused by Get-RayCluster before the LIST' {
        $null = Get-NewRequests
        { Get-RayCluster ('b' * 254) } | Should -Throw -ErrorId 'InvalidName,*'
        Get-NewRequestTotal | Should -Be 0
    }

    It 'nothing was created by any of them' {
        @(Get-RayCluster | Where-Object Name -like 'bad*') | Should -HaveCount 0
        @(Get-RayWorkerGroup demo | Where-Object GroupName -in 'depbad', 'depbad2', 'addbad') | Should -HaveCount 0
    }
}

Describe 'Pipeline binding takes only what it can mean' {
    It 'Get-RayWorkerGroup | Remove-RayCluster names the groups'' cluster and deletes it once, not once per group' {
        $null = New-RayCluster grouped -HeadCpu 1 -HeadMemory 1Gi -WorkerReplicas 0
        $null = Add-RayWorkerGroup grouped second -Replicas 0
        $groups = @(Get-RayWorkerGroup grouped)
        $groups.Count | Should -Be 2
        $null = Get-NewRequests
        $groups | Remove-RayCluster -KeepDeployments -Confirm:$false
        [int] (Get-NewRequests | Where-Object { $_.Verb -eq 'delete' -and $_.Resource -eq 'rayclusters' } | Measure-Object Count -Sum).Sum | Should -Be 1
        (Get-RayCluster demo).Name | Should -Be 'demo'
    }

    It 'a cluster piped twice is deleted once' {
        $null = New-RayCluster twice -HeadCpu 1 -HeadMemory 1Gi -WorkerReplicas 0
        $c = Get-RayCluster twice
        $null = Get-NewRequests
        @($c, $c, 'twice') | Remove-RayCluster -KeepDeployments -Confirm:$false
        [int] (Get-NewRequests | Where-Object { $_.Verb -eq 'delete' -and $_.Resource -eq 'rayclusters' } | Measure-Object Count -Sum).Sum | Should -Be 1
    }

    It 'Get-Date | Set-RayWorkerReplicas does not bind the date''s Kind' {
        { Get-Date | Set-RayWorkerReplicas -Replicas 2 -ErrorAction Stop } | Should -Throw
        try { Get-Date | Set-RayWorkerReplicas -Replicas 2 -ErrorAction Stop } catch { $_.Exception.Message | Should -Not -BeLike '*Local*' }
    }

    It 'Get-KubeRayOperator | Remove-RayCluster is InvalidPipelineInput and deletes nothing' {
        $null = Install-KubeRayOperator -Confirm:$false
        $operator = @(Get-KubeRayOperator)[0]
        $operator | Should -Not -BeNullOrEmpty
        $null = Get-NewRequests
        $err = $null
        try { $operator | Remove-RayCluster -Confirm:$false -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'InvalidPipelineInput,RayPS.Commands.RemoveRayClusterCommand'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -BeLike "*the KubeRay operator '*/$($operator.Name)'*Uninstall-KubeRayOperator*Nothing was deleted*"
        Get-NewRequestTotal | Should -Be 0
    }

    It 'Get-KubeRayOperator | Set-RayClusterAutoscaling is InvalidPipelineInput and changes nothing' {
        $null = Install-KubeRayOperator -Confirm:$false
        $operator = @(Get-KubeRayOperator)[0]
        $null = Get-NewRequests
        $err = $null
        try { $operator | Set-RayClusterAutoscaling -Enable -Confirm:$false -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'InvalidPipelineInput,RayPS.Commands.SetRayClusterAutoscalingCommand'
        $err.Exception.Message | Should -BeLike "*the KubeRay operator '*/$($operator.Name)'*Nothing was changed*"
        Get-NewRequestTotal | Should -Be 0
    }

    It 'a piped RayCluster or worker group still sets autoscaling on its cluster' {
        $null = New-RayCluster pipe-as -WorkerReplicas 1
        $c = Get-RayCluster pipe-as | Set-RayClusterAutoscaling -Enable -IdleTimeoutSeconds 3600 -PassThru -Confirm:$false -WarningAction SilentlyContinue
        $c.Name | Should -Be 'pipe-as'
        $g = Get-RayWorkerGroup pipe-as | Set-RayClusterAutoscaling -Disable -PassThru -Confirm:$false -WarningAction SilentlyContinue
        $g.Name | Should -Be 'pipe-as'
        Remove-RayCluster pipe-as -Confirm:$false
    }

    It 'Get-Date | Remove-RayCluster is InvalidPipelineInput and deletes nothing' {
        $null = Get-NewRequests
        { Get-Date | Remove-RayCluster -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidPipelineInput,*'
        Get-NewRequestTotal | Should -Be 0
    }

    It 'Get-Date | Set-RayWorkerReplicas is refused by the binder, naming the missing names, and sends nothing' {
        $null = Get-NewRequests
        $err = $null
        try { Get-Date | Set-RayWorkerReplicas -Replicas 2 -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'InputObjectMissingMandatory,RayPS.Commands.SetRayWorkerReplicasCommand'
        $err.Exception.Message | Should -BeLike '*ClusterName*GroupName*'
        Get-NewRequestTotal | Should -Be 0
    }

    It 'names and CSV-like objects with a Name still pipe into Remove-RayCluster' {
        $null = New-RayCluster csvrow -HeadCpu 1 -HeadMemory 1Gi -WorkerReplicas 0
        [pscustomobject]@{ Name = 'csvrow' } | Remove-RayCluster -KeepDeployments -Confirm:$false
        { Get-RayCluster csvrow -ErrorAction Stop } | Should -Throw -ErrorId 'RayClusterNotFound,*'
    }
}

Describe 'Kubeconfig files that cannot be used' {
    BeforeAll {
        $script:kcDir = Join-Path $TestDrive 'kubeconfigs'
        $null = New-Item -ItemType Directory $kcDir
        $script:emptyKc = Join-Path $kcDir 'empty'
        Set-Content -Path $emptyKc -Value '' -NoNewline
        $script:commentKc = Join-Path $kcDir 'comments'
        Set-Content -Path $commentKc -Value "  `n# nothing here yet`n"
        $script:brokenKc = Join-Path $kcDir 'broken'
        Set-Content -Path $brokenKc -Value "apiVersion: v1`nkind: Config`nclusters: [`n"
        $script:valuesFolder = Join-Path $kcDir 'values-folder'
        $null = New-Item -ItemType Directory $valuesFolder
    }

    It 'an empty kubeconfig (<Name>) is KubeConfigInvalid saying it is empty and what to do' -ForEach @(
        @{ Name = '0 bytes'; Path = { $emptyKc } }
        @{ Name = 'blanks and comments'; Path = { $commentKc } }
    ) {
        $file = & $Path
        $null = Get-NewRequests
        $err = $null
        try { Get-RayCluster -KubeConfig $file -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'KubeConfigInvalid,RayPS.Commands.GetRayClusterCommand'
        $err.Exception.Message | Should -BeLike "The kubeconfig file '$file' is empty*Start-RaySandbox*"
        $err.Exception.Message | Should -Not -BeLike '*NullReference*'
        Get-NewRequestTotal | Should -Be 0
    }

    It 'an empty kubeconfig listed before a good one is skipped, as kubectl does' {
        (Get-RayCluster demo -KubeConfig "$emptyKc$([IO.Path]::PathSeparator)$($sandbox.KubeConfigPath)").Name | Should -Be 'demo'
    }

    It 'a YAML error names the file, line and column' {
        $null = Get-NewRequests
        $err = $null
        try { Get-RayCluster -KubeConfig $brokenKc -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'KubeConfigInvalid,RayPS.Commands.GetRayClusterCommand'
        $err.Exception.Message | Should -BeLike "The kubeconfig file '$brokenKc' is not valid YAML: line *, column *: *Fix the file there*"
        Get-NewRequestTotal | Should -Be 0
    }

    It '-ValuesPath <folder> on Install-KubeRayOperator says it is a folder, not access denied' {
        $null = Get-NewRequests
        $err = $null
        try { Install-KubeRayOperator -ValuesPath $valuesFolder -Confirm:$false -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'FileNotFound,RayPS.Commands.InstallKubeRayOperatorCommand'
        $err.Exception.Message | Should -BeLike "*'$valuesFolder' is a folder, not a file*"
        $err.Exception.Message | Should -Not -BeLike '*denied*'
        Get-NewRequestTotal | Should -Be 0
    }
}
