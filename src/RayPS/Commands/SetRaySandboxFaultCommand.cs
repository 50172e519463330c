using System.Management.Automation;
using RayPS.Sandbox;
using RayPS.Sandbox.Faults;
using RayPS.Internal;

namespace RayPS.Commands;

/// <summary>Injects API-server faults into a sandbox: latency, error answers, dropped connections, broken watches.</summary>
[Cmdlet(VerbsCommon.Set, "RaySandboxFault", HelpUri = HelpLinks.Cmdlets + "Set-RaySandboxFault.md", SupportsShouldProcess = true, DefaultParameterSetName = "Error")]
[OutputType(typeof(FaultRule))]
public sealed class SetRaySandboxFaultCommand : PSCmdlet
{
    /// <summary>The sandbox to change.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public RaySandbox? Sandbox { get; set; }

    /// <summary>Answers matching requests with this HTTP status (e.g. 500, 503, 429) instead of serving them.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "Error")]
    [ValidateRange(400, 599)]
    public int StatusCode { get; set; }

    /// <summary>With -StatusCode 429 or 503: the Retry-After the answer carries, in seconds.</summary>
    [Parameter(ParameterSetName = "Error")]
    [ValidateRange(0, 3600)]
    public int? RetryAfterSec { get; set; }

    /// <summary>Delays matching requests by this many milliseconds.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "Latency")]
    [ValidateRange(1, 600000)]
    public int LatencyMs { get; set; }

    /// <summary>Closes matching connections without an answer.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "Drop")]
    public SwitchParameter DropConnection { get; set; }

    /// <summary>Breaks matching watch streams after this many events.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "DropWatch")]
    [ValidateRange(0, int.MaxValue)]
    public int DropWatchAfterEvents { get; set; }

    /// <summary>Removes every fault from the sandbox.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "Clear")]
    public SwitchParameter Clear { get; set; }

    /// <summary>
    /// Only requests with this audit verb (get, list, watch, create, update, patch, delete), or, as proxy or portforward,
    /// any request to the proxy or portforward subresource (recorded as get pods/proxy, get pods/portforward). A verb and
    /// resource that can never match together are refused.
    /// </summary>
    [Parameter(ParameterSetName = "Error")]
    [Parameter(ParameterSetName = "Latency")]
    [Parameter(ParameterSetName = "Drop")]
    [ValidateSet("get", "list", "watch", "create", "update", "patch", "delete", "proxy", "portforward")]
    public string? Verb { get; set; }

    /// <summary>Only requests for this resource, e.g. pods, rayclusters, deployments/scale.</summary>
    [Parameter(ParameterSetName = "Error")]
    [Parameter(ParameterSetName = "Latency")]
    [Parameter(ParameterSetName = "Drop")]
    [Parameter(ParameterSetName = "DropWatch")]
    public string? Resource { get; set; }

    /// <summary>Only request paths matching this pattern ('*' matches anything), e.g. /apis/ray.io/*.</summary>
    [Parameter(ParameterSetName = "Error")]
    [Parameter(ParameterSetName = "Latency")]
    [Parameter(ParameterSetName = "Drop")]
    public string? PathPattern { get; set; }

    /// <summary>How many matching requests the fault affects; default: all until cleared.</summary>
    [Parameter(ParameterSetName = "Error")]
    [Parameter(ParameterSetName = "Latency")]
    [Parameter(ParameterSetName = "Drop")]
    [Parameter(ParameterSetName = "DropWatch")]
    [ValidateRange(1, int.MaxValue)]
    public int? Count { get; set; }

    /// <summary>The chance (0 to 1) that a matching request is affected; default 1.</summary>
    [Parameter(ParameterSetName = "Error")]
    [Parameter(ParameterSetName = "Drop")]
    [ValidateRange(0.0, 1.0)]
    public double Probability { get; set; } = 1.0;

    protected override void ProcessRecord()
    {
        var faults = Sandbox!.Server.Faults;
        var action = ParameterSetName == "Clear" ? "Remove every fault" : $"Add a {ParameterSetName} fault";
        if (!ShouldProcess(Sandbox.Uri.ToString(), action))
        {
            return;
        }
        FaultRule? rule;
        try
        {
            rule = AddRule(faults);
        }
        catch (ArgumentException ex)
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException(ex.Message + " Nothing was added.", ex), RayPS.Errors.ErrorIds.InvalidSandboxFault,
                ErrorCategory.InvalidArgument, Resource ?? Verb));
            return;
        }
        if (rule is null)
        {
            faults.Clear();
            return;
        }
        WriteObject(rule);
    }

    private FaultRule? AddRule(SandboxFaults faults) =>
        ParameterSetName switch
        {
            "Error" => faults.AddError(StatusCode, Count, Probability, Verb, Resource, PathPattern, RetryAfterSec is { } s ? TimeSpan.FromSeconds(s) : null),
            "Latency" => faults.AddLatency(TimeSpan.FromMilliseconds(LatencyMs), Verb, Resource, PathPattern, Count),
            "Drop" => faults.DropConnections(Count, Probability, Verb, Resource, PathPattern),
            "DropWatch" => faults.DropWatchAfter(DropWatchAfterEvents, null, Resource, Count),
            _ => null,
        };
}
