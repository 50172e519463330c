using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using RayPS.Errors;

namespace RayPS.Kube;

/// <summary>
/// Thin, typed-free access to the API server over the client's authenticated HttpClient. Every request goes
/// through here, so error mapping, timeouts and the debug trace (never with credentials) live in one place.
/// </summary>
public sealed class KubeApi
{
    public const string JsonPatch = "application/json-patch+json";
    public const string MergePatch = "application/merge-patch+json";
    public const string StrategicMergePatch = "application/strategic-merge-patch+json";
    public const string ApplyPatch = "application/apply-patch+yaml";

    private readonly Kubernetes _client;
    private readonly string _contextName;

    private readonly ExecCredentialSource? _execCredentials;

    public KubeApi(Kubernetes client, string contextName, ExecCredentialSource? execCredentials = null)
    {
        _client = client;
        _contextName = contextName;
        _execCredentials = execCredentials;
    }

    private static readonly AsyncLocal<Action<string>?> TraceSink = new();

    /// <summary>
    /// Receives one line per request ("GET /api/v1/... -> 200 in 12 ms") for the current async flow only,
    /// so concurrent cmdlets in other runspaces never see each other's trace. Never carries credentials.
    /// </summary>
    public static Action<string>? Trace
    {
        get => TraceSink.Value;
        set => TraceSink.Value = value;
    }

    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public Uri Server => _client.BaseUri;

    public Kubernetes Client => _client;

    public Task<JsonObject> GetAsync(string path, CancellationToken ct, string? what = null) =>
        SendJsonAsync(HttpMethod.Get, path, null, null, ct, what);

    public Task<JsonObject> PostAsync(string path, JsonNode body, CancellationToken ct, string? what = null) =>
        SendJsonAsync(HttpMethod.Post, path, body, "application/json", ct, what);

    public Task<JsonObject> PatchAsync(string path, JsonNode patch, string contentType, CancellationToken ct, string? what = null) =>
        SendJsonAsync(HttpMethod.Patch, path, patch, contentType, ct, what);

    public Task<JsonObject> DeleteAsync(string path, CancellationToken ct, string? what = null) =>
        SendJsonAsync(HttpMethod.Delete, path, null, null, ct, what);

    public async Task<JsonObject> SendJsonAsync(HttpMethod method, string path, JsonNode? body, string? contentType, CancellationToken ct, string? what = null)
    {
        using var response = await SendAsync(method, path, body, contentType, ct, what, HttpCompletionOption.ResponseContentRead).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        return JsonNode.Parse(string.IsNullOrEmpty(text) ? "{}" : text) as JsonObject ?? new JsonObject();
    }

    /// <summary>GET a non-JSON body (pod/service proxy endpoints, logs).</summary>
    public async Task<(int Status, string Body)> GetTextAsync(string path, CancellationToken ct, TimeSpan? timeout = null)
    {
        var credential = await EnsureCredentialAsync(ct).ConfigureAwait(false);
        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeoutCts.CancelAfter(timeout ?? RequestTimeout);
        using var request = NewRequest(HttpMethod.Get, path, null, null, credential);
        request.Options.Set(RetryHandler.NoRetry, true);
        HttpResponseMessage response;
        try
        {
            response = await SendCoreAsync(request, HttpCompletionOption.ResponseContentRead, timeoutCts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"GET {path} did not answer within {(timeout ?? RequestTimeout).TotalSeconds:0.###} s.");
        }
        using (response)
        {
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(timeoutCts.Token).ConfigureAwait(false));
        }
    }

    /// <summary>
    /// Sends a request built by the caller (any method and body, e.g. through a service proxy) and returns the response
    /// whatever its status (caller disposes). Never retried; only transport failures and the timeout throw.
    /// </summary>
    public async Task<HttpResponseMessage> SendUncheckedAsync(HttpMethod method, string path, HttpContent? content, CancellationToken ct, TimeSpan? timeout = null)
    {
        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeoutCts.CancelAfter(timeout ?? RequestTimeout);
        var request = NewRequest(method, path, null, null);
        request.Content = content;
        request.Options.Set(RetryHandler.NoRetry, true);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            var response = await SendCoreAsync(request, HttpCompletionOption.ResponseContentRead, timeoutCts.Token).ConfigureAwait(false);
            Trace?.Invoke($"{method} {path} -> {(int)response.StatusCode} in {System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms");
            return response;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException ex)
        {
            Trace?.Invoke($"{method} {path} -> timed out");
            throw new RayPSException(ErrorIds.KubeApiTimeout, RayErrorCategory.OperationTimeout,
                $"{method} {path} through the API server of context '{_contextName}' did not answer within {(timeout ?? RequestTimeout).TotalSeconds:0.###} s.", path, ex);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            Trace?.Invoke($"{method} {path} -> failed: {ex.GetType().Name}");
            throw KubeErrorMapper.MapTransport(ex, _contextName, _client.BaseUri);
        }
    }

    /// <summary>Sends a request and returns the successful response (caller disposes); failures throw mapped RayPSExceptions.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, JsonNode? body, string? contentType, CancellationToken ct,
        string? what = null, HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead, bool streaming = false)
    {
        var credential = await EnsureCredentialAsync(ct).ConfigureAwait(false);
        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (!streaming)
        {
            timeoutCts.CancelAfter(RequestTimeout);
        }

        var request = NewRequest(method, path, body, contentType, credential);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        HttpResponseMessage response;
        try
        {
            response = await SendCoreAsync(request, completion, streaming ? ct : timeoutCts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
        {
            Trace?.Invoke($"{method} {path} -> failed: {ex.GetType().Name}");
            throw KubeErrorMapper.MapTransport(ex, _contextName, _client.BaseUri);
        }

        Trace?.Invoke($"{method} {path} -> {(int)response.StatusCode} in {System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms");
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            var apiEx = new KubeApiException(method.Method, path, (int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, text);
            throw KubeErrorMapper.Map(apiEx, _contextName, what);
        }
    }

    /// <summary>
    /// Runs the exec credential plugin, when one is due, before the request's timeout starts: a plugin may wait for the
    /// user (a browser login, a device code) far longer than a request may take. Only Ctrl+C (and the plugin's own
    /// time limit) stops it.
    /// </summary>
    private async Task<ExecCredential?> EnsureCredentialAsync(CancellationToken ct) =>
        _execCredentials is null ? null : await _execCredentials.GetAsync(ct).ConfigureAwait(false);

    private HttpRequestMessage NewRequest(HttpMethod method, string path, JsonNode? body, string? contentType, ExecCredential? credential = null)
    {
        var request = new HttpRequestMessage(method, new Uri(_client.BaseUri, path.TrimStart('/')));
        if (credential is not null)
        {
            request.Options.Set(ExecCredentialSource.Fetched, credential);
        }
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.UserAgent.ParseAdd("RayPS/" + typeof(KubeApi).Assembly.GetName().Version?.ToString(3));
        if (body is not null)
        {
            var content = new StringContent(GoJson.Serialize(body), Encoding.UTF8);
            content.Headers.ContentType = new MediaTypeHeaderValue(contentType ?? "application/json");
            request.Content = content;
        }
        return request;
    }

    private async Task<HttpResponseMessage> SendCoreAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken ct)
    {
        if (_client.Credentials is { } credentials)
        {
            await credentials.ProcessHttpRequestAsync(request, ct).ConfigureAwait(false);
        }
        return await _client.HttpClient.SendAsync(request, completion, ct).ConfigureAwait(false);
    }

    public string ContextName => _contextName;
}
