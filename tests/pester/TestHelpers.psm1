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

# Runs a script in a brand-new pwsh and returns its output lines, stdout then stderr. $LASTEXITCODE is the child's.
# The child has no console input, so a prompt fails at once; one still running after -TimeoutSec is killed and this throws.
function Invoke-FreshPwsh {
    param([Parameter(Mandatory)] [string] $Script, [int] $TimeoutSec = 300)
    $pwsh = @(Get-PwshCommand)
    $file = Join-Path ([IO.Path]::GetTempPath()) ("rayps-test-" + [Guid]::NewGuid().ToString('N') + '.ps1')
    Set-Content -Path $file -Value $Script
    try {
        $start = [Diagnostics.ProcessStartInfo]::new($pwsh[0])
        foreach ($argument in @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $file)) { $start.ArgumentList.Add($argument) }
        $start.UseShellExecute = $false
        $start.RedirectStandardInput = $true
        $start.RedirectStandardOutput = $true
        $start.RedirectStandardError = $true
        $process = [Diagnostics.Process]::Start($start)
        try {
            $process.StandardInput.Close()
            $stdout = $process.StandardOutput.ReadToEndAsync()
            $stderr = $process.StandardError.ReadToEndAsync()
            if (-not $process.WaitForExit($TimeoutSec * 1000)) {
                $process.Kill($true)
                throw "The fresh pwsh did not finish within $TimeoutSec s."
            }
            $process.WaitForExit()
            $global:LASTEXITCODE = $process.ExitCode
            ($stdout.Result + $stderr.Result) -split '\r?\n' | Where-Object { $_ }
        }
        finally {
            $process.Dispose()
        }
    }
    finally {
        Remove-Item $file -ErrorAction SilentlyContinue
    }
}

# Imports RayPS, starts a sandbox and points $env:KUBECONFIG at it until Stop-TestSandbox; returns the sandbox.
function Start-TestSandbox {
    Import-RayPSUnderTest
    $script:savedKubeConfig = $env:KUBECONFIG
    $script:testSandbox = Start-RaySandbox
    $env:KUBECONFIG = $script:testSandbox.KubeConfigPath
    return $script:testSandbox
}

function Stop-TestSandbox {
    param([Parameter(Mandatory)] $Sandbox)
    Stop-RaySandbox $Sandbox
    $env:KUBECONFIG = $script:savedKubeConfig
}

# The requests the sandbox of Start-TestSandbox served since the last call, and how many they were.
function Get-NewRequests { @(Get-RaySandbox -InputObject $script:testSandbox -RequestCount -Reset) }

function Get-NewRequestTotal { [int] (Get-NewRequests | Measure-Object Count -Sum).Sum }

# The bearer token of a kubeconfig user (default: the first one, the sandbox's admin).
function Get-KubeConfigToken {
    param([Parameter(Mandatory)] [string] $Path, [string] $User = '[^\s]+')
    [regex]::Match((Get-Content $Path -Raw), "(?ms)^- name: $User\s*\n\s*user:\s*\n\s*token:\s*(\S+)").Groups[1].Value
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
