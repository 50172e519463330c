using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using RayPS.Errors;
using RayPS.Kube;
using RayPS.Operations;

namespace RayPS.Ray;

/// <summary>
/// Ray's HTTP API of one cluster, reached through the API server's proxy: the head service's dashboard port (8265:
/// jobs, state and log APIs, GCS health; <c>/api/v1/namespaces/NS/services/SVC:dashboard/proxy/PATH</c>, the path the
/// KubeRay operator itself uses) or a pod's port (the dashboard agent's raylet check on 52365). The one way RayPS talks
/// to Ray: node health, jobs, logs and scale-down all send through here.
/// <para>
/// Answers come back with Ray's own status and body; <see cref="RayHttpAnswer.FromApiServer"/> tells a refusal of the API
/// server (a missing service, a head without endpoints, a missing permission) from Ray's answer (a 404 from the job API
/// is Ray's "no such job"). GETs follow the one retry policy for proxy reads (<see cref="RetryClass.ProxyRead"/>: the API
/// server's own 429/5xx are retried, Ray's answers never); other methods are sent once, since Ray may apply them twice.
/// Every request is traced to -Debug by <see cref="KubeApi"/>.
/// </para>
/// </summary>
public sealed class RayHttpClient
{
    private readonly KubeConnection _connection;

    public RayHttpClient(KubeConnection connection, string ns, string clusterName, string? serviceName = null)
    {
        _connection = connection;
        Namespace = ns;
        ClusterName = clusterName;
        ServiceName = serviceName ?? KubeRayNames.HeadServiceName(clusterName);
    }

    public string Namespace { get; }
    public string ClusterName { get; }
    public string ServiceName { get; private set; }

    public KubeConnection Connection => _connection;

    /// <summary>Requests sent through the proxy by this client (HTTP and WebSocket handshakes).</summary>
    public int RequestCount => _requests;

    private int _requests;

    /// <summary>The proxy path of a path on the head's dashboard.</summary>
    public string ProxyPath(string rayPath) =>
        KubePaths.ServiceProxy(Namespace, ServiceName, KubeRayNames.DashboardPortName, rayPath);

    /// <summary>The proxy path of a path on one port of a pod of this cluster (the dashboard agent of a node).</summary>
    public string PodProxyPath(string pod, int port, string rayPath) => KubePaths.PodProxy(Namespace, pod, port, rayPath);

    /// <summary>
    /// One GET of the head's dashboard, answered whatever happened: a status, a timeout or a transport failure. Only
    /// cancellation throws. (Health, logs and scale-down read this way; they report failures as findings.)
    /// </summary>
    public Task<RayHttpAnswer> TryGetAsync(string rayPath, TimeSpan timeout, CancellationToken ct) =>
        ExchangeAsync(HttpMethod.Get, ProxyPath(rayPath), rayPath, null, timeout, ct);

    /// <summary>One GET of a pod's port (<see cref="TryGetAsync"/>'s rules).</summary>
    public Task<RayHttpAnswer> TryGetPodAsync(string pod, int port, string rayPath, TimeSpan timeout, CancellationToken ct) =>
        ExchangeAsync(HttpMethod.Get, PodProxyPath(pod, port, rayPath), rayPath, null, timeout, ct);

    public Task<RayHttpAnswer> GetAsync(string rayPath, CancellationToken ct, TimeSpan? timeout = null) =>
        SendAsync(HttpMethod.Get, rayPath, null, ct, timeout);

    public Task<RayHttpAnswer> PostJsonAsync(string rayPath, JsonNode? body, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, rayPath, body is null ? null : Json(body), ct);

