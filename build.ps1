#requires -Version 7.4
<#
.SYNOPSIS
    Builds, tests, packages, demonstrates and benchmarks RayPS.
.DESCRIPTION
    Run as `dotnet pwsh ./build.ps1 <Task>` after `dotnet tool restore`. Tasks:
      Build    stage the importable module at out/RayPS (IL; -ReadyToRun adds precompiled images, see below)
      Test     Build + xunit + Pester (fresh pwsh); prints "N passed, N failed"
      Package  Build -ReadyToRun + a .nupkg in out/packages via PSResourceGet, installed and imported by name
               (with and without its ReadyToRun images); prints the package size
      Demo     the seed workflow (docs/ray-on-kubernetes) on a local sandbox
      Bench    Build -ReadyToRun + benchmarks, written to docs/benchmarks.md
    ReadyToRun: lib/ always holds the IL assemblies (net8.0, every platform PowerShell 7.4+ runs on); lib/r2r/<platform>/
    adds ReadyToRun images of the same assemblies compiled by Crossgen2 for the runtime this SDK carries (.NET 10, as in
    PowerShell 7.6), which the loader prefers on that platform and runtime. Compiled images are cached in out/r2r-cache.
      Clean    remove out/ and build outputs
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('Build', 'Test', 'Package', 'Demo', 'Bench', 'Clean', 'Help')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Pester only: a filter on test names (Pester's -FullName wildcard).
    [string] $PesterFilter,

    # Bench only: which tests/bench/<name>.Bench.ps1 to run (wildcard); their sections replace the same ones in docs/benchmarks.md.
    [string] $BenchFilter = '*',

    # Package only: Authenticode-sign the module's files with the publisher's code-signing certificate before packaging
    # (see docs/signing.md): a .pfx path (password in $env:RAYPS_SIGNING_PASSWORD) or a thumbprint in Cert:\CurrentUser\My.
    [string] $SigningCertificate,

    # Package only, with -SigningCertificate: the RFC 3161 timestamp server that keeps signatures valid after the certificate expires.
    [string] $TimestampServer = 'http://timestamp.digicert.com',

    # Build only: also stage ReadyToRun images (Package and Bench always do).
    [switch] $ReadyToRun,

    # The platforms that get ReadyToRun images (runtime identifiers, as RayPSLoadContext.PlatformName names them; musl
    # Linux shares linux-*); others (win-arm64, win-x86, linux-arm, ...) run the IL assemblies.
    [string[]] $ReadyToRunPlatform = @('linux-x64', 'linux-arm64', 'win-x64', 'osx-arm64', 'osx-x64')
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$Root = $PSScriptRoot
$Out = Join-Path $Root 'out'
$ModuleOut = Join-Path $Out 'RayPS'
$LibOut = Join-Path $ModuleOut 'lib'
$ResultsDir = Join-Path $Out 'test-results'

# The cmdlets (RayPS.dll) sit in the module folder and load in the default context; these load in the module's private
# AssemblyLoadContext from lib/.
$LibAssemblies = @('RayPS.Client', 'RayPS.Sandbox', 'KubernetesClient', 'YamlDotNet', 'Fractions')
# Those that get ReadyToRun images. KubernetesClient's image (26 MB, 5.5 MB compressed per platform) saved ~14 ms of a first
# Get-RayCluster, which uses little of it (docs/benchmarks.md, 05-FirstCall); Fractions serves only KubernetesClient. Both
# load as IL from lib/, next to the images of the rest (each image stands alone, so the mix is fine). RayPS.dll stays IL
# too: PowerShell loads it from one path on every platform (about 10 ms of a first call, within the bench's noise).
$ReadyToRunAssemblies = @('RayPS.Client', 'RayPS.Sandbox', 'YamlDotNet')

function Write-Step([string] $Text) { Write-Host "==> $Text" -ForegroundColor Cyan }

function Invoke-Native {
    param([string] $Command, [string[]] $Arguments)
    & $Command @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$Command $($Arguments -join ' ') failed with exit code $LASTEXITCODE" }
}

# A command line that starts a fresh pwsh of the same version as this one (the dotnet tool when run as `dotnet pwsh`).
function Get-PwshCommand {
    $processPath = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($processPath) -eq 'dotnet') {
        return @($processPath, [Reflection.Assembly]::GetEntryAssembly().Location)
    }
    return @($processPath)
}

