using System.Management.Automation;
using RayPS.Errors;
using RayPS.Internal;
using RayPS.Sandbox;

namespace RayPS.Commands;

/// <summary>Lists the sandboxes running in this session, or the requests one has served.</summary>
[Cmdlet(VerbsCommon.Get, "RaySandbox", HelpUri = HelpLinks.Cmdlets + "Get-RaySandbox.md", DefaultParameterSetName = "List")]
[OutputType(typeof(RaySandbox), ParameterSetName = new[] { "List" })]
[OutputType(typeof(RaySandboxRequestCount), ParameterSetName = new[] { "Requests" })]
public sealed class GetRaySandboxCommand : PSCmdlet
{
    /// <summary>Only the sandbox with this Id.</summary>
    [Parameter(Position = 0, ParameterSetName = "List")]
    public int? Id { get; set; }

    /// <summary>The sandbox whose request counts to return.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = "Requests")]
    public RaySandbox? InputObject { get; set; }

    /// <summary>Returns the requests the sandbox served, counted by verb and resource.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "Requests")]
    public SwitchParameter RequestCount { get; set; }

    /// <summary>With -RequestCount: sets the counters back to zero after reading them.</summary>
    [Parameter(ParameterSetName = "Requests")]
    public SwitchParameter Reset { get; set; }

    internal static RayPSException SandboxNotFound(int id) =>
        new(ErrorIds.SandboxNotFound, RayErrorCategory.ObjectNotFound, $"No running sandbox has Id {id}. List them with Get-RaySandbox.", id);

    protected override void ProcessRecord()
    {
        if (ParameterSetName == "Requests" && InputObject is { } sandbox)
        {
            foreach (var count in sandbox.Server.Requests.Snapshot())
            {
                WriteObject(new RaySandboxRequestCount { SandboxId = sandbox.Id, Verb = count.Verb, Resource = count.Resource, Count = count.Count });
            }
            if (Reset)
            {
                sandbox.Server.Requests.Reset();
            }
            return;
        }
        if (Id is { } id)
        {
            // The same rule as Stop-RaySandbox -Id: an Id that names no running sandbox is an error, not an empty result.
            if (SandboxRegistry.All.FirstOrDefault(s => s.Id == id) is { } found)
            {
                WriteObject(found);
            }
            else
            {
                WriteError(ErrorRecords.From(SandboxNotFound(id)));
            }
            return;
        }
        foreach (var running in SandboxRegistry.All)
        {
            WriteObject(running);
        }
    }
}
