#requires -Version 7.4
<#
.SYNOPSIS
    An example runbook: keeps a Ray worker group's healthy capacity by adding a replica for every unhealthy worker.
.DESCRIPTION
    Reads the health of every Ray node of the cluster, counts the unhealthy workers of one group and raises the group's
    replicas by that many (up to -MaxReplicas), then returns a report. It works the same for a RayCluster worker group
    and for a Deployment worker group. Its Pester tests (Repair-RayWorkerCapacity.Tests.ps1) run it against a sandbox.
.EXAMPLE
    ./Repair-RayWorkerCapacity.ps1 -ClusterName ray-cluster -Namespace kube-system -GroupName npu-workergroup -WhatIf
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    [Parameter(Mandatory)] [string] $ClusterName,
    [Parameter(Mandatory)] [string] $GroupName,
    [string] $Namespace,
    [int] $MaxReplicas = 16
)
$ErrorActionPreference = 'Stop'
if (-not (Get-Module RayPS)) { Import-Module RayPS -ErrorAction Stop }

$scope = @{ ClusterName = $ClusterName }
if ($Namespace) { $scope.Namespace = $Namespace }

$group = Get-RayWorkerGroup @scope -Name $GroupName
if (-not $group) { throw "Worker group '$GroupName' of RayCluster '$ClusterName' does not exist." }
$unhealthy = @(Get-RayNodeHealth @scope | Where-Object { $_.NodeType -eq 'worker' -and $_.Group -eq $GroupName -and $_.Status -ne 'Healthy' })

$target = [Math]::Min($MaxReplicas, $group.Replicas + $unhealthy.Count)
$scaled = $false
if ($target -gt $group.Replicas -and $PSCmdlet.ShouldProcess("$ClusterName/$GroupName", "Scale from $($group.Replicas) to $target replicas")) {
    # Piping the group object lets Set-RayWorkerReplicas write with one request (it knows the group's kind and place).
    $null = $group | Set-RayWorkerReplicas -Replicas $target -AdjustBounds
    $scaled = $true
}

[pscustomobject]@{
    ClusterName      = $ClusterName
    GroupName        = $GroupName
    Kind             = $group.Kind
    UnhealthyWorkers = @($unhealthy.PodName)
    Reasons          = @($unhealthy | ForEach-Object { "$($_.PodName): $($_.Reason)" })
    ReplicasBefore   = $group.Replicas
    ReplicasAfter    = if ($scaled) { $target } else { $group.Replicas }
}