function Invoke-FreshPwsh {
    param([string[]] $Arguments)
    $pwsh = Get-PwshCommand
    $exe = $pwsh[0]
    $rest = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive') + $Arguments
    & $exe @rest | Out-Host
    return $LASTEXITCODE
}

function Get-NuGetPackagesRoot {
    if ($env:NUGET_PACKAGES) { return $env:NUGET_PACKAGES }
    $line = & dotnet nuget locals global-packages --list
    return ($line -replace '^global-packages:\s*', '').Trim()
}

function Invoke-Build {
    Write-Step "dotnet build ($Configuration)"
    Invoke-Native dotnet @('build', (Join-Path $Root 'src/RayPS/RayPS.csproj'), '-c', $Configuration, '--nologo', '-v', 'q', '-clp:ErrorsOnly')
    Invoke-Native dotnet @('build', (Join-Path $Root 'src/RayPS.Loader/RayPS.Loader.csproj'), '-c', $Configuration, '--nologo', '-v', 'q', '-clp:ErrorsOnly')

    Write-Step "stage module at $ModuleOut"
    if (Test-Path $ModuleOut) { Remove-Item $ModuleOut -Recurse -Force }
    $null = New-Item -ItemType Directory -Path $LibOut -Force
    $bin = Join-Path $Root "src/RayPS/bin/$Configuration/net8.0"
    foreach ($name in $LibAssemblies) {
        Copy-Item (Join-Path $bin "$name.dll") $LibOut
    }
    Copy-Item (Join-Path $bin 'RayPS.dll') $ModuleOut
    Copy-Item (Join-Path $Root "src/RayPS.Loader/bin/$Configuration/net8.0/RayPS.Loader.dll") $ModuleOut
    Copy-Item (Join-Path $Root 'RayPS.psd1') $ModuleOut
    Copy-Item (Join-Path $Root 'module/*.ps1xml') $ModuleOut
    Copy-Item (Join-Path $Root 'LICENSE') $ModuleOut
    Copy-Item (Join-Path $Root 'THIRD-PARTY-NOTICES.md') $ModuleOut

    Write-Step 'list the public output types (type accelerators, read at import instead of a reflection sweep)'
    $loaderDll = Join-Path $ModuleOut 'RayPS.Loader.dll'
    $typesFile = Join-Path $ModuleOut 'RayPS.Types.txt'
    $listTypes = "`$l = [Reflection.Assembly]::LoadFrom('$loaderDll').GetType('RayPS.Loader.RayPSLoadContext', `$true); `$env:RAYPS_READYTORUN = '0'; " +
        "`$l::Initialize('$ModuleOut'); `$l::ListPublicTypes() | Set-Content -LiteralPath '$typesFile'"
    $code = Invoke-FreshPwsh @('-Command', $listTypes)
    if ($code -ne 0 -or -not (Test-Path $typesFile) -or -not (Get-Content $typesFile)) { throw 'listing the public types failed' }

    if ($ReadyToRun) { Invoke-ReadyToRun }

    Write-Step 'generate help (MAML) from docs/cmdlets'
    $code = Invoke-FreshPwsh @('-File', (Join-Path $Root 'module/tools/New-MamlHelp.ps1'), '-ModulePath', (Join-Path $ModuleOut 'RayPS.psd1'), '-DocsPath', (Join-Path $Root 'docs/cmdlets'), '-OutputPath', (Join-Path $ModuleOut 'en-US/RayPS.dll-Help.xml'))
    if ($code -ne 0) { throw 'help generation failed' }
    Copy-Item (Join-Path $Root 'module/en-US/*.help.txt') (Join-Path $ModuleOut 'en-US')
}

