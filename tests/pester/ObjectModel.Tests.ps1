# The object model (issue 18): one naming vocabulary, objects that pipe into the cmdlets that act on them, table views
# that show their key columns at 80 columns, and JSON that round-trips. Black-box, on one sandbox.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:sandbox = Start-TestSandbox
    $PSStyle.OutputRendering = 'PlainText'

    $null = New-RayCluster om -HeadCpu 1 -HeadMemory 2Gi -WorkerReplicas 2 -WorkerCpu 2 -WorkerMemory 4Gi -Wait -TimeoutSec 120
    $null = New-RayWorkerDeployment -ClusterName om -GroupName npu -Replicas 1 -Profile Ascend910B -Cpu 12 -Memory 40Gi -Wait -TimeoutSec 120
    $null = New-RayCluster om-two -HeadCpu 1 -HeadMemory 2Gi -WorkerReplicas 1 -WorkerCpu 1 -WorkerMemory 2Gi -Wait -TimeoutSec 120
    $null = New-RayCluster om-rm -HeadCpu 1 -HeadMemory 1Gi -WorkerReplicas 0

    # Every output type of the module, one object each (the dashboard session is started per test that needs it).
    function script:Get-OutputSamples {
        $fault = Set-RaySandboxFault -Sandbox $sandbox -LatencyMs 1 -Resource 'no-such-resource' -Count 1
        $node = Get-RayNodeHealth om | Where-Object NodeType -EQ worker | Select-Object -First 1
        [ordered]@{
            RayCluster              = Get-RayCluster om
            RayWorkerGroup          = Get-RayWorkerGroup om workergroup
            RayNodeHealth           = $node
            RayClusterHealthSummary = Get-RayNodeHealth om -Summary
            KubeRayOperatorInfo     = Get-KubeRayOperator
            RaySandbox              = Get-RaySandbox -Id $sandbox.Id
            RaySandboxRequestCount  = $sandbox | Get-RaySandbox -RequestCount | Select-Object -First 1
            RaySandboxPodFault      = $node | Set-RaySandboxPodFault -ProbeLatencyMs 1 -PassThru
            FaultRule               = $fault
        }
        Set-RaySandboxFault -Sandbox $sandbox -Clear
        $null = Set-RaySandboxPodFault -PodName $node.PodName -Clear
    }

    # What ConvertTo-Json | ConvertFrom-Json must keep: every property whose value is a scalar, an enum or a list or map of scalars.
    # -Live names properties computed at each read (Age, counters), which may move between the two reads.
    function script:Assert-JsonRoundTrip($Object, [string[]] $Live = @('Age', 'RequestCount', 'Hits')) {
        $json = $Object | ConvertTo-Json -WarningVariable truncated -WarningAction SilentlyContinue
        $truncated | Should -BeNullOrEmpty -Because "$($Object.GetType().Name) must fit ConvertTo-Json's default depth"
        $back = $json | ConvertFrom-Json -DateKind String
        $compared = 0
        foreach ($property in $Object.PSObject.Properties) {
            $value = $property.Value
            $name = $property.Name
            if ($name -in $Live) { continue }
            if ($null -eq $value) { $back.$name | Should -BeNullOrEmpty -Because $name; $compared++; continue }
            if ($value -is [enum]) {
                $back.$name | Should -BeExactly $value.ToString() -Because "enum $name is written as its name"
            }
            elseif ($value -is [datetimeoffset] -or $value -is [datetime]) {
                [datetimeoffset]::Parse($back.$name, [cultureinfo]::InvariantCulture) | Should -Be ([datetimeoffset]$value) -Because $name
            }
            elseif ($value -is [string] -or $value -is [bool] -or $value.GetType().IsPrimitive -or $value -is [decimal]) {
                $back.$name | Should -Be $value -Because $name
            }
            elseif ($value -is [Uri]) {
                $back.$name | Should -Be $value.OriginalString -Because $name
            }
            elseif ($value -is [System.Collections.IDictionary] -or $value.GetType().GetInterface('IReadOnlyDictionary`2')) {
                foreach ($key in @($value.Keys)) { $back.$name.$key | Should -Be $value[$key] -Because "$name[$key]" }
            }
            elseif ($value -is [System.Collections.IEnumerable]) {
                $items = @($value)
                if ($items.Count -gt 0 -and ($items[0] -is [string] -or $items[0].GetType().IsPrimitive)) {
                    @($back.$name) | Should -Be $items -Because $name
                }
                else {
                    @($back.$name).Count | Should -Be $items.Count -Because $name
                    for ($i = 0; $i -lt $items.Count; $i++) {
                        foreach ($inner in $items[$i].PSObject.Properties) {
                            if ($inner.Value -is [string] -or $inner.Value -is [enum] -or ($null -ne $inner.Value -and $inner.Value.GetType().IsPrimitive)) {
                                "$(@($back.$name)[$i].($inner.Name))" | Should -Be "$($inner.Value)" -Because "$name[$i].$($inner.Name)"
                            }
                        }
                    }
                }
            }
            else { continue }
            $compared++
        }
        $compared | Should -BeGreaterThan 3
    }
}

