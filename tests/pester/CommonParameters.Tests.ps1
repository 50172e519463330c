# -Debug, -Verbose and $DebugPreference on RayPS cmdlets, in a fresh non-interactive pwsh against the sandbox: a prompt
# there fails at once instead of waiting, and Invoke-FreshPwsh kills a child that hangs.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:sandbox = Start-TestSandbox
    $script:token = (Select-String -Path $sandbox.KubeConfigPath -Pattern '^\s*token:\s*(\S+)' | Select-Object -First 1).Matches[0].Groups[1].Value
    $null = New-RayCluster common-params -HeadCpu 1 -HeadMemory 1Gi -WorkerReplicas 0

    # Each line the child writes is "<case>|<record type>|<text>", for every record of every stream of that case.
    $script:lines = Invoke-FreshPwsh -TimeoutSec 180 @"
`$env:KUBECONFIG = '$($sandbox.KubeConfigPath)'
Import-Module '$(Get-RayPSModulePath)' -ErrorAction Stop
function Show-Records([string] `$Case, [scriptblock] `$Command) {
    try { & `$Command *>&1 | ForEach-Object { "`$Case|`$(`$_.GetType().Name)|`$_" } }
    catch { "`$Case|Exception|`$(`$_.Exception.Message)" }
}
Show-Records default { Get-RayCluster }
Show-Records debug { Get-RayCluster -Debug }
Show-Records debug-verbose-cmdlet { Set-RayWorkerReplicas common-params workergroup 1 -Debug }
Show-Records debug-and-verbose { Set-RayWorkerReplicas common-params workergroup 0 -Debug -Verbose }
Show-Records function-scope { function Invoke-WithDebugPreference { `$DebugPreference = 'Continue'; Get-RayCluster }; Invoke-WithDebugPreference }
`$DebugPreference = 'Continue'
Show-Records debug-off { Get-RayCluster -Debug:`$false }
'finished'
"@
    $script:exitCode = $LASTEXITCODE

    function script:Get-Records([string] $Case, [string] $Type) {
        @($lines | Where-Object { $_ -like "$Case|$Type|*" } | ForEach-Object { ($_ -split '\|', 3)[2] })
    }
}

AfterAll {
    Stop-TestSandbox $sandbox
}

Describe 'Common parameters in a fresh non-interactive pwsh' {
    It 'runs every case to the end without a prompt or an exception' {
        $exitCode | Should -Be 0
        $lines | Should -Contain 'finished'
        $lines | Where-Object { $_ -like '*|Exception|*' -or $_ -like '*NonInteractive*' } | Should -BeNullOrEmpty
    }

    It '-Debug writes one debug record per request, with method, path and status' {
        Get-Records debug DebugRecord | Where-Object { $_ -match '^GET /apis/ray\.io/v1/namespaces/default/rayclusters -> 200 in \d+ ms$' } |
            Should -Not -BeNullOrEmpty
        Get-Records default DebugRecord | Should -BeNullOrEmpty
    }

    It 'debug records carry no bearer token' {
        $all = $lines | Where-Object { $_ -like '*|DebugRecord|*' }
        $all | Should -Not -BeNullOrEmpty
        $all | Where-Object { $_.Contains($token) -or $_ -match 'Bearer' } | Should -BeNullOrEmpty
    }

    It 'under -Debug alone a cmdlet''s verbose text goes to the debug stream instead of asking to continue' {
        $debug = Get-Records debug-verbose-cmdlet DebugRecord
        $debug | Where-Object { $_ -like 'PATCH /apis/ray.io/v1/namespaces/default/rayclusters/common-params -> 200*' } | Should -Not -BeNullOrEmpty
        $debug | Where-Object { $_ -like "Set worker group 'workergroup'*from 0 to 1 replicas*" } | Should -Not -BeNullOrEmpty
        Get-Records debug-verbose-cmdlet VerboseRecord | Should -BeNullOrEmpty
    }

    It 'with -Debug -Verbose verbose text stays in the verbose stream' {
        Get-Records debug-and-verbose VerboseRecord | Where-Object { $_ -like "Set worker group 'workergroup'*from 1 to 0 replicas*" } | Should -Not -BeNullOrEmpty
        Get-Records debug-and-verbose DebugRecord | Where-Object { $_ -like 'PATCH *' } | Should -Not -BeNullOrEmpty
    }

    It '$DebugPreference = ''Continue'' in a function''s own scope produces debug records' {
        Get-Records function-scope DebugRecord | Where-Object { $_ -like 'GET /apis/ray.io/v1/namespaces/default/rayclusters -> 200*' } | Should -Not -BeNullOrEmpty
    }

    It '-Debug:$false silences debug output that $DebugPreference asks for' {
        Get-Records debug-off RayCluster | Should -Not -BeNullOrEmpty
        Get-Records debug-off DebugRecord | Should -BeNullOrEmpty
    }
}