# ReadyToRun images of $ReadyToRunAssemblies for each of $ReadyToRunPlatform in lib/r2r/<platform>/, with runtime.txt naming
# the .NET major version they were compiled for (the loader uses them only there). Cached by input hash in out/r2r-cache.
# Restores Crossgen2 for this SDK's runtime and the runtime packs of $Platforms and of this machine; returns where they are.
function Get-Crossgen2([string[]] $Platforms) {
    $hostRid = (& dotnet msbuild (Join-Path $Root 'build/Crossgen2.proj') -getProperty:NETCoreSdkRuntimeIdentifier).Trim()
    $Platforms = @(@($Platforms) + $hostRid | Select-Object -Unique)
    $version = (& dotnet msbuild (Join-Path $Root 'build/Crossgen2.proj') -getProperty:BundledNETCoreAppPackageVersion).Trim()
    Write-Step "restore Crossgen2 $version ($hostRid) and runtime packs for $($Platforms -join ', ')"
    Invoke-Native dotnet @('restore', (Join-Path $Root 'build/Crossgen2.proj'), "-p:HostRid=$hostRid", "-p:TargetRids=$($Platforms -join '%3B')", '--nologo', '-v', 'q')
    $packages = Get-NuGetPackagesRoot
    $crossgen = Join-Path $packages "microsoft.netcore.app.crossgen2.$hostRid/$version/tools/crossgen2"
    if ($IsWindows) { $crossgen += '.exe' }
    [pscustomobject]@{ Path = $crossgen; Version = $version; HostRid = $hostRid; Packages = $packages }
}

function Invoke-ReadyToRun {
    $tool = Get-Crossgen2 $ReadyToRunPlatform
    $crossgen = $tool.Path; $version = $tool.Version; $packages = $tool.Packages
    $major = ([version] $version).Major
    foreach ($platform in $ReadyToRunPlatform) {
        $os, $arch = $platform -split '-', 2
        $framework = Join-Path $packages "microsoft.netcore.app.runtime.$platform/$version/runtimes/$platform/lib/net$major.0"
        $target = Join-Path $LibOut "r2r/$platform"
        $cache = Join-Path $Out "r2r-cache/$platform"
        $null = New-Item -ItemType Directory -Path $target, $cache -Force
        foreach ($name in $ReadyToRunAssemblies) {
            $source = Join-Path $LibOut "$name.dll"
            $hash = (Get-FileHash $source -Algorithm SHA256).Hash.Substring(0, 16)
            $cached = Join-Path $cache "$name.$version.$hash.dll"
            if (-not (Test-Path $cached)) {
                Write-Step "crossgen2 $name ($platform)"
                Get-ChildItem $cache -Filter "$name.*.dll" | Remove-Item
                # A response file: pwsh would expand the reference wildcards on a native command line.
                $response = Join-Path $cache "$name.rsp"
                Set-Content -Path $response -Value @($source, '-o', $cached, '-r', (Join-Path $framework '*.dll'), '-r', (Join-Path $LibOut '*.dll'),
                    "--targetos:$(@{ win = 'windows'; osx = 'osx'; linux = 'linux' }[$os])", "--targetarch:$arch", '-O')
                Invoke-Native $crossgen @("@$response")
            }
            Copy-Item $cached (Join-Path $target "$name.dll")
        }
        Set-Content -Path (Join-Path $target 'runtime.txt') -Value $major
    }
}

