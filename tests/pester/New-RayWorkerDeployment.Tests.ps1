BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:sandbox = Start-TestSandbox

    function script:Get-Deployment([string] $Name, [string] $Namespace = 'default') {
        $token = (Select-String -Path $sandbox.KubeConfigPath -Pattern '^\s+token:\s*(\S+)' | Select-Object -First 1).Matches[0].Groups[1].Value
        Invoke-RestMethod -Uri "$($sandbox.Uri.GetLeftPart('Authority'))/apis/apps/v1/namespaces/$Namespace/deployments/$Name" -Headers @{ Authorization = "Bearer $token" } -SkipCertificateCheck
    }

    $null = New-RayCluster ray-cluster -Namespace kube-system -HeadCpu 1 -HeadMemory 1Gi -Image rayproject/ray:2.48.0 -WorkerGroupName small -WorkerReplicas 0

    # The seed's §3 Deployment (docs: ray-on-kubernetes), with the parameters that reproduce it.
    $script:seed = @{
        ClusterName  = 'ray-cluster'
        GroupName    = 'workergroup'
        Namespace    = 'kube-system'
        Name         = 'ray-cluster-npu-workergroup'
        Identifier   = 'ray-cluster-npu-worker'
        Replicas     = 2
        Image        = 'harbor.xx.net/library/rayproject/ray:2.48.0.py311-npu-vjepa2-aarch64-20250911'
        Cpu          = '12'
        Memory       = '40Gi'
        RayMemory    = '20000000000'
        Accelerator  = @{ 'huawei.com/Ascend910B' = 1; 'huawei.com/Ascend910B-memory' = 16384 }
        RayResources = @{ ascend = 20 }
    }
}

AfterAll {
    Stop-TestSandbox $sandbox
}

