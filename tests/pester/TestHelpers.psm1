# Shared helpers for the Pester suites. Every suite runs in the fresh pwsh that build.ps1 starts.

function Get-RayPSModulePath {
    if ($env:RAYPS_MODULE_PATH) { return $env:RAYPS_MODULE_PATH }
    return (Join-Path (Split-Path (Split-Path $PSScriptRoot)) 'out/RayPS/RayPS.psd1')
}

function Import-RayPSUnderTest {
    Import-Module (Get-RayPSModulePath) -Global -ErrorAction Stop
}

# A command line that starts a fresh pwsh of this version (the dotnet tool when run as `dotnet pwsh`).
function Get-PwshCommand {
    $processPath = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($processPath) -eq 'dotnet') {
        return @($processPath, [Reflection.Assembly]::GetEntryAssembly().Location)
    }
    return @($processPath)
}

# Runs a script in a brand-new pwsh and returns its output lines (stderr merged). $LASTEXITCODE is the child's.
function Invoke-FreshPwsh {
    param([Parameter(Mandatory)] [string] $Script)
    $pwsh = @(Get-PwshCommand)
    $file = Join-Path ([IO.Path]::GetTempPath()) ("rayps-test-" + [Guid]::NewGuid().ToString('N') + '.ps1')
    Set-Content -Path $file -Value $Script
    try {
        $exe = $pwsh[0]
        $rest = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $file)
        & $exe @rest 2>&1 | ForEach-Object { "$_" }
    }
    finally {
        Remove-Item $file -ErrorAction SilentlyContinue
    }
}

# Writes a kubeconfig whose only context points at $Server with $Token; returns its path.
function New-TestKubeConfig {
    param(
        [Parameter(Mandatory)] [string] $Path,
        [string] $Server = 'https://127.0.0.1:1',
        [string] $Token = 'test-token',
        [string] $Context = 'test',
        [string] $Namespace = 'default'
    )
    @"
apiVersion: v1
kind: Config
current-context: $Context
clusters:
- name: $Context-cluster
  cluster:
    server: $Server
    insecure-skip-tls-verify: true
users:
- name: $Context-user
  user:
    token: $Token
contexts:
- name: $Context
  context:
    cluster: $Context-cluster
    user: $Context-user
    namespace: $Namespace
"@ | Set-Content -Path $Path
    return $Path
}

Export-ModuleMember -Function *