# Bench only: a copy of this pwsh (the dotnet tool, whose assemblies are IL only) with its assemblies compiled by Crossgen2
# for this machine, as PowerShell's own installers ship them, so the bench can also measure on a pwsh like the one users run.
# Cached in out/pwsh-r2r/<version>; returns the path of its pwsh.dll.
function Invoke-ReadyToRunPwsh {
    $source = Split-Path ([psobject].Assembly.Location)
    $target = Join-Path $Out "pwsh-r2r/$($PSVersionTable.PSVersion)"
    $done = Join-Path $target '.complete'
    if (-not (Test-Path $done)) {
        $tool = Get-Crossgen2 @()
        $major = ([version] $tool.Version).Major
        $framework = Join-Path $tool.Packages "microsoft.netcore.app.runtime.$($tool.HostRid)/$($tool.Version)/runtimes/$($tool.HostRid)/lib/net$major.0"
        if (Test-Path $target) { Remove-Item $target -Recurse -Force }
        $null = New-Item -ItemType Directory $target -Force
        Copy-Item (Join-Path $source '*') $target -Recurse
        $os, $arch = $tool.HostRid -split '-', 2
        Write-Step "crossgen2 pwsh $($PSVersionTable.PSVersion) ($($tool.HostRid)): $((Get-ChildItem $source -Filter *.dll).Count) assemblies"
        foreach ($dll in Get-ChildItem $source -Filter *.dll) {
            $response = Join-Path $target "$($dll.BaseName).rsp"
            Set-Content -Path $response -Value @($dll.FullName, '-o', (Join-Path $target $dll.Name), '-r', (Join-Path $framework '*.dll'), '-r', (Join-Path $source '*.dll'),
                "--targetos:$(@{ win = 'windows'; osx = 'osx'; linux = 'linux' }[$os])", "--targetarch:$arch", '-O')
            # An assembly Crossgen2 cannot compile (a reference assembly, a resource-only one) stays IL, as in the installers.
            $null = & $tool.Path "@$response" 2>&1
            Remove-Item $response
        }
        Set-Content $done ''
    }
    Join-Path $target 'pwsh.dll'
}

function Get-TrxCounts([string] $Directory) {
    $passed = 0; $failed = 0
    foreach ($file in Get-ChildItem $Directory -Filter *.trx -Recurse -ErrorAction SilentlyContinue) {
        [xml] $trx = Get-Content $file.FullName -Raw
        $counters = $trx.TestRun.ResultSummary.Counters
        $passed += [int] $counters.passed
        $failed += [int] $counters.failed + [int] $counters.error + [int] $counters.timeout + [int] $counters.aborted
    }
    return [pscustomobject]@{ Passed = $passed; Failed = $failed }
}

function Invoke-Test {
    Invoke-Build
    if (Test-Path $ResultsDir) { Remove-Item $ResultsDir -Recurse -Force }
    $null = New-Item -ItemType Directory -Path $ResultsDir -Force

    Write-Step 'restore test tools (Pester 6.2.0, YamlDotNet 16.3.0)'
    Invoke-Native dotnet @('restore', (Join-Path $Root 'tests/tools/TestTools.proj'), '--nologo', '-v', 'q')
    $packages = Get-NuGetPackagesRoot

    $failures = @()
    Write-Step 'xunit'
    foreach ($project in Get-ChildItem (Join-Path $Root 'tests') -Filter *.Tests.csproj -Recurse) {
        & dotnet test $project.FullName -c $Configuration --nologo -v q --logger 'trx' --logger 'console;verbosity=minimal' --results-directory (Join-Path $ResultsDir $project.BaseName)
        if ($LASTEXITCODE -ne 0) { $failures += $project.BaseName }
    }
    $xunit = Get-TrxCounts $ResultsDir

    Write-Step 'Pester (fresh pwsh)'
    $env:RAYPS_MODULE_PATH = Join-Path $ModuleOut 'RayPS.psd1'
    $env:RAYPS_YAMLDOTNET_OLD = Join-Path $packages 'yamldotnet/16.3.0/lib/net8.0/YamlDotNet.dll'
    $env:RAYPS_REPO_ROOT = $Root
    $pesterJson = Join-Path $ResultsDir 'pester.json'
    $pesterArgs = @('-File', (Join-Path $Root 'tests/pester/Invoke-Tests.ps1'), '-PesterPath', (Join-Path $packages 'pester/6.2.0/tools/Pester.psd1'), '-ResultPath', $pesterJson)
    if ($PesterFilter) { $pesterArgs += @('-Filter', $PesterFilter) }
    $code = Invoke-FreshPwsh $pesterArgs
    $pester = if (Test-Path $pesterJson) { Get-Content $pesterJson -Raw | ConvertFrom-Json } else { [pscustomobject]@{ Passed = 0; Failed = 1 } }
    if ($code -ne 0 -and $pester.Failed -eq 0) { $failures += 'Pester (runner)' }

    $passed = $xunit.Passed + $pester.Passed
    $failed = $xunit.Failed + $pester.Failed
    if ($failures.Count -gt 0 -and $failed -eq 0) { $failed = $failures.Count }
    Write-Host "xunit: $($xunit.Passed) passed, $($xunit.Failed) failed; Pester: $($pester.Passed) passed, $($pester.Failed) failed"
    Write-Output "$passed passed, $failed failed"
    if ($failed -gt 0) { exit 1 }
}

