BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:modulePath = Get-RayPSModulePath
    $script:moduleBase = Split-Path $modulePath
    $script:sandbox = Start-TestSandbox
    $script:kc = $sandbox.KubeConfigPath
    $null = New-RayCluster -Name startup -WorkerReplicas 0 -KubeConfig $kc -Wait -TimeoutSec 120
    # This process's platform as the package names its ReadyToRun folders (see RayPSLoadContext.PlatformName).
    $os = if ($IsWindows) { 'win' } elseif ($IsMacOS) { 'osx' } else { 'linux' }
    $script:platform = "$os-$([Runtime.InteropServices.RuntimeInformation]::ProcessArchitecture.ToString().ToLowerInvariant())"
    # Lines the child prints: where each module assembly loaded from, which precompiled folder the loader chose, and
    # the RayClusters the first call found.
    $script:probe = @"
Import-Module '$modulePath' -ErrorAction Stop
'heavy:' + ((@([AppDomain]::CurrentDomain.GetAssemblies() | ForEach-Object { `$_.GetName().Name } | Where-Object { `$_ -in 'KubernetesClient', 'YamlDotNet', 'RayPS.Sandbox', 'Fractions' }) | Sort-Object) -join ',')
'r2r:' + [RayPS.Loader.RayPSLoadContext]::ReadyToRunDirectory
Get-RayCluster -KubeConfig '$kc' | ForEach-Object { 'cluster:' + `$_.Name + ':' + `$_.GetType().FullName }
[AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -in 'RayPS', 'RayPS.Client', 'KubernetesClient', 'YamlDotNet' } | ForEach-Object { 'from:' + `$_.GetName().Name + ':' + `$_.Location }
"@
}

AfterAll {
    if ($sandbox) { Stop-TestSandbox $sandbox }
}

Describe 'Import loads only what the first cmdlet needs' {
    It 'loads neither KubernetesClient, YamlDotNet, Fractions nor the sandbox at import; the first call loads what it uses' {
        $out = Invoke-FreshPwsh $probe
        $out | Should -Contain 'heavy:'
        $out | Should -Contain 'cluster:startup:RayPS.RayCluster'
        @($out | Where-Object { $_ -like 'from:KubernetesClient:*' }).Count | Should -Be 1
    }

    It 'lists at build time exactly the public output types a reflection sweep finds, and registers each as an accelerator' {
        $listed = @(Get-Content (Join-Path $moduleBase 'RayPS.Types.txt'))
        $out = Invoke-FreshPwsh @"
Import-Module '$modulePath' -ErrorAction Stop
[RayPS.Loader.RayPSLoadContext]::ListPublicTypes() | ForEach-Object { 'swept:' + `$_ }
`$accelerators = [psobject].Assembly.GetType('System.Management.Automation.TypeAccelerators')::Get
[RayPS.Loader.RayPSLoadContext]::ListPublicTypes() | ForEach-Object { `$name = (`$_ -split ' ')[1]; 'accelerator:' + `$name + ':' + (`$accelerators[`$name].FullName -eq `$name) }
"@
        $swept = @($out | Where-Object { $_ -like 'swept:*' } | ForEach-Object { $_.Substring(6) })
        $swept.Count | Should -BeGreaterThan 10
        $listed | Should -Be $swept
        $listed | Should -Contain 'RayPS.Client RayPS.RayCluster'
        @($out | Where-Object { $_ -like 'accelerator:*:True' }).Count | Should -Be $swept.Count
    }
}

