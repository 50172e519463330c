using System.Net;
using System.Net.Sockets;
using RayPS.Errors;

namespace RayPS.Dashboard;

/// <summary>
/// The local end of a forward: a TCP listener on one address and port. Binding is exclusive, so a port another
/// process (or another session) already holds is reported as DashboardPortInUse instead of being shared.
/// </summary>
internal sealed class LocalPortListener : IDisposable
{
    private readonly TcpListener _listener;

    private LocalPortListener(TcpListener listener)
    {
        _listener = listener;
        EndPoint = (IPEndPoint)listener.LocalEndpoint;
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>Starts listening; <paramref name="parameterName"/> names the parameter to change in the error message.</summary>
    public static LocalPortListener Start(IPAddress address, int port, string parameterName)
    {
        var listener = new TcpListener(address, port);
        if (OperatingSystem.IsWindows())
        {
            listener.ExclusiveAddressUse = true;
        }
        try
        {
            listener.Start();
            return new LocalPortListener(listener);
        }
        catch (SocketException ex)
        {
            listener.Stop();
            var where = new IPEndPoint(address, port);
            throw ex.SocketErrorCode switch
            {
                SocketError.AddressAlreadyInUse => new RayPSException(ErrorIds.DashboardPortInUse, RayErrorCategory.ResourceUnavailable,
                    $"Local port {port} on {address} is already in use (another port-forward, kubectl, or a local Ray?). " +
                    $"Pass {parameterName} 0 to pick a free port, or choose another {parameterName}.", where, ex),
                SocketError.AccessDenied => new RayPSException(ErrorIds.DashboardListenFailed, RayErrorCategory.PermissionDenied,
                    $"Not allowed to listen on {where}: ports below 1024 need elevated rights. Pass {parameterName} 0 or a port above 1023.", where, ex),
                _ => new RayPSException(ErrorIds.DashboardListenFailed, RayErrorCategory.InvalidArgument,
                    $"Cannot listen on {where}: {ex.Message}. Pass an address of this machine with -Address (default 127.0.0.1).", where, ex),
            };
        }
    }

    /// <summary>
    /// Starts listening on <paramref name="port"/>, or on the next port up that is free when it is taken (at most
    /// <paramref name="tries"/> ports). When none is free, the error is the one for <paramref name="port"/>.
    /// </summary>
    public static LocalPortListener StartOnNextFree(IPAddress address, int port, string parameterName, int tries = 100)
    {
        RayPSException? first = null;
        for (var candidate = port; candidate < port + tries && candidate <= IPEndPoint.MaxPort; candidate++)
        {
            try
            {
                return Start(address, candidate, parameterName);
            }
            catch (RayPSException ex) when (ex.ErrorId == ErrorIds.DashboardPortInUse)
            {
                first ??= ex;
            }
        }
        throw first ?? new RayPSException(ErrorIds.DashboardPortInUse, RayErrorCategory.ResourceUnavailable,
            $"No free local port from {port} up. Pass {parameterName} 0 to pick any free port.", port);
    }

    public ValueTask<Socket> AcceptAsync(CancellationToken ct) => _listener.AcceptSocketAsync(ct);

    public void Dispose() => _listener.Stop();
}
