using System.Management.Automation;
using RayPS.Errors;
using RayPS.Sandbox;
using RayPS.Internal;

namespace RayPS.Commands;

/// <summary>Stops sandboxes started in this session; with no arguments, all of them.</summary>
[Cmdlet(VerbsLifecycle.Stop, "RaySandbox", HelpUri = HelpLinks.Cmdlets + "Stop-RaySandbox.md", SupportsShouldProcess = true, DefaultParameterSetName = "All")]
[OutputType(typeof(void))]
public sealed class StopRaySandboxCommand : RayAsyncCmdlet
{
    /// <summary>The sandbox to stop, e.g. from Start-RaySandbox or Get-RaySandbox.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = "InputObject")]
    public RaySandbox[] InputObject { get; set; } = Array.Empty<RaySandbox>();

    /// <summary>The Id of the sandbox to stop.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "Id", ValueFromPipelineByPropertyName = true)]
    public int[] Id { get; set; } = Array.Empty<int>();

    /// <summary>Stops every sandbox of this session (also what no arguments at all do).</summary>
    [Parameter(ParameterSetName = "All")]
    public SwitchParameter All { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        IEnumerable<RaySandbox?> targets = ParameterSetName switch
        {
            "All" => SandboxRegistry.All,
            "Id" => Id.Select(id => SandboxRegistry.All.FirstOrDefault(s => s.Id == id) ?? NotFound(id)),
            _ => InputObject,
        };
        foreach (var sandbox in targets.OfType<RaySandbox>())
        {
            if (await ShouldProcessAsync(sandbox.Uri.ToString(), "Stop the RayPS sandbox").ConfigureAwait(false))
            {
                await SandboxLifetime.StopAsync(sandbox).ConfigureAwait(false);
            }
        }
    }

    private RaySandbox? NotFound(int id)
    {
        EmitError(GetRaySandboxCommand.SandboxNotFound(id));
        return null;
    }
}
