# Install-KubeRayOperator / Uninstall-KubeRayOperator on a sandbox started without KubeRay, and -ManifestOnly checked against the chart.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-RayPSUnderTest
    $script:bare = Start-RaySandbox -WithoutKubeRay
    $script:kc = $bare.KubeConfigPath

    function script:New-Requests { @(Get-RaySandbox -InputObject $bare -RequestCount -Reset) }
    function script:Measure-Requests([object[]] $Requests, [string] $Verb = '*', [string] $Resource = '*') {
        $total = 0
        foreach ($r in $Requests | Where-Object { $_.Verb -like $Verb -and $_.Resource -like $Resource }) { $total += $r.Count }
        $total
    }

    # Parses -ManifestOnly output with YamlDotNet (the module's copy) in a fresh pwsh: the CRD names, and the other objects as JSON.
    function script:ConvertFrom-Manifest([string] $Yaml) {
        $file = Join-Path $TestDrive ("manifest-" + [Guid]::NewGuid().ToString('N') + '.yaml')
        Set-Content -Path $file -Value $Yaml -NoNewline
        $yamlDll = Join-Path (Split-Path (Get-RayPSModulePath)) 'lib/YamlDotNet.dll'
        $out = Invoke-FreshPwsh -Script @"
Add-Type -Path '$yamlDll'
`$d = [YamlDotNet.Serialization.DeserializerBuilder]::new().Build()
`$docs = [regex]::Split((Get-Content '$file' -Raw), '(?m)^---\r?\n') | Where-Object { `$_.Trim() }
`$result = [ordered]@{ crds = @(); objects = @() }
foreach (`$text in `$docs) {
    `$o = `$d.Deserialize[object](`$text)
    if (`$o['kind'] -eq 'CustomResourceDefinition') { `$result.crds += `$o['metadata']['name'] } else { `$result.objects += `$o }
}
`$result | ConvertTo-Json -Depth 30 -Compress
"@
        $LASTEXITCODE | Should -Be 0 -Because ($out -join "`n")
        ($out -join '') | ConvertFrom-Json
    }

    function script:Find([object] $Parsed, [string] $Kind, [string] $Name, [string] $Namespace) {
        @($Parsed.objects | Where-Object { $_.kind -eq $Kind -and (-not $Name -or $_.metadata.name -eq $Name) -and (-not $Namespace -or $_.metadata.namespace -eq $Namespace) })
    }
}

AfterAll {
    if ($bare) { $bare | Stop-RaySandbox }
}