# Signs every file PowerShell's execution policy checks (manifest, script module, format file) and the module's own
# assemblies, then verifies each signature; AllSigned machines refuse an unsigned module.
function Invoke-Sign {
    if (-not (Get-Command Set-AuthenticodeSignature -ErrorAction SilentlyContinue)) {
        throw "Signing needs Set-AuthenticodeSignature, which PowerShell has on Windows only. Run 'build.ps1 Package -SigningCertificate ...' on Windows (see docs/signing.md)."
    }
    $certificate = if (Test-Path -LiteralPath $SigningCertificate -PathType Leaf) {
        $password = if ($env:RAYPS_SIGNING_PASSWORD) { ConvertTo-SecureString $env:RAYPS_SIGNING_PASSWORD -AsPlainText -Force } else { $null }
        if ($password) { Get-PfxCertificate -FilePath $SigningCertificate -Password $password } else { Get-PfxCertificate -FilePath $SigningCertificate }
    }
    else {
        Get-Item -LiteralPath "Cert:\CurrentUser\My\$SigningCertificate" -ErrorAction Stop
    }
    if (-not $certificate.HasPrivateKey) { throw "The signing certificate '$($certificate.Subject)' has no private key." }
    $files = @(Get-ChildItem $ModuleOut -Recurse -File -Include *.psd1, *.ps1, *.ps1xml) +
        @(Get-ChildItem $ModuleOut -Recurse -File -Include 'RayPS*.dll')
    Write-Step "sign $($files.Count) files as '$($certificate.Subject)'"
    foreach ($file in $files) {
        $signArgs = @{ FilePath = $file.FullName; Certificate = $certificate; HashAlgorithm = 'SHA256' }
        if ($TimestampServer) { $signArgs.TimestampServer = $TimestampServer }
        $null = Set-AuthenticodeSignature @signArgs
        $status = (Get-AuthenticodeSignature -FilePath $file.FullName).Status
        if ($status -ne 'Valid') { throw "The signature of $($file.FullName) is $status (is the certificate trusted on this machine?)." }
    }
}

