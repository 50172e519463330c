using System.Management.Automation;
using RayPS.Internal;
using RayPS.Completers;
using RayPS.Errors;
using RayPS.Jobs;

namespace RayPS.Commands;

/// <summary>
/// Gets the driver log of Ray jobs as lines: all of it, the last -Tail lines, or with -Follow the lines as they come
/// until the job ends (Ray's logs/tail WebSocket through the API server's proxy; polling where upgrades are refused).
/// </summary>
[Cmdlet(VerbsCommunications.Receive, "RayJob", HelpUri = HelpLinks.Cmdlets + "Receive-RayJob.md", DefaultParameterSetName = "All")]
[OutputType(typeof(string))]
public sealed class ReceiveRayJobCommand : RayJobTargetCmdletBase
{
    [Parameter(ParameterSetName = "All")]
    [ValidateRange(0, int.MaxValue)]
    public int? Tail { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = "Follow")]
    public SwitchParameter Follow { get; set; }

    protected override Task ProcessRecordAsync(CancellationToken cancellationToken) =>
        ForEachJobAsync(async (ray, id) =>
        {
            if (Follow)
            {
                await FollowAsync(ray, id, cancellationToken).ConfigureAwait(false);
                return;
            }
            var text = await RayJobOperations.GetLogsAsync(ray, id, cancellationToken).ConfigureAwait(false);
            var lines = text.Replace("\r", "", StringComparison.Ordinal).Split('\n').ToList();
            if (lines.Count > 0 && lines[^1].Length == 0)
            {
                lines.RemoveAt(lines.Count - 1);
            }
            foreach (var line in Tail is { } n ? lines.Skip(Math.Max(0, lines.Count - n)) : lines)
            {
                Emit(line);
            }
        });
}