Describe 'ReadyToRun images with the IL assemblies as fallback' {
    It 'loads the module from the images for this platform when the package has them, else from lib' {
        $out = Invoke-FreshPwsh $probe
        $imageFolder = Join-Path $moduleBase "lib/r2r/$platform"
        $expected = if ((Test-Path (Join-Path $imageFolder 'runtime.txt')) -and [Environment]::Version.Major -eq [int] (Get-Content (Join-Path $imageFolder 'runtime.txt'))) { $imageFolder } else { Join-Path $moduleBase 'lib' }
        $out | Should -Contain ('r2r:' + $(if ($expected -eq $imageFolder) { $imageFolder } else { '' }))
        foreach ($name in 'RayPS.Client', 'KubernetesClient', 'YamlDotNet') {
            # An assembly without an image in the folder (KubernetesClient: not worth its size) comes from lib.
            $from = if (Test-Path (Join-Path $expected "$name.dll")) { $expected } else { Join-Path $moduleBase 'lib' }
            $out | Should -Contain "from:${name}:$(Join-Path $from "$name.dll")"
        }
        if ($expected -eq $imageFolder) { $out | Should -Contain "from:RayPS.Client:$(Join-Path $imageFolder 'RayPS.Client.dll')" }
        # The cmdlets are one IL assembly in the module folder on every platform.
        $out | Should -Contain "from:RayPS:$(Join-Path $moduleBase 'RayPS.dll')"
        $out | Should -Contain 'cluster:startup:RayPS.RayCluster'
    }

    It 'runs the IL build when the package has no image for the platform (images removed)' {
        $copy = Join-Path $TestDrive 'il/RayPS'
        $null = New-Item -ItemType Directory (Split-Path $copy)
        Copy-Item $moduleBase $copy -Recurse
        Remove-Item (Join-Path $copy 'lib/r2r') -Recurse -Force -ErrorAction SilentlyContinue
        $out = Invoke-FreshPwsh ($probe.Replace($moduleBase, $copy))
        $out | Should -Contain 'r2r:'
        $out | Should -Contain 'heavy:'
        $out | Should -Contain "from:RayPS.Client:$(Join-Path $copy 'lib/RayPS.Client.dll')"
        $out | Should -Contain "from:KubernetesClient:$(Join-Path $copy 'lib/KubernetesClient.dll')"
        $out | Should -Contain 'cluster:startup:RayPS.RayCluster'
    }

    It 'runs the IL assemblies when RAYPS_READYTORUN=0' {
        $out = Invoke-FreshPwsh ("`$env:RAYPS_READYTORUN = '0'`n" + $probe)
        $out | Should -Contain 'r2r:'
        $out | Should -Contain "from:RayPS.Client:$(Join-Path $moduleBase 'lib/RayPS.Client.dll')"
        $out | Should -Contain 'cluster:startup:RayPS.RayCluster'
    }

    It 'falls back to the IL assemblies when this platform''s folder holds images the runtime refuses (compiled for another platform)' {
        $copy = Join-Path $TestDrive 'foreign/RayPS'
        $null = New-Item -ItemType Directory (Split-Path $copy)
        Copy-Item $moduleBase $copy -Recurse
        # Package builds carry other platforms' images; a plain Build has none, so make one: an image for another
        # architecture than this process's (BadImageFormat here), from this platform's own IL with its PE header changed.
        $foreign = @(Get-ChildItem (Join-Path $copy 'lib/r2r') -Directory -ErrorAction SilentlyContinue | Where-Object { $_.Name -ne $platform -and $_.Name.Split('-')[1] -ne $platform.Split('-')[1] } | Select-Object -First 1)
        $imageFolder = Join-Path $copy "lib/r2r/$platform"
        Remove-Item $imageFolder -Recurse -Force -ErrorAction SilentlyContinue
        if ($foreign) {
            Copy-Item $foreign[0].FullName $imageFolder -Recurse
        }
        else {
            $null = New-Item -ItemType Directory $imageFolder -Force
            foreach ($dll in Get-ChildItem (Join-Path $copy 'lib') -Filter *.dll) {
                $bytes = [IO.File]::ReadAllBytes($dll.FullName)
                $pe = [BitConverter]::ToInt32($bytes, 0x3C)
                $machine = if ([BitConverter]::ToUInt16($bytes, $pe + 4) -eq 0xAA64) { 0x8664 } else { 0xAA64 }
                [BitConverter]::GetBytes([uint16] $machine).CopyTo($bytes, $pe + 4)
                [IO.File]::WriteAllBytes((Join-Path $imageFolder $dll.Name), $bytes)
            }
            Set-Content (Join-Path $imageFolder 'runtime.txt') ([Environment]::Version.Major)
        }
        $out = Invoke-FreshPwsh ($probe.Replace($moduleBase, $copy))
        $out | Should -Contain 'r2r:'
        $out | Should -Contain "from:RayPS.Client:$(Join-Path $copy 'lib/RayPS.Client.dll')"
        $out | Should -Contain "from:KubernetesClient:$(Join-Path $copy 'lib/KubernetesClient.dll')"
        $out | Should -Contain 'cluster:startup:RayPS.RayCluster'
    }

    It 'runs the IL assemblies when the images were compiled for another .NET major version' {
        $copy = Join-Path $TestDrive 'other-runtime/RayPS'
        $null = New-Item -ItemType Directory (Split-Path $copy)
        Copy-Item $moduleBase $copy -Recurse
        $imageFolder = Join-Path $copy "lib/r2r/$platform"
        $null = New-Item -ItemType Directory $imageFolder -Force
        Copy-Item (Join-Path $copy 'lib/*.dll') $imageFolder
        Set-Content (Join-Path $imageFolder 'runtime.txt') ([Environment]::Version.Major + 1)
        $out = Invoke-FreshPwsh ($probe.Replace($moduleBase, $copy))
        $out | Should -Contain 'r2r:'
        $out | Should -Contain "from:RayPS.Client:$(Join-Path $copy 'lib/RayPS.Client.dll')"
        $out | Should -Contain 'cluster:startup:RayPS.RayCluster'
    }
}

