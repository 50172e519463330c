# Every example of docs/cmdlets/*.md (the source of Get-Help) runs as written against a sandbox. Each starts from the
# same documented world: a fresh sandbox in $sandbox and $env:KUBECONFIG, holding RayCluster 'ray-cluster' (worker group
# 'workergroup', 2 workers) in namespace kube-system, in an empty working folder that holds the reference values.yaml.
# An example that creates ray-cluster itself (New-RayCluster -Name ray-cluster) starts from the sandbox without it.
# An example that cannot run there says so in its remarks with a line "**Not runnable on the sandbox:** <why>"; it is
# still parsed and checked against the commands' parameters, and listed by name at the end of this file's output.
BeforeDiscovery {
    $docs = Join-Path (Split-Path (Split-Path $PSScriptRoot)) 'docs/cmdlets'
    $script:examples = foreach ($page in Get-ChildItem $docs -Filter '*-*.md') {
        $section = $null; $title = $null; $body = [System.Text.StringBuilder]::new(); $inFence = $false
        $found = [System.Collections.Generic.List[object]]::new()
        $flush = {
            if ($section -eq 'EXAMPLES' -and $title) {
                $text = $body.ToString()
                $code = if ($text -match '(?s)```[a-zA-Z]*\r?\n(.*?)\r?\n```') { $Matches[1] } else { '' }
                $reason = if ($text -match '(?m)^\*\*Not runnable on the sandbox:\*\*\s*(.+)$') { $Matches[1].Trim() } else { $null }
                $found.Add(@{ Page = $page.BaseName; Title = $title; Code = $code; NotRunnable = $reason })
            }
            $null = $body.Clear()
        }
        foreach ($line in (Get-Content $page.FullName)) {
            if ($line -match '^```') { $inFence = -not $inFence }
            if (-not $inFence -and $line -match '^## (.+)$') { & $flush; $section = $Matches[1].Trim().ToUpperInvariant(); $title = $null; continue }
            if (-not $inFence -and $line -match '^### (.+)$') { & $flush; $title = $Matches[1].Trim(); continue }
            $null = $body.AppendLine($line)
        }
        & $flush
        $found
    }
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-RayPSUnderTest
    $script:root = Split-Path (Split-Path $PSScriptRoot)
    $script:savedKubeConfig = $env:KUBECONFIG
    $script:notRun = [System.Collections.Generic.List[string]]::new()
    $script:moduleCommands = @{}
    Get-Command -Module RayPS | ForEach-Object { $moduleCommands[$_.Name] = $_ }
}

AfterAll {
    $env:KUBECONFIG = $savedKubeConfig
    if ($notRun.Count -gt 0) {
        Write-Host "Help examples not run on the sandbox ($($notRun.Count)):"
        $notRun | ForEach-Object { Write-Host "  $_" }
    }
}

Describe '<Page>: <Title>' -ForEach $examples {
    It 'has code that parses and uses only parameters the RayPS commands have' {
        $Code | Should -Not -BeNullOrEmpty -Because 'every example has a fenced code block'
        $tokens = $null; $errors = $null
        $ast = [System.Management.Automation.Language.Parser]::ParseInput($Code, [ref]$tokens, [ref]$errors)
        $errors | Should -BeNullOrEmpty
        $calls = $ast.FindAll({ $args[0] -is [System.Management.Automation.Language.CommandAst] }, $true)
        foreach ($call in $calls) {
            $command = $moduleCommands[$call.GetCommandName()]
            if (-not $command) { continue }
            foreach ($parameter in $call.CommandElements | Where-Object { $_ -is [System.Management.Automation.Language.CommandParameterAst] }) {
                $known = $command.Parameters.Values | Where-Object { $_.Name -eq $parameter.ParameterName -or $_.Aliases -contains $parameter.ParameterName }
                $known | Should -Not -BeNullOrEmpty -Because "$($command.Name) has a parameter -$($parameter.ParameterName)"
            }
        }
    }

    It 'runs against a sandbox' {
        if ($NotRunnable) {
            $notRun.Add("$Page $Title : $NotRunnable")
            # Not run here, by its own account; the reason must say what it needs.
            $NotRunnable.Length | Should -BeGreaterThan 10
            return
        }
        $folder = Join-Path ([IO.Path]::GetTempPath()) ('rayps-example-' + [Guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory -Path $folder
        Copy-Item (Join-Path $root 'docs/examples/values.yaml') $folder
        $sandbox = Start-RaySandbox
        $env:KUBECONFIG = $sandbox.KubeConfigPath
        Push-Location $folder
        try {
            if ($Code -notmatch 'New-RayCluster\b[^\n|]*-Name ray-cluster\b(?!-)') {
                $null = New-RayCluster -Name ray-cluster -Namespace kube-system -WorkerReplicas 2 -WorkerCpu 2 -WorkerMemory 4Gi -Wait -TimeoutSec 120
            }
            $example = [scriptblock]::Create($Code)
            $ErrorActionPreference = 'Stop'
            $null = . $example *>&1
        }
        finally {
            $ErrorActionPreference = 'Continue'
            Pop-Location
            Stop-RayDashboard -All
            Stop-RaySandbox -All
            $env:KUBECONFIG = $savedKubeConfig
            Remove-Item $folder -Recurse -Force -ErrorAction SilentlyContinue
        }
    }
}

Describe 'Help beyond the examples' {
    It 'every cmdlet has a HelpUri to its page in docs/cmdlets, so Get-Help -Online works' {
        foreach ($command in $moduleCommands.Values) {
            $command.HelpUri | Should -BeExactly "https://github.com/rayps/RayPS/blob/main/docs/cmdlets/$($command.Name).md"
            Join-Path $root "docs/cmdlets/$($command.Name).md" | Should -Exist
            @((Get-Help $command.Name).relatedLinks.navigationLink)[0].uri | Should -BeExactly $command.HelpUri
        }
    }

    It 'has an about_RayPS topic with the object model, the sandbox and every ErrorId' {
        $about = Get-Help about_RayPS | Out-String
        $about | Should -Match 'THE OBJECT MODEL'
        $about | Should -Match 'THE SANDBOX'
        $ids = [regex]::Matches((Get-Content (Join-Path $root 'src/RayPS.Client/Errors/ErrorIds.cs') -Raw), 'const string (\w+)') | ForEach-Object { $_.Groups[1].Value }
        $ids.Count | Should -BeGreaterThan 40
        foreach ($id in $ids) { $about | Should -Match "\b$id\b" -Because "about_RayPS lists ErrorId $id" }
    }
}