AfterAll {
    Stop-RayDashboard -All
    Stop-TestSandbox $sandbox
}

Describe 'One vocabulary' {
    It 'every object that has a name answers to Name, and objects of a cluster or group name it as ClusterName and GroupName' {
        $group = Get-RayWorkerGroup om workergroup
        $group.Name | Should -Be 'workergroup'
        $group.GroupName | Should -Be 'workergroup'
        $group.ClusterName | Should -Be 'om'
        $cluster = Get-RayCluster om
        ($cluster.Name, $cluster.ClusterName) | Should -Be @('om', 'om')
        $cluster.WorkerGroups[0].Name | Should -Be 'workergroup'
        $node = Get-RayNodeHealth om | Where-Object NodeType -EQ worker | Select-Object -First 1
        $node.Name | Should -Be $node.PodName
        ($node.ClusterName, $node.Namespace) | Should -Be @('om', 'default')
        $node.GroupName | Should -BeIn @('workergroup', 'npu')
        $summary = Get-RayNodeHealth om -Summary
        ($summary.Name, $summary.ClusterName) | Should -Be @('om', 'om')
        (Get-KubeRayOperator).Name | Should -Not -BeNullOrEmpty
    }

    It 'counts of pods end in Workers, bounds of a group are MinReplicas and MaxReplicas, Ready alone is a flag' {
        $group = Get-RayWorkerGroup om workergroup
        ($group.DesiredWorkers, $group.CurrentWorkers, $group.ReadyWorkers, $group.AvailableWorkers) | Should -Be @(2, 2, 2, 2)
        ($group.MinReplicas, $group.MaxReplicas) | Should -Be @(0, [int]::MaxValue)
        $cluster = Get-RayCluster om
        ($cluster.MinWorkers, $cluster.MaxWorkers) | Should -Be @(0, [int]::MaxValue)
        $node = Get-RayNodeHealth om | Select-Object -First 1
        $node.Ready | Should -BeOfType [bool]
    }

    It 'keeps the earlier property names working as aliases' {
        $group = Get-RayWorkerGroup om workergroup
        ($group.Desired, $group.Current, $group.Ready, $group.Available, $group.Min, $group.Max) |
            Should -Be @($group.DesiredWorkers, $group.CurrentWorkers, $group.ReadyWorkers, $group.AvailableWorkers, $group.MinReplicas, $group.MaxReplicas)
        ($group | Get-Member -Name Desired).MemberType | Should -Be 'AliasProperty'
        $node = Get-RayNodeHealth om | Where-Object NodeType -EQ worker | Select-Object -First 1
        $node.Group | Should -Be $node.GroupName
        @(Get-RayNodeHealth om | Where-Object Group -EQ workergroup).Count | Should -Be 2
    }

    It 'table headers are names a user can type: Where-Object <header> works for every column of the group view' {
        $table = (Get-RayWorkerGroup om | Out-String -Width 80) -split "`n" | Where-Object { $_ -match '^Name\s' }
        $headers = -split $table
        $group = Get-RayWorkerGroup om workergroup
        foreach ($header in $headers) { $group.PSObject.Properties[$header] | Should -Not -BeNullOrEmpty -Because "header '$header'" }
    }
}