    public Task<RayHttpAnswer> PutBytesAsync(string rayPath, byte[] body, CancellationToken ct, TimeSpan? timeout = null)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return SendAsync(HttpMethod.Put, rayPath, content, ct, timeout);
    }

    public Task<RayHttpAnswer> DeleteAsync(string rayPath, CancellationToken ct) => SendAsync(HttpMethod.Delete, rayPath, null, ct);

    private static StringContent Json(JsonNode body)
    {
        var content = new StringContent(body.ToJsonString(), Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    /// <summary>
    /// One request to the head's dashboard; the answer whatever its status. Transport failures and timeouts throw mapped
    /// errors. A missing head service is looked up once in the RayCluster's status (KubeRay shortens long names).
    /// </summary>
    public async Task<RayHttpAnswer> SendAsync(HttpMethod method, string rayPath, HttpContent? content, CancellationToken ct, TimeSpan? timeout = null)
    {
        var answer = ThrowIfUnanswered(await ExchangeAsync(method, ProxyPath(rayPath), rayPath, content, timeout ?? _connection.Api.RequestTimeout, ct).ConfigureAwait(false));
        if (answer.FromApiServer && answer.Status == 404 && !_serviceChecked)
        {
            // KubeRay names the head service CLUSTER-head-svc unless the name would be too long; its status says which it used.
            _serviceChecked = true;
            var cluster = await RayClusterOperations.GetAsync(_connection, Namespace, ClusterName, ct).ConfigureAwait(false);
            if (!string.IsNullOrEmpty(cluster.HeadServiceName) && cluster.HeadServiceName != ServiceName)
            {
                ServiceName = cluster.HeadServiceName;
                answer = ThrowIfUnanswered(await ExchangeAsync(method, ProxyPath(rayPath), rayPath, content, timeout ?? _connection.Api.RequestTimeout, ct).ConfigureAwait(false));
            }
        }
        return answer;
    }

    private bool _serviceChecked;

    /// <summary>
    /// The one exchange: a GET through <see cref="KubeApi.GetTextAsync"/> (proxy-read retries, one -Debug line per
    /// attempt), anything else through <see cref="KubeApi.SendUncheckedAsync"/> (sent once, one -Debug line). A GET that
    /// times out or cannot connect comes back as such; other methods throw KubeApi's mapped error for those.
    /// </summary>
    private async Task<RayHttpAnswer> ExchangeAsync(HttpMethod method, string proxyPath, string rayPath, HttpContent? content, TimeSpan timeout, CancellationToken ct)
    {
        Interlocked.Increment(ref _requests);
        if (method != HttpMethod.Get)
        {
            using var response = await _connection.Api.SendUncheckedAsync(method, proxyPath, content, ct, timeout).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            return new RayHttpAnswer(method.Method, rayPath, (int)response.StatusCode, text, response.Content.Headers.ContentType?.MediaType);
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            var (status, body) = await _connection.Api.GetTextAsync(proxyPath, ct, timeout).ConfigureAwait(false);
            return RayHttpAnswer.Answered(status, body, rayPath);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            // The retry policy traced each attempt; the request that ran out of time gets a line of its own.
            KubeApi.Trace?.Invoke($"GET {proxyPath} -> timed out in {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms");
            return RayHttpAnswer.Expired(timeout, method.Method, rayPath);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            return RayHttpAnswer.Failed(ex, method.Method, rayPath);
        }
    }

    /// <summary>For callers that want Ray's answer or an error: a timeout or transport failure becomes KubeApi's mapped error.</summary>
    private RayHttpAnswer ThrowIfUnanswered(RayHttpAnswer answer)
    {
        if (answer.TimedOut)
        {
            var path = ProxyPath(answer.RayPath);
            throw new RayPSException(ErrorIds.KubeApiTimeout, RayErrorCategory.OperationTimeout,
                $"{answer.Method} {path} through the API server of context '{_connection.ContextName}' did not answer within {answer.Timeout.TotalSeconds:0.###} s.", path);
        }
        if (answer.Failure is { } failure)
        {
            throw KubeErrorMapper.MapTransport(failure, _connection.ContextName, _connection.Server);
        }
        return answer;
    }

    /// <summary>
    /// Opens a streamed GET of the head's dashboard (Ray's log stream). Returns the response to read, or the refusal: the
    /// status and body of an answer that is not a success, a timeout or transport failure as one that was not answered.
    /// </summary>
    public async Task<(HttpResponseMessage? Response, RayHttpAnswer? Refusal)> OpenStreamAsync(string rayPath, string what, CancellationToken ct)
    {
        Interlocked.Increment(ref _requests);
        try
        {
            var response = await _connection.Api.Raw.SendAsync(HttpMethod.Get, ProxyPath(rayPath), null, null, ct, what,
                HttpCompletionOption.ResponseHeadersRead, streaming: true).ConfigureAwait(false);
            return (response, null);
        }
        catch (KubeApiException api)
        {
            return (null, new RayHttpAnswer("GET", rayPath, api.StatusCode, api.Body, api.ContentType));
        }
        catch (RayPSException ex) when (ex.ErrorId is ErrorIds.KubeApiUnreachable or ErrorIds.KubeApiTimeout)
        {
            return (null, RayHttpAnswer.Failed(ex, "GET", rayPath));
        }
    }

    /// <summary>
    /// Opens a WebSocket to a Ray path through the proxy (the API server passes upgrades through). Returns null with
    /// the refusal when the upgrade is not accepted (a proxy that refuses upgrades, or Ray answering 404/400 first).
    /// </summary>
    public async Task<(ClientWebSocket? Socket, RayHttpAnswer? Refusal)> ConnectWebSocketAsync(string rayPath, TimeSpan timeout, CancellationToken ct)
    {
        Interlocked.Increment(ref _requests);
        var path = ProxyPath(rayPath);
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.SetRequestHeader("User-Agent", "RayPS/" + typeof(RayHttpClient).Assembly.GetName().Version?.ToString(3));
        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeoutCts.CancelAfter(timeout);
        var started = Stopwatch.GetTimestamp();
        try
        {
            if (await _connection.AuthorizationAsync(timeoutCts.Token).ConfigureAwait(false) is { } authorization)
            {
                socket.Options.SetRequestHeader("Authorization", authorization);
            }
            var builder = new UriBuilder(new Uri(_connection.Server, path.TrimStart('/')));
            builder.Scheme = builder.Scheme == Uri.UriSchemeHttps ? Uri.UriSchemeWss : Uri.UriSchemeWs;
            await socket.ConnectAsync(builder.Uri, _connection.StreamingInvoker, timeoutCts.Token).ConfigureAwait(false);
            KubeApi.Trace?.Invoke($"GET {path} (websocket) -> 101 in {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms");
            return (socket, null);
        }
        catch (Exception ex) when (ex is WebSocketException or HttpRequestException or IOException or OperationCanceledException)
        {
            var status = (int)socket.HttpStatusCode;
            socket.Dispose();
            if (ct.IsCancellationRequested)
            {
                throw;
            }
            KubeApi.Trace?.Invoke($"GET {path} (websocket) -> {(status > 0 ? status.ToString(System.Globalization.CultureInfo.InvariantCulture) : ex.GetType().Name)}");
            if (status > 0)
            {
                // A refused upgrade carries no readable body here; the caller asks again over plain HTTP when it needs Ray's text.
                return (null, new RayHttpAnswer("GET", rayPath, status, "", null));
            }
            if (ex is OperationCanceledException)
            {
                return (null, null);
            }
            throw KubeErrorMapper.MapTransport(ex, _connection.ContextName, _connection.Server);
        }
    }

    /// <summary>
    /// Turns an answer that is not a success into the error a user should see: the API server's refusal (no such
    /// cluster, head not ready), or Ray's own (unknown job, duplicate submission id, Ray's 400 with its message).
    /// </summary>
    public async Task<RayPSException> ErrorAsync(RayHttpAnswer answer, string? jobId, CancellationToken ct)
    {
        if (answer.FromApiServer)
        {
            if (answer.Status == 404)
            {
                // The head service is missing: the cluster is missing (RayClusterNotFound) or its head is not created yet.
                var cluster = await RayClusterOperations.GetAsync(_connection, Namespace, ClusterName, ct).ConfigureAwait(false);
                _serviceChecked = false;
                return DashboardUnreachable($"its head service '{ServiceName}' does not exist yet (cluster state: {cluster.State ?? "not reported"})");
            }
            if (answer.Status is 503 or 502)
            {
                return DashboardUnreachable($"the API server could not reach the head ({answer.ApiServerStatus?.Message ?? "service unavailable"}); the head pod is not ready");
            }
            return KubeErrorMapper.Map(new KubeApiException(answer.Method, ProxyPath(answer.RayPath), answer.Status ?? 0, "application/json", answer.Body), _connection.ContextName);
        }
        var rayMessage = answer.RayMessage();
        return answer.Status switch
        {
            404 when jobId is not null && answer.Body.Contains("does not exist", StringComparison.Ordinal) =>
                new RayPSException(ErrorIds.RayJobNotFound, RayErrorCategory.ObjectNotFound,
                    $"Ray job '{jobId}' does not exist on cluster '{Namespace}/{ClusterName}'. List the jobs with Get-RayJob -ClusterName {ClusterName}.", jobId) { StatusCode = 404 },
            500 when answer.Body.Contains("Please use a different submission_id", StringComparison.Ordinal) =>
                new RayPSException(ErrorIds.RayJobExists, RayErrorCategory.ResourceExists,
                    $"A Ray job with submission id '{jobId}' already exists on cluster '{Namespace}/{ClusterName}'. Choose another -SubmissionId, or remove the old job with Remove-RayJob.", jobId) { StatusCode = 500 },
            500 when answer.Body.Contains("No available agent", StringComparison.Ordinal) =>
                DashboardUnreachable("Ray has no agent to run the job yet (\"No available agent to submit job\")"),
            400 =>
                new RayPSException(ErrorIds.RayJobRejected, RayErrorCategory.InvalidArgument,
                    $"Ray rejected the request for cluster '{Namespace}/{ClusterName}': {rayMessage}", jobId) { StatusCode = 400 },
            _ =>
                new RayPSException(ErrorIds.RayJobRequestFailed, RayErrorCategory.InvalidOperation,
                    $"{answer.Method} {answer.RayPath} on the dashboard of cluster '{Namespace}/{ClusterName}' failed with {answer.Status}: {rayMessage}", jobId) { StatusCode = answer.Status },
        };
    }

    private RayPSException DashboardUnreachable(string why) =>
        new(ErrorIds.RayDashboardUnreachable, RayErrorCategory.ResourceUnavailable,
            $"The Ray dashboard of cluster '{Namespace}/{ClusterName}' is not reachable: {why}. Wait for the cluster with Wait-RayCluster {ClusterName} -Namespace {Namespace}, then try again.",
            ClusterName);
}
