#requires -Version 7.4
<#
.SYNOPSIS
    Generates the module's MAML help from docs/cmdlets/*.md and the cmdlets' own metadata.
.DESCRIPTION
    Each docs/cmdlets/<Verb-Noun>.md holds SYNOPSIS, DESCRIPTION, EXAMPLES (### titles with a fenced code block
    and remarks), PARAMETERS (### -Name sections), INPUTS, OUTPUTS, NOTES and RELATED LINKS. Syntax, parameter
    types, positions and pipeline input come from Get-Command, so help never drifts from the code. Parameters a
    page does not describe take their text from docs/cmdlets/common-parameters.md. A cmdlet without a page, or a
    page without a synopsis, a description or two examples, fails the build.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $DocsPath,
    [Parameter(Mandatory)] [string] $OutputPath
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

function ConvertFrom-HelpMarkdown([string] $Path) {
    $doc = [ordered]@{ Synopsis = ''; Description = ''; Examples = [System.Collections.Generic.List[object]]::new(); Parameters = @{}; Inputs = @(); Outputs = @(); Notes = ''; Links = @() }
    $section = $null; $sub = $null; $buffer = [System.Text.StringBuilder]::new()
    $lines = (Get-Content $Path -Raw) -split "`r?`n"
    $flush = {
        $text = $buffer.ToString().Trim()
        $null = $buffer.Clear()
        switch ($section) {
            'SYNOPSIS' { $doc.Synopsis = $text }
            'DESCRIPTION' { $doc.Description = $text }
            'NOTES' { $doc.Notes = $text }
            'EXAMPLES' { if ($sub) { $doc.Examples.Add([pscustomobject]@{ Title = $sub; Body = $text }) } }
            'PARAMETERS' { if ($sub) { $doc.Parameters[$sub.TrimStart('-')] = $text } }
            'INPUTS' { if ($sub) { $doc.Inputs += [pscustomobject]@{ Type = $sub; Text = $text } } }
            'OUTPUTS' { if ($sub) { $doc.Outputs += [pscustomobject]@{ Type = $sub; Text = $text } } }
            'RELATED LINKS' { $doc.Links += @($text -split "`n" | Where-Object { $_.Trim() } | ForEach-Object { $_.Trim().TrimStart('-', '*', ' ') }) }
        }
    }
    $inFence = $false
    foreach ($line in $lines) {
        if ($line -match '^```') { $inFence = -not $inFence; $null = $buffer.AppendLine($line); continue }
        if (-not $inFence -and $line -match '^## (.+)$') { & $flush; $section = $Matches[1].Trim().ToUpperInvariant(); $sub = $null; continue }
        if (-not $inFence -and $line -match '^### (.+)$') { & $flush; $sub = $Matches[1].Trim(); continue }
        if (-not $inFence -and $line -match '^# ') { continue }
        $null = $buffer.AppendLine($line)
    }
    & $flush
    return $doc
}

function Split-Paragraphs([string] $Text) {
    if (-not $Text) { return @() }
    return @($Text -split "(`r?`n){2,}" | ForEach-Object { ($_ -replace "`r?`n", ' ').Trim() } | Where-Object { $_ })
}

function Get-PipelineText($Parameter) {
    $kinds = @()
    if ($Parameter.ValueFromPipeline) { $kinds += 'ByValue' }
    if ($Parameter.ValueFromPipelineByPropertyName) { $kinds += 'ByPropertyName' }
    if ($kinds) { return "True ($($kinds -join ', '))" } else { return 'False' }
}

$common = @{}
$commonPath = Join-Path $DocsPath 'common-parameters.md'
if (Test-Path $commonPath) { $common = (ConvertFrom-HelpMarkdown $commonPath).Parameters }

Import-Module $ModulePath -Force
$moduleName = [IO.Path]::GetFileNameWithoutExtension($ModulePath)
$commands = Get-Command -Module $moduleName -CommandType Cmdlet | Sort-Object Name
$commonNames = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters

$settings = [System.Xml.XmlWriterSettings]::new()
$settings.Indent = $true
$settings.Encoding = [System.Text.UTF8Encoding]::new($false)
$null = New-Item -ItemType Directory -Path (Split-Path $OutputPath) -Force
$w = [System.Xml.XmlWriter]::Create($OutputPath, $settings)
$maml = 'http://schemas.microsoft.com/maml/2004/10'
$cmd = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
$dev = 'http://schemas.microsoft.com/maml/dev/2004/10'

function Write-Paras([string] $Text) {
    $paras = Split-Paragraphs $Text
    if (-not $paras) { $w.WriteElementString('para', $maml, '') }
    foreach ($p in $paras) { $w.WriteElementString('para', $maml, $p) }
}

function Write-Description([string] $Text) {
    $w.WriteStartElement('description', $maml); Write-Paras $Text; $w.WriteEndElement()
}

function Write-Parameter($Parameter, $SetParameter, [string] $Text) {
    $w.WriteStartElement('parameter', $cmd)
    $isSwitch = $Parameter.ParameterType -eq [switch]
    $w.WriteAttributeString('required', $(if ($SetParameter -and $SetParameter.IsMandatory) { 'true' } else { 'false' }))
    $w.WriteAttributeString('variableLength', $(if ($Parameter.ParameterType.IsArray) { 'true' } else { 'false' }))
    $globbing = [bool]($Parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })
    $w.WriteAttributeString('globbing', $globbing.ToString().ToLowerInvariant())
    $w.WriteAttributeString('pipelineInput', $(if ($SetParameter) { Get-PipelineText $SetParameter } else { 'False' }))
    $position = if ($SetParameter -and $SetParameter.Position -ge 0) { [string] $SetParameter.Position } else { 'named' }
    $w.WriteAttributeString('position', $position)
    $w.WriteAttributeString('aliases', $(if (@($Parameter.Aliases).Count) { $Parameter.Aliases -join ', ' } else { 'none' }))
    $w.WriteElementString('name', $maml, $Parameter.Name)
    Write-Description $Text
    $typeName = $Parameter.ParameterType.Name
    if (-not $isSwitch) {
        $w.WriteStartElement('parameterValue', $cmd); $w.WriteAttributeString('required', 'true'); $w.WriteAttributeString('variableLength', 'false'); $w.WriteString($typeName); $w.WriteEndElement()
    }
    $w.WriteStartElement('type', $dev); $w.WriteElementString('name', $maml, $Parameter.ParameterType.FullName); $w.WriteEndElement()
    $w.WriteElementString('defaultValue', $dev, $(if ($isSwitch) { 'False' } else { 'None' }))
    $w.WriteEndElement()
}

