using System.Management.Automation;
using RayPS.Errors;
using RayPS.Sandbox;

namespace RayPS.Commands;

/// <summary>Stops sandboxes started in this session.</summary>
[Cmdlet(VerbsLifecycle.Stop, "RaySandbox", SupportsShouldProcess = true, DefaultParameterSetName = "InputObject")]
[OutputType(typeof(void))]
public sealed class StopRaySandboxCommand : RayAsyncCmdlet
{
    /// <summary>The sandbox to stop, e.g. from Start-RaySandbox or Get-RaySandbox.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = "InputObject")]
    public RaySandbox[] InputObject { get; set; } = Array.Empty<RaySandbox>();

    /// <summary>The Id of the sandbox to stop.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "Id", ValueFromPipelineByPropertyName = true)]
    public int[] Id { get; set; } = Array.Empty<int>();

    /// <summary>Stops every sandbox of this session.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "All")]
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
        EmitError(new RayPSException(ErrorIds.SandboxNotFound, RayErrorCategory.ObjectNotFound,
            $"No running sandbox has Id {id}. List them with Get-RaySandbox.", id));
        return null;
    }
}
