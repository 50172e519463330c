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
/// Ray's dashboard HTTP API (port 8265) of one cluster, reached through the API server's proxy of the head service:
/// <c>/api/v1/namespaces/NS/services/SVC:dashboard/proxy/PATH</c>, the path the KubeRay operator itself uses. Answers
/// come back whatever their status; <see cref="RayHttpAnswer.FromApiServer"/> tells a refusal of the API server (a
/// missing service, a head without endpoints, a missing permission) from Ray's own answer.
/// </summary>
public sealed class RayHttpClient
{
    private readonly KubeConnection _connection;

    public RayHttpClient(KubeConnection connection, string ns, string clusterName, string? serviceName = null)
    {
        _connection = connection;
        Namespace = ns;
        ClusterName = clusterName;
        ServiceName = serviceName ?? NodeHealthOperations.HeadServiceName(clusterName);
    }

    public string Namespace { get; }
    public string ClusterName { get; }
    public string ServiceName { get; private set; }

    public KubeConnection Connection => _connection;

    /// <summary>Requests sent through the proxy by this client (HTTP and WebSocket handshakes).</summary>
    public int RequestCount => _requests;

    private int _requests;

    public string ProxyPath(string rayPath) =>
        NodeHealthOperations.ServiceProxyPath(Namespace, ServiceName, NodeHealthOperations.DashboardPortName, rayPath);

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

    /// <summary>One request through the proxy; the answer whatever its status. Transport failures and timeouts throw.</summary>
    public async Task<RayHttpAnswer> SendAsync(HttpMethod method, string rayPath, HttpContent? content, CancellationToken ct, TimeSpan? timeout = null)
    {
        var answer = await SendOnceAsync(method, rayPath, content, ct, timeout).ConfigureAwait(false);
        if (answer.FromApiServer && answer.Status == 404 && !_serviceChecked)
        {
            // KubeRay names the head service CLUSTER-head-svc unless the name would be too long; its status says which it used.
            _serviceChecked = true;
            var cluster = await RayClusterOperations.GetAsync(_connection, Namespace, ClusterName, ct).ConfigureAwait(false);
            if (!string.IsNullOrEmpty(cluster.HeadServiceName) && cluster.HeadServiceName != ServiceName)
            {
                ServiceName = cluster.HeadServiceName;
                answer = await SendOnceAsync(method, rayPath, content, ct, timeout).ConfigureAwait(false);
            }
        }
        return answer;
    }

    private bool _serviceChecked;

    private async Task<RayHttpAnswer> SendOnceAsync(HttpMethod method, string rayPath, HttpContent? content, CancellationToken ct, TimeSpan? timeout)
    {
        Interlocked.Increment(ref _requests);
        using var response = await _connection.Api.SendUncheckedAsync(method, ProxyPath(rayPath), content, ct, timeout).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        return new RayHttpAnswer(method.Method, rayPath, (int)response.StatusCode, body, response.Content.Headers.ContentType?.MediaType);
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
            if (_connection.Client.Credentials is { } credentials)
            {
                using var probe = new HttpRequestMessage(HttpMethod.Get, _connection.Server);
                await credentials.ProcessHttpRequestAsync(probe, timeoutCts.Token).ConfigureAwait(false);
                if (probe.Headers.Authorization is { } authorization)
                {
                    socket.Options.SetRequestHeader("Authorization", authorization.ToString());
                }
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
            return KubeErrorMapper.Map(new KubeApiException(answer.Method, ProxyPath(answer.RayPath), answer.Status, "application/json", answer.Body), _connection.ContextName);
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

/// <summary>One answer through the proxy: Ray's (plain JSON or plain text) or the API server's own Status.</summary>
public sealed class RayHttpAnswer
{
    public RayHttpAnswer(string method, string rayPath, int status, string body, string? contentType)
    {
        Method = method;
        RayPath = rayPath;
        Status = status;
        Body = body;
        ContentType = contentType;
        ApiServerStatus = KubeStatusBody.TryParse(body);
    }

    public string Method { get; }
    public string RayPath { get; }
    public int Status { get; }
    public string Body { get; }
    public string? ContentType { get; }

    internal KubeStatusBody? ApiServerStatus { get; }

    /// <summary>The API server answered (a metav1.Status), not Ray.</summary>
    public bool FromApiServer => ApiServerStatus is not null;

    public bool IsSuccess => Status is >= 200 and < 300 && !FromApiServer;

    public JsonNode? Json() => RayJson.TryParse(Body);

    public static string Shorten(string text) => text.Length > 300 ? text[..300] + "..." : text;

    /// <summary>
    /// What Ray said, in one line: the last line of a Python traceback ("TypeError: entrypoint must be a string ..."), or
    /// the first line of a short text.
    /// </summary>
    public string RayMessage()
    {
        var lines = Body.Replace("\r", "", StringComparison.Ordinal).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (lines.Length == 0)
        {
            return $"HTTP {Status}";
        }
        var line = Body.StartsWith("Traceback", StringComparison.Ordinal)
            ? lines.LastOrDefault(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^[A-Za-z_.]+(Error|Exception): ")) ?? lines[^1]
            : lines[0];
        return line.Length > 500 ? line[..500] + "..." : line;
    }
}