function Invoke-Package {
    $script:ReadyToRun = $true
    Invoke-Build
    if ($SigningCertificate) { Invoke-Sign }
    $repoDir = Join-Path $Out 'packages'
    if (Test-Path $repoDir) { Remove-Item $repoDir -Recurse -Force }
    $null = New-Item -ItemType Directory -Path $repoDir -Force
    $repoName = 'RayPSLocal' + [Guid]::NewGuid().ToString('N').Substring(0, 8)

    Write-Step "publish to local repository $repoDir"
    Register-PSResourceRepository -Name $repoName -Uri $repoDir -Trusted
    try {
        Publish-PSResource -Path $ModuleOut -Repository $repoName
        $nupkg = Get-ChildItem $repoDir -Filter 'RayPS.*.nupkg' | Select-Object -First 1
        if (-not $nupkg) { throw 'Publish-PSResource produced no package' }
        Write-Host "package: $($nupkg.FullName)"

        Write-Step 'install from the repository and import by name (as a gallery user)'
        $installRoot = Join-Path ([IO.Path]::GetTempPath()) ('rayps-install-' + [Guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory -Path $installRoot
        Save-PSResource -Name RayPS -Repository $repoName -Path $installRoot -TrustRepository
        $check = "`$env:PSModulePath = '$installRoot' + [IO.Path]::PathSeparator + `$env:PSModulePath; Import-Module RayPS -ErrorAction Stop; `$m = Get-Module RayPS; " +
            "`$null = Get-RayCluster -KubeConfig (Start-RaySandbox).KubeConfigPath; " +
            "'imported RayPS ' + `$m.Version + ' from ' + `$m.ModuleBase + ' with ' + @(`$m.ExportedCmdlets.Keys).Count + ' cmdlets, assemblies from ' + [IO.Path]::GetDirectoryName([RayPS.RayCluster].Assembly.Location)"
        $code = Invoke-FreshPwsh @('-Command', $check)
        if ($code -eq 0) {
            Write-Step 'the same with the IL assemblies (RAYPS_READYTORUN=0, as on a platform without ReadyToRun images)'
            $env:RAYPS_READYTORUN = '0'
            try { $code = Invoke-FreshPwsh @('-Command', $check) } finally { Remove-Item Env:RAYPS_READYTORUN }
        }
        Remove-Item $installRoot -Recurse -Force
        if ($code -ne 0) { throw 'the installed package did not import' }

        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [IO.Compression.ZipFile]::OpenRead($nupkg.FullName)
        try {
            $images = @($zip.Entries | Where-Object FullName -Match '^lib/r2r/') | Group-Object { $_.FullName.Split('/')[2] }
            Write-Host ('package size: {0:N1} MB; ReadyToRun images: {1}' -f ($nupkg.Length / 1MB),
                $(if ($images) { ($images | ForEach-Object { '{0} {1:N1} MB compressed' -f $_.Name, (($_.Group | Measure-Object CompressedLength -Sum).Sum / 1MB) }) -join ', ' } else { 'none' }))
        }
        finally { $zip.Dispose() }
    }
    finally {
        Unregister-PSResourceRepository -Name $repoName
    }
}

function Invoke-Clean {
    foreach ($dir in @($Out) + @(Get-ChildItem (Join-Path $Root 'src'), (Join-Path $Root 'tests') -Directory -Recurse -Include bin, obj | ForEach-Object FullName)) {
        if (Test-Path $dir) { Remove-Item $dir -Recurse -Force }
    }
}

switch ($Task) {
    'Build' { Invoke-Build }
    'Test' { Invoke-Test }
    'Package' { Invoke-Package }
    'Demo' {
        Invoke-Build
        $code = Invoke-FreshPwsh @('-File', (Join-Path $Root 'docs/demo.ps1'), '-ModulePath', (Join-Path $ModuleOut 'RayPS.psd1'))
        if ($code -ne 0) { exit $code }
    }
    'Bench' {
        $ReadyToRun = $true
        Invoke-Build
        # Through the environment: pwsh on Unix would expand a bare wildcard argument to file names.
        $env:RAYPS_BENCH_FILTER = $BenchFilter
        if ('05-FirstCall' -like $BenchFilter -and [IO.Path]::GetFileNameWithoutExtension([Environment]::ProcessPath) -eq 'dotnet') {
            $env:RAYPS_BENCH_R2R_PWSH = Invoke-ReadyToRunPwsh
        }
        $code = Invoke-FreshPwsh @('-File', (Join-Path $Root 'tests/bench/Invoke-Benchmarks.ps1'), '-ModulePath', (Join-Path $ModuleOut 'RayPS.psd1'), '-OutputPath', (Join-Path $Root 'docs/benchmarks.md'))
        if ($code -ne 0) { exit $code }
    }
    'Clean' { Invoke-Clean }
    'Help' { Get-Help $PSCommandPath -Detailed }
}