Describe 'Every Get-* object pipes into the cmdlets that act on it' {
    It 'Get-RayNodeHealth | Set-RayWorkerReplicas sets each worker group once and skips the head' {
        $null = Get-NewRequests
        $set = @(Get-RayNodeHealth om | Set-RayWorkerReplicas -Replicas 3 -PassThru -ErrorVariable failed)
        $failed | Should -BeNullOrEmpty
        $set.GroupName | Sort-Object | Should -Be @('npu', 'workergroup')
        ($set | ForEach-Object Replicas) | Should -Be @(3, 3)
        (Get-RayWorkerGroup om).Replicas | Should -Be @(3, 3)
        $patches = Get-NewRequests | Where-Object Verb -In 'patch', 'update'
        [int]($patches | Measure-Object Count -Sum).Sum | Should -Be 2
        $null = Get-RayWorkerGroup om | Set-RayWorkerReplicas -Replicas 2 -Wait -TimeoutSec 120
        $null = Set-RayWorkerReplicas om npu 1 -Wait -TimeoutSec 120
    }

    It 'a worker group or node names its cluster to Get-RayCluster, Wait-RayCluster, Export-RayCluster and Remove-RayCluster, never itself' {
        (Get-RayWorkerGroup om npu | Get-RayCluster).Name | Should -Be 'om'
        $nodes = @(Get-RayNodeHealth om)
        $null = Get-NewRequests
        ($nodes | Get-RayCluster).Name | Should -Be 'om'
        Get-NewRequestTotal | Should -Be 1 -Because "$($nodes.Count) nodes of one cluster cost one LIST"
        (Get-RayNodeHealth om -Summary | Get-RayCluster).Name | Should -Be 'om'
        (Get-RayWorkerGroup om npu | Wait-RayCluster -TimeoutSec 30).Name | Should -Be 'om'
        Get-RayWorkerGroup om npu | Export-RayCluster | Should -Match '(?m)^  name: om$'
        Get-RayWorkerGroup om-rm | Remove-RayCluster -Confirm:$false -ErrorVariable failed
        $failed | Should -BeNullOrEmpty
        @(Get-RayCluster om-rm* ).Count | Should -Be 0
        (Get-RayCluster om).Name | Should -Be 'om'
    }

    It 'clusters pipe into Get-RayWorkerGroup and Get-RayNodeHealth; nodes and groups name each cluster once' {
        @(Get-RayCluster om | Get-RayWorkerGroup).Name | Should -Be @('workergroup', 'npu')
        $null = Get-NewRequests
        $groups = @(Get-RayNodeHealth om | Get-RayWorkerGroup)
        $groups.Name | Should -Be @('workergroup', 'npu')
        @(Get-RayNodeHealth om | Get-RayWorkerGroup -Name npu).Name | Should -Be @('npu')
        $null = Get-NewRequests
        $nodeCount = @(Get-RayNodeHealth om).Count
        $healthRequests = Get-NewRequestTotal
        $null = Get-RayNodeHealth om | Get-RayWorkerGroup
        # One node-health check and ONE listing of the groups (RayCluster, Deployments, pods), not one per node.
        $nodeCount | Should -BeGreaterThan 2
        Get-NewRequestTotal | Should -Be ($healthRequests + 3)
        $nodes = @(Get-RayWorkerGroup om | Get-RayNodeHealth)
        $nodes.Count | Should -BeGreaterOrEqual 4
        # Nodes are keyed by pod, or by Ray node id for a DEAD node whose pod is gone (a scale-down a moment ago).
        @($nodes | ForEach-Object { "$($_.PodName)|$($_.RayNodeId)" } | Sort-Object -Unique).Count | Should -Be $nodes.Count
    }

    It 'nodes pipe into Set-RaySandboxPodFault, sandboxes into Get-RaySandbox -RequestCount' {
        $node = Get-RayNodeHealth om | Where-Object NodeType -EQ worker | Select-Object -First 1
        ($node | Set-RaySandboxPodFault -RayletHealthy $false -PassThru).Name | Should -Be $node.PodName
        $null = $node | Set-RaySandboxPodFault -Clear
        @(Get-RaySandbox -Id $sandbox.Id | Get-RaySandbox -RequestCount).Count | Should -BeGreaterThan 0
    }

    It 'Get-RayCluster | Start-RayDashboard gives each cluster its own port and says which one moved' {
        $blocker = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 8265)
        $blocked = $true
        try { $blocker.Start() } catch { $blocked = $false }   # someone else holds 8265 already: just as good
        try {
            $sessions = @(Get-RayCluster om, om-two | Start-RayDashboard -WarningVariable moved -WarningAction SilentlyContinue)
            $sessions.ClusterName | Should -Be @('om', 'om-two')
            $sessions.LocalPort | Should -Not -Contain 8265
            @($sessions.LocalPort | Sort-Object -Unique).Count | Should -Be 2
            $moved.Count | Should -Be 2
            $moved[0].Message | Should -Match "port 8265 is in use.*'default/om'.*$($sessions[0].Url)"
            @(Get-RayDashboard | Stop-RayDashboard -PassThru).Count | Should -Be 2
            @(Get-RayDashboard | Where-Object State -EQ Running).Count | Should -Be 0
        }
        finally { if ($blocked) { $blocker.Stop() } }
    }

    It 'a port the user chose stays an error when taken (DashboardPortInUse)' {
        $taken = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $taken.Start()
        try { { Start-RayDashboard om -LocalPort $taken.LocalEndpoint.Port } | Should -Throw -ErrorId 'DashboardPortInUse,*' }
        finally { $taken.Stop() }
    }

    It 'Set-RayWorkerReplicas -Kind rejects a kind that is not one, naming the two that are' {
        { Set-RayWorkerReplicas om workergroup 2 -Kind Pods } | Should -Throw -ErrorId 'InvalidWorkerGroupKind,*'
    }
}

