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
            if (port != 0 && WildcardHolder(address, port) is not null)
            {
                // Windows and macOS let us bind 127.0.0.1:P beside another program's 0.0.0.0:P; we would then silently
                // take its local traffic. Linux refuses that bind; this check makes every OS refuse it.
                throw new SocketException((int)SocketError.AddressAlreadyInUse);
            }
            listener.Start();
            return new LocalPortListener(listener);
        }
        catch (SocketException ex)
        {
            listener.Stop();
            throw ListenError(ex.SocketErrorCode, address, port, parameterName, OperatingSystem.IsWindows(), ex);
        }
    }

    /// <summary>The error for a failed bind; Windows' access-denied is an excluded port range (Hyper-V, WSL, Docker), not privilege.</summary>
    internal static RayPSException ListenError(SocketError error, IPAddress address, int port, string parameterName, bool isWindows, Exception? inner = null)
    {
        var where = new IPEndPoint(address, port);
        return error switch
        {
            SocketError.AddressAlreadyInUse => new RayPSException(ErrorIds.DashboardPortInUse, RayErrorCategory.ResourceUnavailable,
                $"Local port {port} on {address} is already in use (another port-forward, kubectl, or a local Ray?). " +
                $"Pass {parameterName} 0 to pick a free port, or choose another {parameterName}.", where, inner),
            SocketError.AccessDenied when isWindows => new RayPSException(ErrorIds.DashboardListenFailed, RayErrorCategory.PermissionDenied,
                $"Not allowed to listen on {where}: Windows reserves this port (an excluded port range of Hyper-V, WSL or Docker; see 'netsh interface ipv4 show excludedportrange protocol=tcp'). " +
                $"Pass {parameterName} 0 to pick a free port, or choose a port outside those ranges.", where, inner),
            SocketError.AccessDenied => new RayPSException(ErrorIds.DashboardListenFailed, RayErrorCategory.PermissionDenied,
                $"Not allowed to listen on {where}: ports below 1024 need elevated rights. Pass {parameterName} 0 or a port above 1023.", where, inner),
            _ => new RayPSException(ErrorIds.DashboardListenFailed, RayErrorCategory.InvalidArgument,
                $"Cannot listen on {where}: {inner?.Message ?? error.ToString()}. Pass an address of this machine with -Address (default 127.0.0.1).", where, inner),
        };
    }

    /// <summary>
    /// The wildcard address (0.0.0.0 or [::]) another socket already holds on this port, when <paramref name="address"/>
    /// is a specific one; null when the port is free on the wildcards (or the family is unavailable).
    /// </summary>
    internal static IPAddress? WildcardHolder(IPAddress address, int port)
    {
        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
        {
            return null;
        }
        foreach (var wildcard in new[] { IPAddress.Any, IPAddress.IPv6Any })
        {
            using var probe = new Socket(wildcard.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                if (wildcard.AddressFamily == AddressFamily.InterNetworkV6)
                {
                    probe.DualMode = false;
                }
                if (OperatingSystem.IsWindows())
                {
                    probe.ExclusiveAddressUse = true;
                }
                probe.Bind(new IPEndPoint(wildcard, port));
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.AddressAlreadyInUse)
            {
                return wildcard;
            }
            catch (SocketException)
            {
                // No IPv6 here, or the wildcard is otherwise unusable: nothing can hold it.
            }
        }
        return null;
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
