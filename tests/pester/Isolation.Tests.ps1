BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:modulePath = Get-RayPSModulePath
    $script:oldYaml = $env:RAYPS_YAMLDOTNET_OLD
    $script:kc = New-TestKubeConfig -Path (Join-Path $TestDrive 'kc') -Server 'https://127.0.0.1:1'
    # Parsing the kubeconfig (YAML, through KubernetesClient and YamlDotNet 18) proves RayPS's YAML stack works;
    # the unreachable server then answers with a known ErrorId.
    $script:useRayPS = "try { Get-RayCluster -KubeConfig '$kc' } catch { 'rayps:' + `$_.FullyQualifiedErrorId }"
    $script:useOldYaml = "'old:' + ([YamlDotNet.Serialization.DeserializerBuilder]::new().Build().Deserialize[object]('a: 1'))['a']"
}

Describe 'Dependency isolation' {
    It 'has the old YamlDotNet to test with' {
        $oldYaml | Should -Exist
    }

    It 'works when the session already holds YamlDotNet 16.3.0' {
        $out = Invoke-FreshPwsh @"
Add-Type -Path '$oldYaml'
Import-Module '$modulePath' -ErrorAction Stop
$useRayPS
$useOldYaml
[AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'YamlDotNet' } | ForEach-Object { 'yaml:' + `$_.GetName().Version.Major + ':' + [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$_).Name }
"@
        $out | Should -Contain 'rayps:KubeApiUnreachable,RayPS.Commands.GetRayClusterCommand'
        $out | Should -Contain 'old:1'
        $out | Should -Contain 'yaml:16:Default'
        $out | Should -Contain 'yaml:18:RayPS'
    }

    It 'works when RayPS loads first and YamlDotNet 16.3.0 after' {
        $out = Invoke-FreshPwsh @"
Import-Module '$modulePath' -ErrorAction Stop
$useRayPS
Add-Type -Path '$oldYaml'
$useOldYaml
$useRayPS
"@
        @($out | Where-Object { $_ -eq 'rayps:KubeApiUnreachable,RayPS.Commands.GetRayClusterCommand' }).Count | Should -Be 2
        $out | Should -Contain 'old:1'
    }

    It 'keeps KubernetesClient and Fractions out of the default context' {
        $out = Invoke-FreshPwsh @"
Import-Module '$modulePath' -ErrorAction Stop
$useRayPS
[AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -in 'KubernetesClient', 'Fractions', 'YamlDotNet', 'RayPS', 'RayPS.Client' } | ForEach-Object { 'alc:' + `$_.GetName().Name + ':' + [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$_).Name }
"@
        $alcLines = @($out | Where-Object { $_ -like 'alc:*' })
        $alcLines | Should -Contain 'alc:KubernetesClient:RayPS'
        $alcLines | Should -Contain 'alc:RayPS.Client:RayPS'
        # Only the cmdlets themselves live in the default context (PowerShell imports them from the module folder).
        $alcLines | Where-Object { $_ -like '*:Default' } | Should -Be 'alc:RayPS:Default'
    }

    It 'output types stay usable from PowerShell' {
        $out = Invoke-FreshPwsh @"
Import-Module '$modulePath' -ErrorAction Stop
'type:' + ([RayPS.RayCluster].FullName)
'prop:' + ((Get-Command Get-RayCluster).OutputType[0].Name)
"@
        $out | Should -Contain 'type:RayPS.RayCluster'
        $out | Should -Contain 'prop:RayPS.RayCluster'
    }
}