Describe 'Table views at 80 columns' {
    BeforeAll {
        function script:Get-Table($Objects) { $Objects | Out-String -Width 80 }
        function script:Get-HeaderLine([string] $Table, [string] $First) { ($Table -split "`r?`n" | Where-Object { $_ -match "^\s*$First\s" } | Select-Object -First 1) }
        function script:Assert-Fits([string] $Table) {
            foreach ($line in $Table -split "`r?`n") { $line.Length | Should -BeLessOrEqual 80 -Because "line '$line'" }
        }
    }

    It 'Get-RayCluster shows Name, Namespace, workers, resources, State and Age' {
        $om = Get-RayCluster om
        $table = Get-Table (Get-RayCluster)
        Assert-Fits $table
        -split (Get-HeaderLine $table 'Name') | Should -Be @('Name', 'Namespace', 'Desired', 'Available', 'CPUs', 'GPUs', 'Memory', 'State', 'Age')
        $table | Should -Match "(?m)^om\s+default\s+$($om.DesiredWorkers)\s+\d+\s+$($om.DesiredCpu)\s+$($om.DesiredGpu)\s+$($om.DesiredMemory)\s+ready\s+\d+[smhd]\s*$"
    }

    It 'Get-RayWorkerGroup shows Name, ClusterName, Kind, Desired, Ready, bounds and resources' {
        $table = Get-Table (Get-RayWorkerGroup om)
        Assert-Fits $table
        -split (Get-HeaderLine $table 'Name') | Should -Be @('Name', 'ClusterName', 'Kind', 'Desired', 'Ready', 'Min', 'Max', 'Cpu', 'Memory', 'Gpu')
        $table | Should -Match '(?m)^workergroup\s+om\s+RayCluster\s+2\s+2\s+0\s+-\s+2\s+4Gi'
        $table | Should -Match '(?m)^npu\s+om\s+Deployment\s+1\s+1\s+-\s+-\s+12\s+40Gi'
    }

    It 'Get-RayNodeHealth shows Name, Ready, Restarts, Status and a one-line Reason' {
        $node = Get-RayNodeHealth om | Where-Object NodeType -EQ worker | Select-Object -First 1
        $null = $node | Set-RaySandboxPodFault -RayNodeState DEAD
        try {
            $nodes = Get-RayNodeHealth om
            $dead = $nodes | Where-Object PodName -EQ $node.PodName
            $table = Get-Table $nodes
            Assert-Fits $table
            -split (Get-HeaderLine $table 'Name') | Should -Be @('Name', 'Ready', 'Restarts', 'Status', 'Reason')
            $table | Should -Match "(?m)^$([regex]::Escape($node.PodName))\s+yes\s+0\s+Unhealthy\s+\S"
            $table | Should -Match '(?m)^\S+-head-\S+\s+yes\s+0\s+Healthy'
            $dead.Reason | Should -Not -BeNullOrEmpty
            # The list view keeps the full text.
            ($dead | Format-List Reason | Out-String -Width 4000) | Should -Match ([regex]::Escape($dead.Reason.Substring(0, 40)))
        }
        finally { $null = Set-RaySandboxPodFault -PodName $node.PodName -Clear }
    }

    It 'a multi-line, tab-indented reason is one line in the table, whole in the property' {
        $format = [xml](Get-Content (Join-Path (Split-Path (Get-RayPSModulePath)) 'RayPS.Format.ps1xml') -Raw)
        $view = $format.Configuration.ViewDefinitions.View | Where-Object Name -EQ 'RayPS.RayNodeHealth'
        $reasonScript = [scriptblock]::Create(@($view.TableControl.TableRowEntries.TableRowEntry.TableColumnItems.TableColumnItem)[-1].ScriptBlock)
        $node = [pscustomobject]@{ Reason = "raylet died:`n`tUnexpected termination:`r`n`t  exit code 1`n" }
        $line = $reasonScript.InvokeWithContext($null, [System.Collections.Generic.List[psvariable]]@([psvariable]::new('_', $node)))
        "$line" | Should -BeExactly 'raylet died: Unexpected termination: exit code 1'
    }

    It 'Get-RayNodeHealth -Summary shows Name, Namespace, Healthy, Total, Status and Reason' {
        $summary = Get-RayNodeHealth om -Summary
        $table = Get-Table $summary
        Assert-Fits $table
        -split (Get-HeaderLine $table 'Name') | Should -Be @('Name', 'Namespace', 'Healthy', 'Total', 'Status', 'Reason')
        $table | Should -Match "(?m)^om\s+default\s+$($summary.Healthy)\s+$($summary.Total)\s+$($summary.Status)\s+\S"
    }

    It 'Get-KubeRayOperator shows Name, Namespace, Ready, Version, Status and Hint with whole headers' {
        $table = Get-Table (Get-KubeRayOperator)
        Assert-Fits $table
        -split (Get-HeaderLine $table 'Name') | Should -Be @('Name', 'Namespace', 'Ready', 'Version', 'Status', 'Hint')
        $table | Should -Match '(?m)^kuberay-operator\s+kube-system\s+1/1\s+v1\.4\.2\s+Healthy\s'
        $table | Should -Not -Match 'Statu s'
    }

    It 'Get-RayDashboard shows Id, ClusterName, Namespace, State and the whole Url' {
        $session = Start-RayDashboard om -LocalPort 0
        try {
            $table = Get-Table $session
            Assert-Fits $table
            -split (Get-HeaderLine $table 'Id') | Should -Be @('Id', 'ClusterName', 'Namespace', 'State', 'Url')
            $table | Should -Match "(?m)^\s*$($session.Id)\s+om\s+default\s+Running\s+$([regex]::Escape($session.Url))\s*$"
        }
        finally { $session | Stop-RayDashboard }
    }

    It 'Get-RaySandbox shows Id, Uri, Running, Requests and the kubeconfig' {
        $table = Get-Table (Get-RaySandbox -Id $sandbox.Id)
        Assert-Fits $table
        -split (Get-HeaderLine $table 'Id') | Should -Be @('Id', 'Uri', 'Running', 'Requests', 'KubeConfigPath')
        $table | Should -Match "(?m)^\s*$($sandbox.Id)\s+$([regex]::Escape($sandbox.Uri.ToString()))\s+True\s+\d+\s+\S"
    }

    It 'the sandbox request counts, pod faults and fault rules fit as well' {
        $samples = Get-OutputSamples
        foreach ($name in 'RaySandboxRequestCount', 'RaySandboxPodFault', 'FaultRule') {
            $table = Get-Table $samples[$name]
            Assert-Fits $table
            $table | Should -Not -Match '…\s*$' -Because "$name keeps its columns whole"
        }
    }
}