$problems = @()
$w.WriteStartDocument()
$w.WriteStartElement('helpItems', 'http://msh')
$w.WriteAttributeString('schema', 'maml')
foreach ($command in $commands) {
    $page = Join-Path $DocsPath "$($command.Name).md"
    if (-not (Test-Path $page)) { $problems += "$($command.Name): no help page $page"; continue }
    $doc = ConvertFrom-HelpMarkdown $page
    if (-not $doc.Synopsis) { $problems += "$($command.Name): no SYNOPSIS" }
    if (-not $doc.Description) { $problems += "$($command.Name): no DESCRIPTION" }
    if (@($doc.Examples).Count -lt 2) { $problems += "$($command.Name): fewer than two EXAMPLES" }

    $parameters = @($command.Parameters.Values | Where-Object { $_.Name -notin $commonNames })
    foreach ($p in $parameters) {
        if (-not $doc.Parameters.ContainsKey($p.Name) -and -not $common.ContainsKey($p.Name)) { $problems += "$($command.Name): parameter -$($p.Name) is not described" }
    }
    $describe = { param($name) if ($doc.Parameters.ContainsKey($name)) { $doc.Parameters[$name] } elseif ($common.ContainsKey($name)) { $common[$name] } else { '' } }

    $w.WriteStartElement('command', 'command', $cmd)
    $w.WriteAttributeString('xmlns', 'maml', $null, $maml)
    $w.WriteAttributeString('xmlns', 'dev', $null, $dev)
    $w.WriteStartElement('details', $cmd)
    $w.WriteElementString('name', $cmd, $command.Name)
    Write-Description $doc.Synopsis
    $w.WriteElementString('verb', $cmd, $command.Verb)
    $w.WriteElementString('noun', $cmd, $command.Noun)
    $w.WriteEndElement()
    Write-Description $doc.Description

    $w.WriteStartElement('syntax', $cmd)
    foreach ($set in $command.ParameterSets) {
        $w.WriteStartElement('syntaxItem', $cmd)
        $w.WriteElementString('name', $maml, $command.Name)
        foreach ($sp in ($set.Parameters | Where-Object { $_.Name -notin $commonNames } | Sort-Object { if ($_.Position -ge 0) { $_.Position } else { 1000 } }, Name)) {
            Write-Parameter $command.Parameters[$sp.Name] $sp (& $describe $sp.Name)
        }
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteStartElement('parameters', $cmd)
    foreach ($p in ($parameters | Sort-Object Name)) {
        $sp = $command.ParameterSets | ForEach-Object { $_.Parameters } | Where-Object Name -EQ $p.Name | Select-Object -First 1
        Write-Parameter $p $sp (& $describe $p.Name)
    }
    $w.WriteEndElement()

    $w.WriteStartElement('inputTypes', $cmd)
    foreach ($i in $doc.Inputs) {
        $w.WriteStartElement('inputType', $cmd); $w.WriteStartElement('type', $dev); $w.WriteElementString('name', $maml, $i.Type); $w.WriteEndElement(); Write-Description $i.Text; $w.WriteEndElement()
    }
    $w.WriteEndElement()
    $w.WriteStartElement('returnValues', $cmd)
    foreach ($o in $doc.Outputs) {
        $w.WriteStartElement('returnValue', $cmd); $w.WriteStartElement('type', $dev); $w.WriteElementString('name', $maml, $o.Type); $w.WriteEndElement(); Write-Description $o.Text; $w.WriteEndElement()
    }
    $w.WriteEndElement()
    if ($doc.Notes) { $w.WriteStartElement('alertSet', $maml); $w.WriteStartElement('alert', $maml); Write-Paras $doc.Notes; $w.WriteEndElement(); $w.WriteEndElement() }

    $w.WriteStartElement('examples', $cmd)
    foreach ($example in $doc.Examples) {
        $code = ''; $remarks = $example.Body
        if ($example.Body -match '(?s)```[a-zA-Z]*\r?\n(.*?)\r?\n```') {
            $code = $Matches[1]
            $remarks = ($example.Body -replace '(?s)```[a-zA-Z]*\r?\n.*?\r?\n```', '').Trim()
        }
        $w.WriteStartElement('example', $cmd)
        $w.WriteElementString('title', $maml, "-------------------------- $($example.Title) --------------------------")
        $w.WriteElementString('code', $dev, $code)
        $w.WriteStartElement('remarks', $dev); Write-Paras $remarks; $w.WriteEndElement()
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteStartElement('relatedLinks', $maml)
    if ($command.HelpUri) {
        # First, as platyPS writes it: the link Get-Help -Online opens.
        $w.WriteStartElement('navigationLink', $maml); $w.WriteElementString('linkText', $maml, 'Online Version:'); $w.WriteElementString('uri', $maml, $command.HelpUri); $w.WriteEndElement()
    }
    foreach ($link in $doc.Links) {
        $w.WriteStartElement('navigationLink', $maml); $w.WriteElementString('linkText', $maml, $link); $w.WriteElementString('uri', $maml, ''); $w.WriteEndElement()
    }
    $w.WriteEndElement()
    $w.WriteEndElement()
}
$w.WriteEndElement()
$w.WriteEndDocument()
$w.Dispose()

if ($problems) {
    $problems | ForEach-Object { Write-Host "help: $_" -ForegroundColor Red }
    exit 1
}
Write-Host "help: $(@($commands).Count) cmdlets written to $OutputPath"