Describe 'Two load contexts: the cmdlets in the default one, their dependencies in the module''s own' {
    It 'loads RayPS.dll once in the default context and RayPS.Client, KubernetesClient and YamlDotNet once each in the RayPS context' {
        $out = Invoke-FreshPwsh @"
Import-Module '$modulePath' -ErrorAction Stop
`$null = Get-RayCluster -KubeConfig '$kc'
[AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -in 'RayPS', 'RayPS.Loader', 'RayPS.Client', 'KubernetesClient', 'YamlDotNet' } |
    Group-Object { `$_.GetName().Name } | Sort-Object Name |
    ForEach-Object { 'context:' + `$_.Name + ':' + `$_.Count + ':' + [Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$_.Group[0]).Name }
"@
        $LASTEXITCODE | Should -Be 0
        $out | Should -Contain 'context:RayPS:1:Default'
        $out | Should -Contain 'context:RayPS.Loader:1:Default'
        $out | Should -Contain 'context:RayPS.Client:1:RayPS'
        $out | Should -Contain 'context:KubernetesClient:1:RayPS'
        $out | Should -Contain 'context:YamlDotNet:1:RayPS'
    }

    It 'hands the default context exactly the lib assemblies RayPS.dll references, and no other module its YamlDotNet' {
        $libNames = @(Get-ChildItem (Join-Path $moduleBase 'lib') -Filter *.dll | ForEach-Object BaseName)
        $out = Invoke-FreshPwsh @"
Import-Module '$modulePath' -ErrorAction Stop
`$null = Get-RayCluster -KubeConfig '$kc'
'served:' + ((@([RayPS.Loader.RayPSLoadContext]::DefaultContextDependencies) | Sort-Object) -join ',')
'references:' + ((@((Get-Module RayPS).NestedModules.Where({ `$_.Name -eq 'RayPS' })[0].ImplementingAssembly.GetReferencedAssemblies().Name) | Sort-Object) -join ',')
try { `$null = [Reflection.Assembly]::Load('YamlDotNet'); 'yaml:served' } catch [IO.FileNotFoundException] { 'yaml:not found' }
"@
        $LASTEXITCODE | Should -Be 0
        $served = ($out | Where-Object { $_ -like 'served:*' }) -replace '^served:' -split ','
        $referencedFromLib = @((($out | Where-Object { $_ -like 'references:*' }) -replace '^references:' -split ',') | Where-Object { $_ -in $libNames })
        $served | Should -Be @($referencedFromLib | Sort-Object)
        $served | Should -Contain 'RayPS.Client'
        $out | Should -Contain 'yaml:not found'
    }
}