Describe 'New-RayWorkerDeployment: a WorkerGroup as a Deployment (seed §3)' {
    It 'writes the seed''s Deployment with -ManifestOnly and contacts nothing' {
        $yaml = New-RayWorkerDeployment @seed -ManifestOnly -KubeConfig (Join-Path $TestDrive 'no-such-kubeconfig')
        $yaml | Should -BeOfType ([string])
        $yaml | Should -Match '(?m)^kind: Deployment$'
        $yaml | Should -Match '(?m)^  name: ray-cluster-npu-workergroup$'
        $yaml | Should -Match '(?m)^  namespace: kube-system$'
        $yaml | Should -Match 'ray.io/identifier: ray-cluster-npu-worker'
        $yaml | Should -Match '- /bin/bash\s+- -c\s+- --'
        $yaml | Should -Match ([regex]::Escape("ulimit -n 65536; ray start --address=ray-cluster-head-svc.kube-system.svc.cluster.local:6379 --block --dashboard-agent-listen-port=52365 --memory=20000000000 --metrics-export-port=8080 --num-cpus=12 --resources='{`"NPU`":1,`"ascend`":20}'"))
        $yaml | Should -Match ([regex]::Escape('wget --tries 1 -T 2 -q -O- http://localhost:52365/api/local_raylet_healthz | grep success'))
        $yaml | Should -Match "huawei.com/Ascend910B-memory: '16384'"
        $yaml | Should -Match 'initialDelaySeconds: 30\s+periodSeconds: 5\s+timeoutSeconds: 2\s+failureThreshold: 120'
    }

    It 'keeps the order of [ordered] hashtables and sorts plain ones, so the same command gives the same manifest' {
        $ordered = New-RayWorkerDeployment c g -Image img -Namespace ns -ManifestOnly -Env ([ordered]@{ ZED = '1'; ALPHA = '2' })
        $ordered | Should -Match '(?s)name: ZED.*name: ALPHA'
        $plain = New-RayWorkerDeployment c g -Image img -Namespace ns -ManifestOnly -Env @{ ZED = '1'; ALPHA = '2'; MID = '3' }
        $plain | Should -Match '(?s)name: ALPHA.*name: MID.*name: ZED'
    }

    It 'needs -Image with -ManifestOnly' {
        $splat = $seed.Clone(); $splat.Remove('Image')
        { New-RayWorkerDeployment @splat -ManifestOnly -ErrorAction Stop } | Should -Throw
    }

    It 'creates the Deployment and returns the group (Kind Deployment) with GET + LIST + POST' {
        $null = Get-NewRequests
        $g = New-RayWorkerDeployment @seed -HostPathMount @{ '/usr/local/Ascend/driver' = '/usr/local/Ascend/driver' }
        $requests = Get-NewRequests
        [int] ($requests | Measure-Object Count -Sum).Sum | Should -Be 3
        ($requests | Where-Object { $_.Verb -eq 'create' -and $_.Resource -eq 'deployments' }).Count | Should -Be 1

        $g | Should -BeOfType ([RayPS.RayWorkerGroup])
        ($g.Kind, $g.GroupName, $g.ClusterName, $g.Namespace, $g.DeploymentName, $g.Desired) | Should -Be @('Deployment', 'workergroup', 'ray-cluster', 'kube-system', 'ray-cluster-npu-workergroup', 2)
        $g.RayResources['ascend'] | Should -Be 20

        $d = Get-Deployment ray-cluster-npu-workergroup kube-system
        $d.spec.selector.matchLabels.'ray.io/identifier' | Should -Be 'ray-cluster-npu-worker'
        $labels = $d.spec.template.metadata.labels
        ($labels.'ray.io/cluster', $labels.'ray.io/group', $labels.'ray.io/node-type', $labels.'ray.io/identifier') | Should -Be @('ray-cluster', 'workergroup', 'worker', 'ray-cluster-npu-worker')
        $c = $d.spec.template.spec.containers[0]
        $c.name | Should -Be 'ray-worker'
        $c.resources.requests.'huawei.com/Ascend910B' | Should -Be '1'
        $c.resources.limits.cpu | Should -Be '12'
        $c.volumeMounts[0].mountPath | Should -Be '/usr/local/Ascend/driver'
        $d.spec.template.spec.volumes[0].hostPath.path | Should -Be '/usr/local/Ascend/driver'

        (Get-RayWorkerGroup ray-cluster workergroup -Namespace kube-system).Kind | Should -Be 'Deployment'
    }

    It 'defaults the image to the head''s and the name to cluster-group, and applies the Ascend profile' {
        $g = New-RayWorkerDeployment ray-cluster npu -Namespace kube-system -Profile Ascend910B -Cpu 8 -Memory 32Gi `
            -Toleration 'huawei.com/Ascend910B:NoSchedule' -NodeSelector @{ accelerator = 'huawei-Ascend910B' } -Env ([ordered]@{ RAY_LOG_LEVEL = 'debug' })
        $g.Image | Should -Be 'rayproject/ray:2.48.0'
        $g.DeploymentName | Should -Be 'ray-cluster-npu'
        $g.Accelerators['huawei.com/Ascend910B'] | Should -Be '1'
        $g.RayResources['NPU'] | Should -Be 1
        $d = Get-Deployment ray-cluster-npu kube-system
        $d.spec.template.spec.volumes.hostPath.path | Should -Be @('/usr/local/Ascend/driver', '/usr/local/Ascend/add-ons', '/usr/local/dcmi', '/usr/local/bin/npu-smi', '/etc/ascend_install.info')
        $d.spec.template.spec.containers[0].volumeMounts.readOnly | Sort-Object -Unique | Should -Be $true
        $d.spec.template.spec.tolerations[0].key | Should -Be 'huawei.com/Ascend910B'
        $d.spec.template.spec.tolerations[0].operator | Should -Be 'Exists'
        $d.spec.template.spec.nodeSelector.accelerator | Should -Be 'huawei-Ascend910B'
        $d.spec.template.spec.containers[0].env[0].name | Should -Be 'RAY_LOG_LEVEL'
    }

    It 'is RayClusterNotFound when the cluster does not exist, and creates nothing' {
        $null = Get-NewRequests
        { New-RayWorkerDeployment no-such-cluster g -Image img -ErrorAction Stop } | Should -Throw -ErrorId 'RayClusterNotFound,*'
        (Get-NewRequests | Where-Object Verb -EQ 'create').Count | Should -Be 0
    }

    It 'creates it anyway with -Force, with a warning naming the head address' {
        $g = New-RayWorkerDeployment later g -Image img -Force -WarningVariable warnings -WarningAction SilentlyContinue
        $g.DeploymentName | Should -Be 'later-g'
        "$warnings" | Should -Match 'later-head-svc.default.svc.cluster.local:6379'
    }

    It 'is WorkerGroupExists for a group or Deployment name in use' {
        { New-RayWorkerDeployment @seed -ErrorAction Stop } | Should -Throw -ErrorId 'WorkerGroupExists,*'
        $null = Add-RayWorkerGroup ray-cluster rc-group -Namespace kube-system -Replicas 0
        { New-RayWorkerDeployment ray-cluster rc-group -Namespace kube-system -ErrorAction Stop } | Should -Throw -ErrorId 'WorkerGroupExists,*'
        { New-RayWorkerDeployment ray-cluster other -Name ray-cluster-npu -Namespace kube-system -ErrorAction Stop } | Should -Throw -ErrorId 'WorkerGroupExists,*'
    }

    It 'checks its inputs before sending anything' -TestCases @(
        @{ Arguments = @{ RayMemory = '20GB' }; ErrorId = 'InvalidQuantity' }
        @{ Arguments = @{ Cpu = 'twelve' }; ErrorId = 'InvalidQuantity' }
        @{ Arguments = @{ HostPathMount = @{ 'relative/path' = '/x' } }; ErrorId = 'InvalidHostPathMount' }
        @{ Arguments = @{ Name = 'Bad_Name' }; ErrorId = 'InvalidDeploymentName' }
        @{ Arguments = @{ Toleration = 'key=value:Sometimes' }; ErrorId = 'InvalidToleration' }
        @{ Arguments = @{ RayResources = @{ GPU = 1 } }; ErrorId = 'InvalidRayResource' }
    ) {
        param($Arguments, $ErrorId)
        $splat = @{ ClusterName = 'ray-cluster'; GroupName = 'checked'; Namespace = 'kube-system' }
        foreach ($k in $Arguments.Keys) { $splat[$k] = $Arguments[$k] }
        $null = Get-NewRequests
        { New-RayWorkerDeployment @splat -ErrorAction Stop } | Should -Throw -ErrorId "$ErrorId,*"
        Get-NewRequestTotal | Should -Be 0
    }

    It 'sends nothing with -WhatIf' {
        $null = Get-NewRequests
        New-RayWorkerDeployment ray-cluster preview -Namespace kube-system -WhatIf
        Get-NewRequestTotal | Should -Be 0
    }

    It 'waits with -Wait until the workers are ready' {
        $g = New-RayWorkerDeployment ray-cluster waited -Namespace kube-system -Cpu 1 -Memory 1Gi -Replicas 2 -Wait -TimeoutSec 60 -ErrorAction Stop
        ($g.Desired, $g.Current, $g.Ready) | Should -Be @(2, 2, 2)
    }
}
