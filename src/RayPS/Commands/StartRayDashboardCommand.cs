using System.Management.Automation;
using System.Net;
using RayPS.Completers;
using RayPS.Dashboard;
using RayPS.Errors;
using RayPS.Internal;

namespace RayPS.Commands;

/// <summary>
/// Forwards local ports to a RayCluster's dashboard (and optionally its Ray client port) through the API server,
/// inside this PowerShell process: no kubectl, any local port, and the head pod is followed when it is replaced.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "RayDashboard", HelpUri = HelpLinks.Cmdlets + "Start-RayDashboard.md", SupportsShouldProcess = true)]
[OutputType(typeof(RayDashboardSession))]
public sealed class StartRayDashboardCommand : RayNamespacedCmdletBase
{
    private const int ProgressId = 0x5244;
    private const string Activity = "Start-RayDashboard";

    /// <summary>The RayCluster whose dashboard to forward.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(RayClusterNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string ClusterName { get; set; } = "";

    /// <summary>The local port for the dashboard; 0 picks a free one.</summary>
    [Parameter]
    [ValidateRange(0, 65535)]
    public int LocalPort { get; set; } = DashboardSessionOptions.DefaultDashboardPort;

    /// <summary>The local address to listen on; anything but loopback needs -Force or a confirmation.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>Listens on a non-loopback address without asking.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Also forwards the Ray client port (10001 on the head pod) to -ClientLocalPort.</summary>
    [Parameter]
    public SwitchParameter IncludeClientPort { get; set; }

    /// <summary>The local port for the Ray client with -IncludeClientPort; 0 picks a free one.</summary>
    [Parameter]
    [ValidateRange(0, 65535)]
    public int ClientLocalPort { get; set; } = DashboardSessionOptions.DefaultClientPort;

    /// <summary>Attempts per reconnect, and refusals in a row of one connection's stream, before the session gives up.</summary>
    [Parameter]
    [ValidateRange(0, 1000)]
    public int MaxReconnectAttempts { get; set; } = 20;

    /// <summary>Opens the dashboard in the default browser.</summary>
    [Parameter]
    public SwitchParameter Open { get; set; }

    /// <summary>Blocks until Ctrl+C, then stops the session.</summary>
    [Parameter]
    public SwitchParameter Wait { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var options = new DashboardSessionOptions
        {
            ClusterName = ClusterName,
            Namespace = TargetNamespace,
            Address = Address,
            LocalPort = LocalPort,
            IncludeClientPort = IncludeClientPort,
            ClientLocalPort = ClientLocalPort,
            // A default port that is taken (a second cluster's dashboard, piped from Get-RayCluster) moves up; a chosen one fails.
            NextFreePort = !MyInvocation.BoundParameters.ContainsKey(nameof(LocalPort)),
            NextFreeClientPort = !MyInvocation.BoundParameters.ContainsKey(nameof(ClientLocalPort)),
            MaxReconnectAttempts = MaxReconnectAttempts,
        };
        var address = options.ParseAddress();
        var where = LocalPort == 0 ? $"a free port of {address}" : new IPEndPoint(address, LocalPort).ToString();
        var cluster = $"RayCluster '{options.Namespace}/{ClusterName}'";
        if (!await ShouldProcessAsync(cluster, $"Forward its dashboard to {where}").ConfigureAwait(false))
        {
            return;
        }
        var exposed = !IPAddress.IsLoopback(address);
        if (exposed && !await ConfirmExposureAsync(where).ConfigureAwait(false))
        {
            return;
        }

        PortForwardSession session;
        try
        {
            session = await DashboardSessionRegistry.Default.StartAsync(Connection, options,
                status => EmitProgress(new ProgressRecord(ProgressId, Activity, status)), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            EmitProgress(new ProgressRecord(ProgressId, Activity, "Done") { RecordType = ProgressRecordType.Completed });
        }
        EmitVerbose($"Forwarding {session.Url} to pod '{session.Target}' port {session.Target.DashboardPort}" +
            (session.ClientUrl is { } clientUrl ? $", and {clientUrl} to port {session.Target.ClientPort}." : "."));
        if (LocalPort != 0 && session.DashboardEndPoint.Port != LocalPort)
        {
            EmitWarning($"Local port {LocalPort} is in use, so the dashboard of {cluster} listens on {session.Url} instead.");
        }
        if (IncludeClientPort && ClientLocalPort != 0 && session.ClientEndPoint is { } clientEndPoint && clientEndPoint.Port != ClientLocalPort)
        {
            EmitWarning($"Local port {ClientLocalPort} is in use, so the Ray client of {cluster} listens on {session.ClientUrl} instead.");
        }
        if (exposed)
        {
            EmitWarning($"The dashboard of {cluster} is reachable by anyone who can reach {session.DashboardEndPoint}. It has no authentication by default, and its Jobs API runs code on the cluster.");
        }
        Emit(session.View);

        if (Open && !BrowserLauncher.TryOpen(session.Url, out var error))
        {
            EmitWarning($"Could not open a browser ({error}). Open {session.Url} yourself.");
        }
        if (Wait)
        {
            await WaitForStopAsync(session, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>-Force, or the user's yes; a host that cannot ask is an error that names -Force.</summary>
    private Task<bool> ConfirmExposureAsync(string where) => OnPipelineThread(() =>
    {
        if (Force)
        {
            return true;
        }
        try
        {
            return ShouldContinue($"Listen on {where}? Other machines that can reach this address can use the Ray dashboard, which runs jobs on the cluster.", "Expose the Ray dashboard");
        }
        catch (Exception ex) when (ex is PSInvalidOperationException or System.Management.Automation.Host.HostException)
        {
            throw new RayPSException(ErrorIds.DashboardListenFailed, RayErrorCategory.InvalidOperation,
                $"Listening on {where} exposes the dashboard beyond this machine and needs a confirmation this host cannot ask for. Pass -Force to confirm, or use -Address 127.0.0.1.", where, ex);
        }
    });

    /// <summary>Relays the session's notices as warnings until Ctrl+C or until it gives up (a terminating error).</summary>
    private async Task WaitForStopAsync(PortForwardSession session, CancellationToken cancellationToken)
    {
        Action<string> relay = EmitWarning;
        session.Notice += relay;
        foreach (var notice in session.DrainNotices())
        {
            EmitWarning(notice);
        }
        try
        {
            await session.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C: stop below.
        }
        finally
        {
            session.Notice -= relay;
            await DashboardSessionRegistry.Default.StopAsync(session).ConfigureAwait(false);
        }
        if (session.State == RayDashboardSessionState.Failed && session.LastError is { } failure)
        {
            throw failure;
        }
    }
}