Describe 'Install-KubeRayOperator -ManifestOnly' {
    It 'renders the chart 1.4.2 defaults (CRDs verbatim first) and sends nothing' {
        $null = New-Requests
        $yaml = Install-KubeRayOperator -Namespace kube-system -ManifestOnly -KubeConfig $kc
        Measure-Requests (New-Requests) | Should -Be 0
        $yaml | Should -BeOfType [string]
        $yaml | Should -Match '^---\r?\napiVersion: apiextensions.k8s.io/v1'
        $m = ConvertFrom-Manifest $yaml
        $m.crds | Should -Be @('rayclusters.ray.io', 'rayjobs.ray.io', 'rayservices.ray.io')
        @($m.objects | ForEach-Object { "$($_.kind)/$($_.metadata.name)" }) | Should -Be @(
            'ServiceAccount/kuberay-operator', 'ClusterRole/kuberay-operator', 'ClusterRole/rayjob-editor-role', 'ClusterRole/rayjob-viewer-role',
            'ClusterRole/rayservice-editor-role', 'ClusterRole/rayservice-viewer-role', 'ClusterRoleBinding/kuberay-operator',
            'Role/kuberay-operator-leader-election', 'RoleBinding/kuberay-operator-leader-election', 'Service/kuberay-operator', 'Deployment/kuberay-operator')
        $d = Find $m Deployment kuberay-operator kube-system
        $d.metadata.labels.'helm.sh/chart' | Should -Be 'kuberay-operator-1.4.2'
        $d.metadata.labels.'app.kubernetes.io/managed-by' | Should -Be 'RayPS'
        $d.spec.strategy.type | Should -Be 'Recreate'
        $c = $d.spec.template.spec.containers[0]
        $c.image | Should -Be 'quay.io/kuberay/operator:v1.4.2'
        $c.args | Should -Be @('--feature-gates=RayClusterStatusConditions=true,RayJobDeletionPolicy=false', '--log-stdout-encoder', 'json',
            '--log-file-encoder', 'json', '--enable-leader-election=true', '--enable-metrics=true')
        $c.resources.limits.memory | Should -Be '512Mi'
        $c.readinessProbe.httpGet.path | Should -Be '/metrics'
        $c.securityContext.readOnlyRootFilesystem | Should -Be 'true'
        (Find $m ClusterRoleBinding).subjects[0].namespace | Should -Be 'kube-system'
    }

    It 'renders a values file that changes every listed key (1.7.0)' {
        $values = Join-Path $TestDrive 'kuberay-values.yaml'
        @'
image:
  repository: registry.example.com/kuberay/operator
  tag: v1.7.0-rc
watchNamespace: [team-a, team-b]
singleNamespaceInstall: true
featureGates:
- name: RayCronJob
  enabled: true
batchScheduler:
  enabled: false
  name: yunikorn
env:
- name: ENABLE_INIT_CONTAINER_INJECTION
  value: "false"
resources:
  limits: {cpu: "1", memory: 1Gi}
leaderElectionEnabled: false
rbacEnable: true
crNamespacedRbacEnable: true
replicas: 2
service: {type: NodePort, port: 9090}
'@ | Set-Content $values
        $m = ConvertFrom-Manifest (Install-KubeRayOperator -Version 1.7.0 -Namespace kube-system -ValuesPath $values -ManifestOnly -KubeConfig $kc)
        $m.crds | Should -Be @('rayclusters.ray.io', 'raycronjobs.ray.io', 'rayjobs.ray.io', 'rayservices.ray.io')
        Find $m ClusterRole | Should -BeNullOrEmpty
        (Find $m Role kuberay-operator team-a).Count | Should -Be 1
        (Find $m RoleBinding kuberay-operator team-b).subjects[0].namespace | Should -Be 'kube-system'
        (Find $m Role kuberay-operator-leader-election kube-system).Count | Should -Be 1
        $d = Find $m Deployment
        $d.spec.replicas | Should -Be '2'
        $c = $d.spec.template.spec.containers[0]
        $c.image | Should -Be 'registry.example.com/kuberay/operator:v1.7.0-rc'
        $c.args | Should -Be @('--batch-scheduler=yunikorn', '--watch-namespace', 'team-a,team-b', '--log-stdout-encoder', 'json', '--log-file-encoder', 'json',
            '--enable-leader-election=false', '--enable-metrics=true', '--reconcile-concurrency=1', '--qps=100', '--burst=200', '--feature-gates=RayCronJob=true')
        $c.env[0].name | Should -Be 'ENABLE_INIT_CONTAINER_INJECTION'
        $c.resources.limits.memory | Should -Be '1Gi'
        (Find $m Service).spec.type | Should -Be 'NodePort'
        (Find $m Service).spec.ports[0].port | Should -Be '9090'
    }

    It 'takes -Image, -WatchNamespace and -FeatureGate over the values' {
        $m = ConvertFrom-Manifest (Install-KubeRayOperator -Namespace kube-system -Image mirror.local/kuberay/operator:v1.4.2 -WatchNamespace a, b `
                -FeatureGate @{ RayJobDeletionPolicy = $true } -ManifestOnly -KubeConfig $kc)
        $c = (Find $m Deployment).spec.template.spec.containers[0]
        $c.image | Should -Be 'mirror.local/kuberay/operator:v1.4.2'
        $c.args[0] | Should -Be '--feature-gates=RayClusterStatusConditions=true,RayJobDeletionPolicy=true'
        $c.args | Should -Contain 'a,b'
    }

    It 'names the supported versions for any other -Version' {
        { Install-KubeRayOperator -Version 1.5.0 -ManifestOnly -KubeConfig $kc } | Should -Throw -ErrorId 'KubeRayVersionNotSupported,*'
        try { Install-KubeRayOperator -Version 2.0 -ManifestOnly -KubeConfig $kc } catch { $_.Exception.Message | Should -Match '1\.4\.2, 1\.7\.0' }
        { Install-KubeRayOperator -Image 'no-tag' -ManifestOnly -KubeConfig $kc } | Should -Throw -ErrorId 'InvalidOperatorValues,*'
    }
}

Describe 'Install-KubeRayOperator on a cluster without KubeRay' {
    It 'refuses a user without cluster rights before writing anything, naming the missing permission' {
        $null = New-Requests
        { Install-KubeRayOperator -Namespace kube-system -KubeConfig $kc -Context rayps-sandbox-viewer } | Should -Throw -ErrorId 'KubeRayInstallForbidden,*'
        try { Install-KubeRayOperator -Namespace kube-system -KubeConfig $kc -Context rayps-sandbox-viewer }
        catch { $_.Exception.Message | Should -Match 'create\+patch customresourcedefinitions\.apiextensions\.k8s\.io \(cluster-scoped\)'; $_.CategoryInfo.Category | Should -Be 'PermissionDenied' }
        $requests = New-Requests
        Measure-Requests $requests | Should -Be (Measure-Requests $requests -Verb create -Resource selfsubjectaccessreviews)
        Measure-Requests $requests -Verb patch | Should -Be 0
    }

    It '-DryRun and -WhatIf store nothing' {
        $dry = Install-KubeRayOperator -Namespace kube-system -DryRun -KubeConfig $kc
        $dry.DryRun | Should -BeTrue
        @($dry.Objects | Where-Object Action -NE 'DryRun').Count | Should -Be 0
        $null = New-Requests
        Install-KubeRayOperator -Namespace kube-system -WhatIf -KubeConfig $kc | Should -BeNullOrEmpty
        Measure-Requests (New-Requests) | Should -Be 0
        (Get-KubeRayOperator -KubeConfig $kc).Status | Should -Be 'NotInstalled'
        (Get-KubeRayOperator -KubeConfig $kc).CrdSummary | Should -Be 'rayclusters(missing) rayjobs(missing) rayservices(missing)'
    }

    It 'installs 1.4.2 on an empty cluster with server-side apply, and the operator starts reconciling' {
        $null = New-Requests
        $r = Install-KubeRayOperator -Namespace kube-system -KubeConfig $kc
        $requests = New-Requests
        $r | Should -BeOfType ([RayPS.KubeRayOperatorInstallation])
        $r.Version | Should -Be '1.4.2'
        $r.Created | Should -Be 14
        $r.Changed | Should -BeTrue
        $r.PreviousVersion | Should -BeNullOrEmpty
        Measure-Requests $requests -Verb create -Resource selfsubjectaccessreviews | Should -Be 16
        Measure-Requests $requests -Verb get | Should -Be 15
        Measure-Requests $requests -Verb patch | Should -Be 14
        Measure-Requests $requests -Verb patch -Resource customresourcedefinitions | Should -Be 3
        Measure-Requests $requests | Should -Be 45

        $c = New-RayCluster first -WorkerReplicas 1 -KubeConfig $kc -Wait -TimeoutSec 120
        $c.State | Should -Be 'ready'
        $op = Get-KubeRayOperator -KubeConfig $kc
        $op.Status | Should -Be 'Healthy'
        $op.InstalledBy | Should -Be 'RayPS'
        $op.ChartVersion | Should -Be '1.4.2'
        $op.FeatureGates['RayClusterStatusConditions'] | Should -BeTrue
        $op.FeatureGates['RayJobDeletionPolicy'] | Should -BeFalse
        $op.WatchNamespaces | Should -BeNullOrEmpty
    }

    It 'a second install changes nothing and says so' {
        $null = New-Requests
        $r = Install-KubeRayOperator -Namespace kube-system -KubeConfig $kc -Verbose 4>&1
        $requests = New-Requests
        $result = $r | Where-Object { $_ -is [RayPS.KubeRayOperatorInstallation] }
        $result.Changed | Should -BeFalse
        $result.Unchanged | Should -Be 14
        $result.PreviousVersion | Should -Be '1.4.2'
        ($r | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message | Should -Contain "KubeRay operator 1.4.2 in 'kube-system' is installed as rendered: nothing changed."
        Measure-Requests $requests -Verb patch | Should -Be 14
        Measure-Requests $requests | Should -Be 45
    }

    It 'upgrades 1.4.2 to 1.7.0 in place, CRDs included, and -Wait -PassThru returns the operator' {
        $op = Install-KubeRayOperator -Version 1.7.0 -Namespace kube-system -KubeConfig $kc -Wait -PassThru
        $op | Should -BeOfType ([RayPS.KubeRayOperatorInfo])
        $op.Version | Should -Be 'v1.7.0'
        $op.ChartVersion | Should -Be '1.7.0'
        $op.Status | Should -Be 'Healthy'
        $op.FeatureGates['RayCronJob'] | Should -BeFalse
        (Get-RayCluster first -KubeConfig $kc).State | Should -Be 'ready'
        $again = Install-KubeRayOperator -Version 1.7.0 -Namespace kube-system -KubeConfig $kc
        $again.Changed | Should -BeFalse
        $again.Objects.Count | Should -Be 17
    }

    It 'Get-KubeRayOperator reports watched namespaces of a single-namespace install' {
        $values = Join-Path $TestDrive 'single.yaml'
        "singleNamespaceInstall: true`n" | Set-Content $values
        $r = Install-KubeRayOperator -Version 1.7.0 -Namespace kube-system -ValuesPath $values -WatchNamespace default -KubeConfig $kc -Wait
        $r.Configured | Should -BeGreaterThan 0
        ($r.Objects | Where-Object { $_.Kind -eq 'Role' -and $_.Namespace -eq 'default' }).Action | Should -Be 'Created'
        # The cluster-wide RBAC of the previous render is gone, as helm upgrade would remove it.
        @($r.Objects | Where-Object Action -EQ 'Deleted' | ForEach-Object { "$($_.Kind)/$($_.Name)" } | Sort-Object) | Should -Be @(
            'ClusterRole/kuberay-operator', 'ClusterRole/raycronjob-editor-role', 'ClusterRole/raycronjob-viewer-role', 'ClusterRole/rayjob-editor-role',
            'ClusterRole/rayjob-viewer-role', 'ClusterRole/rayservice-editor-role', 'ClusterRole/rayservice-viewer-role', 'ClusterRoleBinding/kuberay-operator')
        $r.Deleted | Should -Be 8
        $op = Get-KubeRayOperator -KubeConfig $kc
        $op.WatchNamespaces | Should -Be @('default')
        (New-RayCluster second -WorkerReplicas 0 -KubeConfig $kc -Wait -TimeoutSec 120).State | Should -Be 'ready'
    }

    It 'uninstall -IncludeCrds -WhatIf counts the custom resources and deletes nothing' {
        $null = New-Requests
        Uninstall-KubeRayOperator -IncludeCrds -WhatIf -KubeConfig $kc | Should -BeNullOrEmpty
        $requests = New-Requests
        Measure-Requests $requests -Verb delete | Should -Be 0
        Measure-Requests $requests -Verb list -Resource rayclusters | Should -Be 1
        (Get-KubeRayOperator -KubeConfig $kc).Status | Should -Be 'Healthy'
    }

    It 'uninstalls and keeps the CRDs and clusters; the operator stops' {
        $gone = Uninstall-KubeRayOperator -KubeConfig $kc -Wait -PassThru -Confirm:$false
        ($gone | Where-Object Kind -EQ 'Deployment').Name | Should -Be 'kuberay-operator'
        $gone | Where-Object Kind -EQ 'CustomResourceDefinition' | Should -BeNullOrEmpty
        $op = Get-KubeRayOperator -KubeConfig $kc
        $op.Status | Should -Be 'NotInstalled'
        $op.CrdSummary | Should -Match '^rayclusters\(v1'
        (Get-RayCluster first -KubeConfig $kc).Name | Should -Be 'first'
    }

    It 'uninstall -IncludeCrds says how many custom resources go with the CRDs' {
        $null = Install-KubeRayOperator -Namespace kube-system -KubeConfig $kc
        $out = Uninstall-KubeRayOperator -IncludeCrds -Force -Confirm:$false -KubeConfig $kc -Verbose 4>&1
        ($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n" | Should -Match '2 RayClusters, 0 RayJobs and 0 RayServices'
        # CRD deletion finishes in the background (the API server first removes the custom resources): wait, bounded.
        $deadline = (Get-Date).AddSeconds(30)
        while ((Get-Date) -lt $deadline -and (Get-KubeRayOperator -KubeConfig $kc).CrdSummary -ne 'rayclusters(missing) rayjobs(missing) rayservices(missing)') {
            Start-Sleep -Milliseconds 100
        }
        (Get-KubeRayOperator -KubeConfig $kc).CrdSummary | Should -Be 'rayclusters(missing) rayjobs(missing) rayservices(missing)'
        { Get-RayCluster -KubeConfig $kc } | Should -Throw -ErrorId 'KubeRayCrdMissing,*'
    }
}

Describe 'Install-KubeRayOperator by a namespace admin' {
    BeforeAll { $script:nsAdmin = Start-RaySandbox -WithoutKubeRay }
    AfterAll { if ($nsAdmin) { $nsAdmin | Stop-RaySandbox } }

    It 'names only the cluster-scoped rights a namespace admin lacks, and writes nothing' {
        $k = $nsAdmin.KubeConfigPath
        $call = @{
            Uri = $nsAdmin.Uri.ToString().TrimEnd('/') + '/apis/rbac.authorization.k8s.io/v1/namespaces/kube-system/rolebindings'; Method = 'POST'
            Headers = @{ Authorization = "Bearer $(Get-KubeConfigToken $k)" }; SkipCertificateCheck = $true; ContentType = 'application/json'
            Body = @{
                apiVersion = 'rbac.authorization.k8s.io/v1'; kind = 'RoleBinding'; metadata = @{ name = 'viewer-admin'; namespace = 'kube-system' }
                roleRef = @{ apiGroup = 'rbac.authorization.k8s.io'; kind = 'ClusterRole'; name = 'cluster-admin' }
                subjects = @(@{ apiGroup = 'rbac.authorization.k8s.io'; kind = 'User'; name = 'viewer' })
            } | ConvertTo-Json -Depth 5
        }
        $null = Invoke-RestMethod @call
        $null = Get-RaySandbox -InputObject $nsAdmin -RequestCount -Reset
        try { Install-KubeRayOperator -Namespace kube-system -KubeConfig $k -Context rayps-sandbox-viewer; throw 'no error' }
        catch {
            $_.FullyQualifiedErrorId | Should -BeLike 'KubeRayInstallForbidden,*'
            $_.Exception.Message | Should -Match 'customresourcedefinitions\.apiextensions\.k8s\.io \(cluster-scoped\)'
            $_.Exception.Message | Should -Match 'clusterroles\.rbac\.authorization\.k8s\.io \(cluster-scoped\)'
            $_.Exception.Message | Should -Not -Match "in namespace 'kube-system'"
        }
        @(Get-RaySandbox -InputObject $nsAdmin -RequestCount -Reset | Where-Object Verb -NE 'create').Count | Should -Be 0
        (Get-KubeRayOperator -KubeConfig $k).CrdSummary | Should -Be 'rayclusters(missing) rayjobs(missing) rayservices(missing)'
    }
}

Describe 'Install-KubeRayOperator over a Helm install' {
    BeforeAll { $script:helm = Start-RaySandbox }
    AfterAll { if ($helm) { $helm | Stop-RaySandbox } }

    It 'names the Helm release and changes nothing without -Force' {
        (Get-KubeRayOperator -KubeConfig $helm.KubeConfigPath).InstalledBy | Should -Be 'Helm'
        $null = Get-RaySandbox -InputObject $helm -RequestCount -Reset
        { Install-KubeRayOperator -Namespace kube-system -KubeConfig $helm.KubeConfigPath } | Should -Throw -ErrorId 'KubeRayOperatorHelmOwned,*'
        try { Install-KubeRayOperator -Namespace kube-system -KubeConfig $helm.KubeConfigPath }
        catch { $_.Exception.Message | Should -Match "installed by Helm \(release 'kuberay-operator' in namespace 'kube-system'" }
        @(Get-RaySandbox -InputObject $helm -RequestCount -Reset | Where-Object Verb -EQ 'patch').Count | Should -Be 0
    }

    It 'takes it over with -Force' {
        $r = Install-KubeRayOperator -Namespace kube-system -KubeConfig $helm.KubeConfigPath -Force -Wait
        ($r.Objects | Where-Object Kind -EQ 'Deployment').Action | Should -Be 'Configured'
        (Get-KubeRayOperator -KubeConfig $helm.KubeConfigPath).Status | Should -Be 'Healthy'
    }
}
