#requires -Version 7.4
<#
.SYNOPSIS
    The reference ops guide (Ray on Kubernetes with KubeRay 1.4.2) done with RayPS, on a local sandbox.
.DESCRIPTION
    Run by `dotnet pwsh ./build.ps1 Demo`. Each step names the guide's command it replaces.
#>
param([Parameter(Mandatory)] [string] $ModulePath)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module $ModulePath

function Step([string] $Title, [string] $Replaces) {
    Write-Host ''
    Write-Host "=== $Title" -ForegroundColor Cyan
    if ($Replaces) { Write-Host "    (instead of: $Replaces)" -ForegroundColor DarkGray }
}
function Show([Parameter(ValueFromPipeline)] $InputObject) { process { $InputObject } end {} }
function Has([string] $Command) { [bool](Get-Command $Command -Module RayPS -ErrorAction SilentlyContinue) }

$namespace = 'kube-system'
$kubeconfig = Join-Path ([IO.Path]::GetTempPath()) "rayps-demo-$PID.kubeconfig"

$withInstall = Has Install-KubeRayOperator
Step '0. Start a local sandbox cluster (loopback Kubernetes API; KubeRay not installed yet)'
$sandbox = if ($withInstall) { Start-RaySandbox -KubeConfigPath $kubeconfig -WithoutKubeRay } else { Start-RaySandbox -KubeConfigPath $kubeconfig }
$sandbox | Format-List Uri, KubeConfigPath, Context | Out-Host
$env:KUBECONFIG = $sandbox.KubeConfigPath
try {
    if ($withInstall) {
        Step '1. Install the KubeRay operator 1.4.2 (CRDs, RBAC, Deployment; server-side apply, no Helm)' 'helm install kuberay-operator kuberay/kuberay-operator --namespace kube-system --version 1.4.2'
        Install-KubeRayOperator -Namespace $namespace -Version 1.4.2 -Wait | Format-Table | Out-Host
    }
    Step '1b. Verify the KubeRay operator' 'kubectl get pods -n kube-system | grep kuberay-operator'
    if (Has Get-KubeRayOperator) {
        Get-KubeRayOperator | Format-Table | Out-Host
        # A mistaken pipe deletes nothing: the operator names no RayCluster.
        Get-KubeRayOperator | Remove-RayCluster -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable refused
        "Get-KubeRayOperator | Remove-RayCluster -> $($refused[0].FullyQualifiedErrorId.Split(',')[0]): nothing deleted" | Out-Host
    }

    Step '2. Deploy the RayCluster from the guide''s Helm values' 'helm -n kube-system install ray-cluster ./ray-cluster -f ./values.yaml'
    if (Has New-RayCluster) {
        # The chart would name it "ray-cluster-kuberay"; -Name gives the name the guide's kubectl commands use (Helm: fullnameOverride).
        $cluster = New-RayCluster -ValuesPath (Join-Path $PSScriptRoot 'examples/values.yaml') -ReleaseName ray-cluster -Name ray-cluster -Namespace $namespace -Wait -TimeoutSec 120
        $cluster | Format-Table | Out-Host
    }
    Get-RayCluster -Namespace $namespace | Format-Table | Out-Host

    Step '2b. Its pods' 'kubectl get pods -n kube-system -l ray.io/cluster=ray-cluster'
    if (Has Get-RayNodeHealth) { Get-RayNodeHealth -ClusterName ray-cluster -Namespace $namespace | Format-Table | Out-Host }

    Step '3. An NPU worker group as a plain Deployment (driver mounts, liveness probe)' 'kubectl apply -f ray-cluster-npu-workergroup.yaml'
    if (Has New-RayWorkerDeployment) {
        New-RayWorkerDeployment -ClusterName ray-cluster -Namespace $namespace -GroupName npu-workergroup -Replicas 2 -Profile Ascend910B -Cpu 12 -Memory 40Gi -RayMemory 20000000000 -RayResources @{ ascend = 20 } -Wait -TimeoutSec 120 | Format-Table | Out-Host
    }
    if (Has Get-RayWorkerGroup) { Get-RayWorkerGroup -ClusterName ray-cluster -Namespace $namespace | Format-Table | Out-Host }

    Step '4a. Node health, then break one raylet and look again' '(no kubectl equivalent: the guide only probes raylets inside a liveness probe)'
    if (Has Get-RayNodeHealth) {
        Get-RayNodeHealth -ClusterName ray-cluster -Namespace $namespace -Summary | Format-Table | Out-Host
        $victim = Get-RayNodeHealth -ClusterName ray-cluster -Namespace $namespace | Where-Object NodeType -EQ 'worker' | Select-Object -First 1
        # The sandbox's fault annotation (kubectl annotate pod <pod> sandbox.rayps.io/raylet-healthy=false does the same).
        $victim | Set-RaySandboxPodFault -Sandbox $sandbox -RayletHealthy $false -PassThru | Format-Table | Out-Host
        Get-RayNodeHealth -ClusterName ray-cluster -Namespace $namespace | Where-Object Status -NE 'Healthy' | Format-Table PodName, Status, Reason -Wrap | Out-Host
    }

    Step '4b. Open the dashboard and read the node list through it' 'kubectl port-forward svc/ray-cluster-head-svc -n kube-system 8265:8265'
    if (Has Start-RayDashboard) {
        $session = Start-RayDashboard -ClusterName ray-cluster -Namespace $namespace -LocalPort 0
        $session | Format-List Url, PodName, State | Out-Host
        $nodes = Invoke-RestMethod "$($session.Url.ToString().TrimEnd('/'))/nodes?view=summary"
        "Ray nodes through the dashboard: $(@($nodes.data.summary).Count)" | Out-Host
        # An API server that refuses port-forwards twice: the connection is retried alone, the session stays up.
        $refusal = Set-RaySandboxFault -Sandbox $sandbox -StatusCode 503 -Resource pods -Verb portforward -Count 2
        $nodes = Invoke-RestMethod "$($session.Url.ToString().TrimEnd('/'))/nodes?view=summary" -DisableKeepAlive
        "After $($refusal.Hits) refused port-forwards: $(@($nodes.data.summary).Count) nodes; session $($session.State), $($session.Reconnects) reconnects" | Out-Host
        $session | Stop-RayDashboard
    }

    Step '4c. Scale workers: the Deployment 2 -> 4 and the RayCluster group 2 -> 3' 'kubectl scale deployment ... --replicas=4; kubectl edit raycluster ray-cluster'
    if (Has Set-RayWorkerReplicas) {
        Set-RayWorkerReplicas -ClusterName ray-cluster -Namespace $namespace -GroupName npu-workergroup -Replicas 4 -Wait -PassThru | Format-Table | Out-Host
        Set-RayWorkerReplicas -ClusterName ray-cluster -Namespace $namespace -GroupName workergroup -Replicas 3 -Wait -PassThru | Format-Table | Out-Host
        Get-RayCluster -Namespace $namespace | Format-Table | Out-Host
    }

    Step '4d. Run a job from a local folder, follow its log, then list the jobs' 'kubectl port-forward svc/ray-cluster-head-svc 8265:8265 & ray job submit --address http://localhost:8265 --working-dir . -- python train.py'
    if (Has Start-RayJob) {
        $project = Join-Path ([IO.Path]::GetTempPath()) "rayps-demo-job-$PID"
        $null = New-Item -ItemType Directory -Path $project -Force
        Set-Content -Path (Join-Path $project 'train.py') -Value @(
            'import time'
            "print('epoch 1/3 loss 0.92')"
            'time.sleep(30)'
            "print('epoch 2/3 loss 0.41')"
            'time.sleep(30)'
            "print('epoch 3/3 loss 0.17')"
        )
        Set-Content -Path (Join-Path $project '.gitignore') -Value '*.ckpt'
        Set-Content -Path (Join-Path $project 'old.ckpt') -Value 'not uploaded'
        Start-RayJob -ClusterName ray-cluster -Namespace $namespace -Entrypoint 'python train.py' -WorkingDirectory $project -Follow | Out-Host
        Get-RayJob -ClusterName ray-cluster -Namespace $namespace | Format-Table | Out-Host
        Remove-Item $project -Recurse -Force
    }

    Step '4e. Read the logs of the nodes that are not healthy, then save the cluster''s logs to a folder' 'kubectl logs <pod> --tail 50 for each pod; kubectl ray log ray-cluster (needs pods/exec)'
    if (Has Save-RayClusterLog) {
        Get-RayNodeHealth -ClusterName ray-cluster -Namespace $namespace | Where-Object Status -NE 'Healthy' | Get-RayNodeLog -Tail 5 | Format-Table PodName, Text -Wrap | Out-Host
        $logFolder = Join-Path ([IO.Path]::GetTempPath()) "rayps-demo-logs-$PID"
        $saved = Save-RayClusterLog -ClusterName ray-cluster -Namespace $namespace -Path $logFolder -IncludeRayLogs
        "Saved $(@($saved).Count) log files ($([Math]::Round(($saved | Measure-Object Length -Sum).Sum / 1KB, 1)) KB) of $(@(Get-ChildItem $logFolder -Directory).Count) pods to $logFolder" | Out-Host
        $saved | Select-Object -First 6 | Format-Table Length, FullName | Out-Host
        Remove-Item $logFolder -Recurse -ErrorAction SilentlyContinue
    }

    Step '4f. Scale down without killing work: one worker is busy, the idle ones go' 'kubectl edit raycluster ray-cluster (KubeRay picks the pods to delete, busy or not)'
    if (Has Remove-RayWorkerGroup) {
        $busy = (Get-RayWorkerGroup ray-cluster -Namespace $namespace -Name workergroup).Pods | Select-Object -First 1
        Set-RaySandboxPodFault -Sandbox $sandbox -Namespace $namespace -PodName $busy -RayBusy $true
        "Busy worker (runs tasks): $busy" | Out-Host
        $g = Set-RayWorkerReplicas -ClusterName ray-cluster -Namespace $namespace -GroupName workergroup -Replicas 1 -Wait -PassThru -Verbose 4>&1 |
            ForEach-Object { if ($_ -is [System.Management.Automation.VerboseRecord]) { "VERBOSE: $($_.Message)" | Out-Host } else { $_ } }
        "Left: $($g.Pods -join ', ') (the busy worker survived: $($g.Pods -contains $busy))" | Out-Host
        Step '4g. Remove the NPU Deployment group' 'kubectl delete deployment ray-cluster-npu-workergroup'
        Remove-RayWorkerGroup -ClusterName ray-cluster -Namespace $namespace -GroupName npu-workergroup -Confirm:$false
        Get-RayWorkerGroup ray-cluster -Namespace $namespace | Format-Table | Out-Host
    }
}
finally {
    Step '5. Clean up'
    if (Has Remove-RayCluster) { Get-RayCluster -Namespace $namespace -ErrorAction SilentlyContinue | Remove-RayCluster -Confirm:$false }
    $sandbox | Stop-RaySandbox
    Remove-Item $kubeconfig -ErrorAction SilentlyContinue
}
