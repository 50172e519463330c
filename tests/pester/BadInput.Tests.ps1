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
}
