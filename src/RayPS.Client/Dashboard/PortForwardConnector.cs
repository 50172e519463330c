using System.Diagnostics;
using System.Net.WebSockets;
using RayPS.Errors;
using RayPS.Kube;

namespace RayPS.Dashboard;

/// <summary>
/// Opens port-forward streams to a pod through the API server (pods/NAME/portforward, WebSocket, v4.channel.k8s.io):
/// one stream per local connection, over the connection's streaming sockets (<see cref="KubeConnection.StreamingInvoker"/>),
/// so the kubeconfig's TLS settings, client certificates and token apply and no kubectl is needed. Handshake failures become RayPSExceptions; a probe proves
/// that a pod's dashboard port answers before a session relies on it.
/// </summary>
internal sealed class PortForwardConnector
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ProbeGrace = TimeSpan.FromMilliseconds(100);
    private readonly KubeConnection _connection;
    private readonly TimeSpan _timeout;

    public PortForwardConnector(KubeConnection connection, TimeSpan timeout)
    {
        _connection = connection;
        _timeout = timeout;
    }

    public static string PortForwardPath(DashboardTarget target, int port) =>
        KubePaths.PodPortForward(target.Namespace, target.PodName, port);

    /// <summary>How many times an upgrade the API server refused with 429/5xx, or a dropped connection, is tried.</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>
    /// Opens a stream to <paramref name="port"/> of the target pod. An upgrade refused by the API server with 429 or
    /// 5xx, or a connection dropped before the upgrade, is tried again (a port-forward that never opened has done
    /// nothing), with the retry policy's backoff, within the connector's timeout.
    /// </summary>
    public async Task<PortForwardChannel> OpenAsync(DashboardTarget target, int port, CancellationToken ct)
    {
        var result = await TryOpenAsync(target, port, ct).ConfigureAwait(false);
        return result.Channel ?? throw result.Error!;
    }

    /// <summary>
    /// As <see cref="OpenAsync"/>, but a failure is returned with what caused it: <see cref="OpenResult.ApiServerFault"/>
    /// says the API server itself did not open the stream (429/5xx, a dropped or timed-out handshake, after the retry
    /// policy's attempts), which says nothing about the pod; otherwise the answer was about the pod or the caller
    /// (404, 400, 403, ...). Cancellation by <paramref name="ct"/> still throws.
    /// </summary>
    public async Task<OpenResult> TryOpenAsync(DashboardTarget target, int port, CancellationToken ct)
    {
        if (_connection.ExecCredentials is { HasUsableCredential: false } credentials)
        {
            // The plugin may wait for the user: run it before the handshake's timeout starts (see KubeApi).
            await credentials.GetAsync(ct).ConfigureAwait(false);
        }
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
        budget.CancelAfter(_timeout);
        for (var attempt = 1; ; attempt++)
        {
            var (channel, failure, retryAfter) = await OpenOnceAsync(target, port, attempt, budget.Token, ct).ConfigureAwait(false);
            if (channel is not null)
            {
                return new OpenResult(channel, null, false);
            }
            if (failure!.Retryable && attempt < MaxAttempts && !budget.IsCancellationRequested)
            {
                var wait = RetryHandler.DefaultBackoff(attempt, retryAfter);
                KubeApi.Trace?.Invoke($"GET {PortForwardPath(target, port)} (websocket): attempt {attempt} of {MaxAttempts} failed; retrying in {wait.TotalMilliseconds:0} ms");
                try
                {
                    await Task.Delay(wait, budget.Token).ConfigureAwait(false);
                    continue;
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                }
            }
            return new OpenResult(null, await failure.ToExceptionAsync(attempt).ConfigureAwait(false), failure.ApiServerFault);
        }
    }

    /// <summary>A stream, or why none opened.</summary>
    /// <param name="Channel">The open stream; null on failure.</param>
    /// <param name="Error">Why it did not open; null on success.</param>
    /// <param name="ApiServerFault">The API server failed (429/5xx, dropped or timed-out handshake), not the pod or the caller's rights.</param>
    internal readonly record struct OpenResult(PortForwardChannel? Channel, RayPSException? Error, bool ApiServerFault);

    private sealed record OpenFailure(bool Retryable, Func<int, Task<RayPSException>> Build, bool ApiServerFault = true)
    {
        public Task<RayPSException> ToExceptionAsync(int attempts) => Build(attempts);
    }

    private async Task<(PortForwardChannel? Channel, OpenFailure? Failure, TimeSpan? RetryAfter)> OpenOnceAsync(DashboardTarget target, int port, int attempt,
        CancellationToken budget, CancellationToken ct)
    {
        var path = PortForwardPath(target, port);
        var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol(PortForwardChannel.SubProtocol);
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.SetRequestHeader("User-Agent", "RayPS/" + typeof(PortForwardConnector).Assembly.GetName().Version?.ToString(3));
        var started = Stopwatch.GetTimestamp();
        try
        {
            await AuthorizeAsync(socket, budget).ConfigureAwait(false);
            await socket.ConnectAsync(WebSocketUri(path), _connection.StreamingInvoker, budget).ConfigureAwait(false);
            KubeApi.Trace?.Invoke($"GET {path} (websocket) -> 101 in {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms" + (attempt > 1 ? $" (attempt {attempt} of {MaxAttempts})" : ""));
            return (new PortForwardChannel(socket), null, null);
        }
        catch (Exception ex) when (ex is WebSocketException or HttpRequestException or IOException or OperationCanceledException)
        {
            var status = (int)socket.HttpStatusCode;
            TimeSpan? retryAfter = socket.HttpResponseHeaders?.TryGetValue("Retry-After", out var values) == true
                && int.TryParse(values.FirstOrDefault(), out var seconds) ? TimeSpan.FromSeconds(seconds) : null;
            socket.Dispose();
            if (ct.IsCancellationRequested)
            {
                throw;
            }
            KubeApi.Trace?.Invoke($"GET {path} (websocket) -> {(status > 0 ? status.ToString(System.Globalization.CultureInfo.InvariantCulture) : ex.GetType().Name)} in {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms (attempt {attempt} of {MaxAttempts})");
            if (status is > 0 and not 101)
            {
                var transient = status is 429 or 500 or 502 or 503 or 504;
                return (null, new OpenFailure(transient, attempts => HandshakeErrorAsync(target, port, path, status, attempts, ct), transient), retryAfter);
            }
            if (ex is OperationCanceledException)
            {
                return (null, new OpenFailure(false, attempts => Task.FromResult(new RayPSException(ErrorIds.KubeApiTimeout, RayErrorCategory.OperationTimeout,
                    $"The API server of context '{_connection.ContextName}' did not open the port-forward to pod '{target}' within {_timeout.TotalSeconds:0.###} s ({KubeApi.Attempts(attempts)}).",
                    target.PodName, ex))), null);
            }
            return (null, new OpenFailure(ex is not WebSocketException || ex.InnerException is HttpRequestException or IOException,
                attempts => Task.FromResult(KubeErrorMapper.MapTransport(ex, _connection.ContextName, _connection.Server, attempts))), null);
        }
    }

    /// <summary>
    /// Opens one stream to the dashboard port, waits for the API server to confirm the port and for the kubelet not to
    /// report a refused connection, then closes it.
    /// </summary>
    public async Task ProbeAsync(DashboardTarget target, CancellationToken ct)
    {
        using var channel = await OpenAsync(target, target.DashboardPort, ct).ConfigureAwait(false);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(ProbeTimeout);
        try
        {
            await channel.WaitEstablishedAsync(timeout.Token).ConfigureAwait(false);
            if (!await channel.StaysOpenAsync(ProbeGrace, ct).ConfigureAwait(false))
            {
                throw ForwardFailed(target, target.DashboardPort, channel.ErrorText ?? "the API server closed the stream right after opening it");
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw ForwardFailed(target, target.DashboardPort, $"the API server did not confirm the port within {ProbeTimeout.TotalSeconds:0} s");
        }
        catch (WebSocketException ex)
        {
            throw ForwardFailed(target, target.DashboardPort, channel.ErrorText ?? ex.Message);
        }
        finally
        {
            await channel.CloseAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }
    }

    /// <summary>DashboardForwardFailed: the stream opened but the pod's port could not be reached or the stream broke.</summary>
    public static RayPSException ForwardFailed(DashboardTarget target, int port, string why) =>
        new(ErrorIds.DashboardForwardFailed, RayErrorCategory.ConnectionError,
            $"The port-forward to port {port} of head pod '{target}' failed: {why.TrimEnd('.')}.", target.PodName);

    private async Task AuthorizeAsync(ClientWebSocket socket, CancellationToken ct)
    {
        // The token provider may refresh (token files rotate); ask it for the current header each time.
        if (await _connection.AuthorizationAsync(ct).ConfigureAwait(false) is { } authorization)
        {
            socket.Options.SetRequestHeader("Authorization", authorization);
        }
    }

    private Uri WebSocketUri(string path)
    {
        var builder = new UriBuilder(new Uri(_connection.Server, path.TrimStart('/')));
        builder.Scheme = builder.Scheme == Uri.UriSchemeHttps ? Uri.UriSchemeWss : Uri.UriSchemeWs;
        return builder.Uri;
    }

    /// <summary>
    /// A refused upgrade carries no body over WebSocket, so ask the same path once as a plain GET: the API server checks
    /// the pod and the caller's rights before the upgrade, and its Status message says what is wrong.
    /// </summary>
    private async Task<RayPSException> HandshakeErrorAsync(DashboardTarget target, int port, string path, int status, int attempts, CancellationToken ct)
    {
        string? body = null;
        try
        {
            var (probeStatus, probeBody) = await _connection.Api.GetTextAsync(path, ct, _timeout).ConfigureAwait(false);
            body = probeStatus == status ? probeBody : null;
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or TimeoutException)
        {
            // Keep the status alone.
        }

        var apiEx = new KubeApiException("GET", path, status, body is not null && body.TrimStart().StartsWith('{') ? "application/json" : "text/plain", body ?? "")
        {
            Attempts = attempts,
        };
        var server = apiEx.ServerMessage ?? (string.IsNullOrWhiteSpace(body) ? $"HTTP {status}" : body.Trim());
        return status switch
        {
            403 => new RayPSException(ErrorIds.KubeApiForbidden, RayErrorCategory.PermissionDenied,
                $"Permission denied in context '{_connection.ContextName}': port-forwarding to pod '{target.PodName}' needs the verb 'create' on 'pods/portforward' in namespace '{target.Namespace}' ({server}). " +
                $"Check with: kubectl auth can-i create pods/portforward -n {target.Namespace}. Ask a cluster admin for a Role granting it.",
                target.PodName, apiEx) { StatusCode = 403 },
            404 => new RayPSException(ErrorIds.DashboardTargetNotReady, RayErrorCategory.ResourceUnavailable,
                $"The head pod '{target}' is gone ({server}).", target.PodName, apiEx) { StatusCode = 404 },
            400 => new RayPSException(ErrorIds.DashboardTargetNotReady, RayErrorCategory.ResourceUnavailable,
                $"The API server cannot forward port {port} of head pod '{target}' yet: {server}.", target.PodName, apiEx) { StatusCode = 400 },
            _ => KubeErrorMapper.Map(apiEx, _connection.ContextName, $"port-forward to pod '{target}'"),
        };
    }
}