Describe 'JSON' {
    BeforeAll { $script:samples = Get-OutputSamples }

    It 'every output type round-trips through ConvertTo-Json | ConvertFrom-Json at the default depth, enums as names: <_>' -ForEach @(
        'RayCluster', 'RayWorkerGroup', 'RayNodeHealth', 'RayClusterHealthSummary', 'KubeRayOperatorInfo', 'RaySandbox',
        'RaySandboxRequestCount', 'RaySandboxPodFault', 'FaultRule') {
        $sample = $samples[$_]
        $sample | Should -Not -BeNullOrEmpty
        $sample.GetType().Name | Should -Be $_
        Assert-JsonRoundTrip $sample
    }

    It 'a dashboard session round-trips too, its State as a name' {
        $session = Start-RayDashboard om -LocalPort 0
        try {
            Assert-JsonRoundTrip $session
            ($session | ConvertTo-Json | ConvertFrom-Json).State | Should -BeExactly 'Running'
        }
        finally { $session | Stop-RayDashboard }
    }

    It 'writes enums as names: Status, Kind and State' {
        (Get-RayNodeHealth om -Summary | ConvertTo-Json) | Should -Match '"Status": "Healthy"'
        (Get-RayWorkerGroup om npu | ConvertTo-Json) | Should -Match '"Kind": "Deployment"'
        (Get-KubeRayOperator | ConvertTo-Json) | Should -Match '"Status": "Healthy"'
    }

    It 'several clusters at once need the documented -Depth 4 to keep their conditions and groups as objects' {
        $json = Get-RayCluster om, om-two | ConvertTo-Json -Depth 4 -WarningVariable truncated
        $truncated | Should -BeNullOrEmpty
        $back = $json | ConvertFrom-Json
        $back.Count | Should -Be 2
        ($back | Where-Object Name -EQ om).WorkerGroups.Name | Should -Be @('workergroup')
        ($back | Where-Object Name -EQ om).Conditions.Type | Should -Contain 'RayClusterProvisioned'
    }
}

Describe 'Tab completion' {
    It 'completes namespaces for -Namespace' {
        $null = New-RayCluster om-ns -Namespace kube-public -WorkerReplicas 0 -HeadCpu 1 -HeadMemory 1Gi
        try {
            $line = 'Get-RayCluster -Namespace kube-p'
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('kube-public')
            $line = 'Get-RayNodeHealth -Namespace '
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Contain 'default'
        }
        finally { Remove-RayCluster om-ns -Namespace kube-public -Confirm:$false }
    }

    It 'completes the pod names of a cluster for Set-RaySandboxPodFault -PodName' {
        $pods = @(Get-RayNodeHealth om-two | Where-Object PodName | ForEach-Object PodName | Sort-Object)
        $line = 'Set-RaySandboxPodFault -PodName om-two-'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be $pods
        $line = "Set-RaySandboxPodFault -Sandbox `$sandbox -PodName om-two-h"
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @($pods -like 'om-two-head-*')
    }

    It 'completes the worker group kinds for -Kind' {
        $line = 'Set-RayWorkerReplicas om workergroup 2 -Kind '
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('Deployment', 'RayCluster')
    }
}
