# Get-KubeRayOperator against the sandbox, with and without KubeRay.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-RayPSUnderTest
    $script:sandbox = Start-RaySandbox
    $script:bare = Start-RaySandbox -WithoutKubeRay
}

AfterAll {
    if ($sandbox) { $sandbox | Stop-RaySandbox }
    if ($bare) { $bare | Stop-RaySandbox }
}

Describe 'Get-KubeRayOperator' {
    It 'finds the Helm-installed operator in kube-system' {
        $op = Get-KubeRayOperator -KubeConfig $sandbox.KubeConfigPath
        $op | Should -BeOfType RayPS.KubeRayOperatorInfo
        @($op).Count | Should -Be 1
        $op.Namespace | Should -Be 'kube-system'
        $op.Name | Should -Be 'kuberay-operator'
        $op.Status | Should -Be 'Healthy'
        $op.Ready | Should -Match '^\d+/\d+$'
        $op.Version | Should -Not -BeNullOrEmpty
        ($op.Crds | Where-Object Name -EQ 'rayclusters.ray.io').Installed | Should -BeTrue
        ($op.Crds | Where-Object Name -EQ 'rayclusters.ray.io').ServedVersions | Should -Contain 'v1'
        $op.CrdSummary | Should -Match 'rayclusters\(v1'
    }

    It 'searches one namespace with -Namespace' {
        @(Get-KubeRayOperator -Namespace kube-system -KubeConfig $sandbox.KubeConfigPath).Name | Should -Be 'kuberay-operator'
        $none = Get-KubeRayOperator -Namespace default -KubeConfig $sandbox.KubeConfigPath
        $none.Status | Should -Be 'NotInstalled'
        $none.Hint | Should -Match "The ray.io CRDs are installed .* in namespace 'default'"
    }

    It 'says NotInstalled with the install command, not an error, when KubeRay is absent' {
        $op = Get-KubeRayOperator -KubeConfig $bare.KubeConfigPath -ErrorVariable errs
        $errs | Should -BeNullOrEmpty
        $op.Status | Should -Be 'NotInstalled'
        $op.Hint | Should -Match '^KubeRay is not installed'
        $op.Hint | Should -Match 'helm install kuberay-operator kuberay/kuberay-operator'
        $op.CrdSummary | Should -Be 'rayclusters(missing) rayjobs(missing) rayservices(missing)'
    }

    It 'is the command KubeRayCrdMissing points to' {
        try { Get-RayCluster -KubeConfig $bare.KubeConfigPath; throw 'no error' }
        catch { $_.FullyQualifiedErrorId | Should -BeLike 'KubeRayCrdMissing,*'; $_.Exception.Message | Should -Match 'Get-KubeRayOperator' }
    }

    It 'prints a colour-free table' {
        $text = Get-KubeRayOperator -KubeConfig $sandbox.KubeConfigPath | Out-String -Width 250
        $text | Should -Match 'Name\s+Namespace\s+Ready\s+Version\s+Status\s+Hint'
        $text | Should -Not -Match "`e\["
    }

    It 'a user without cluster-wide rights gets KubeApiForbidden suggesting -Namespace' {
        { Get-KubeRayOperator -KubeConfig $sandbox.KubeConfigPath -Context rayps-sandbox-viewer } | Should -Throw -ErrorId 'KubeApiForbidden,*'
        try { Get-KubeRayOperator -KubeConfig $sandbox.KubeConfigPath -Context rayps-sandbox-viewer } catch { $_.Exception.Message | Should -Match '-Namespace' }
    }
}
