using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
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

    private readonly HttpClient _http;
    private readonly Uri _server;
    private readonly KubeCredentials? _credentials;
    private readonly string _contextName;

    private readonly ExecCredentialSource? _execCredentials;

    /// <summary>On the <see cref="Raw"/> face: the mapping face it shares its connection and settings with.</summary>
    private readonly KubeApi? _mapping;
    private KubeApi? _raw;
    private TimeSpan _requestTimeout = TimeSpan.FromSeconds(30);

    internal KubeApi(HttpClient http, Uri server, KubeCredentials? credentials, string contextName, ExecCredentialSource? execCredentials = null)
    {
        _http = http;
        _server = server;
        _credentials = credentials;
        _contextName = contextName;
        _execCredentials = execCredentials;
    }

    private KubeApi(KubeApi mapping)
    {
        _http = mapping._http;
        _server = mapping._server;
        _credentials = mapping._credentials;
        _contextName = mapping._contextName;
        _execCredentials = mapping._execCredentials;
        _mapping = mapping;
    }

    /// <summary>
    /// The same requests, but an answer the server refused throws the unmapped <see cref="KubeApiException"/> (status,
    /// reason, causes, Retry-After, the request, attempts) for the caller to branch on; the caller maps it once, with
    /// <see cref="KubeApiException.ToRayPSException"/>, where its public operation returns. Failures without an answer
    /// (transport, timeout, an outcome left unknown) are final and stay RayPSExceptions on both faces. The plain face
    /// maps every refusal at once (callers that do not branch on the answer).
    /// </summary>
    public KubeApi Raw => _mapping is null ? _raw ??= new KubeApi(this) : this;

    /// <summary>Whether this face throws <see cref="KubeApiException"/> unmapped.</summary>
    public bool ThrowsRaw => _mapping is not null;

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

    public TimeSpan RequestTimeout
    {
        get => _mapping?.RequestTimeout ?? _requestTimeout;
        set
        {
            if (_mapping is not null) _mapping.RequestTimeout = value;
            else _requestTimeout = value;
        }
    }

    public Uri Server => _server;

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
        var attempts = new RequestAttempts();
        request.Options.Set(RetryHandler.ClassKey, RetryClass.ProxyRead);
        request.Options.Set(RetryHandler.AttemptsKey, attempts);
        HttpResponseMessage response;
        try
        {
            response = await SendCoreAsync(request, HttpCompletionOption.ResponseContentRead, timeoutCts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested && attempts.LastRetriedAnswer is { } last)
        {
            // The budget ran out while the API server kept failing: its last answer is what we know.
            return last;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"GET {path} did not answer within {(timeout ?? RequestTimeout).TotalSeconds:0.###} s ({Attempts(attempts.Count)}).");
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
            throw KubeErrorMapper.MapTransport(ex, _contextName, _server);
        }
    }

    /// <summary>
    /// Sends a request and returns the successful response (caller disposes); failures throw mapped RayPSExceptions.
    /// The request is retried as <see cref="RetryHandler"/> allows for its <see cref="Classify">class</see>. A write whose
    /// outcome the attempts left open is settled by reading the object back where that can tell: a delete whose retry
    /// finds nothing is done, a create whose object is there with what we sent is ours; otherwise KubeApiOutcomeUnknown.
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, JsonNode? body, string? contentType, CancellationToken ct,
        string? what = null, HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead, bool streaming = false)
    {
        var credential = await EnsureCredentialAsync(ct).ConfigureAwait(false);
        var timeout = RequestTimeout;
        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (!streaming)
        {
            timeoutCts.CancelAfter(timeout);
        }

        var retryClass = Classify(method, path, body, contentType);
        var attempts = new RequestAttempts();
        var request = NewRequest(method, path, body, contentType, credential);
        request.Options.Set(RetryHandler.ClassKey, retryClass);
        request.Options.Set(RetryHandler.AttemptsKey, attempts);
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
            var transport = KubeErrorMapper.MapTransport(ex, _contextName, _server, attempts.Count, ex is OperationCanceledException ? timeout : null);
            if (attempts.MayHaveLanded && retryClass is RetryClass.Create or RetryClass.Delete)
            {
                return await SettleByReadingBackAsync(method, path, body, retryClass, attempts, null, transport, what, ct).ConfigureAwait(false);
            }
            if (attempts.MayHaveLanded)
            {
                throw OutcomeUnknown(method, path, attempts, transport, what,
                    "Read the object to see whether the change is there before sending it again.");
            }
            throw transport;
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            var apiEx = new KubeApiException(method.Method, path, (int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, text)
            {
                Attempts = attempts.Count,
                RetryAfter = RetryHandler.RetryAfter(response),
                ContextName = _contextName,
                What = what,
            };
            if (retryClass == RetryClass.Delete && apiEx.StatusCode == 404 && attempts.MayHaveLanded)
            {
                // An earlier attempt deleted it and its answer was lost.
                Trace?.Invoke($"{method} {path}: 404 after {Attempts(attempts.Count)}, an earlier attempt deleted it");
                return Synthesized(new JsonObject { ["kind"] = "Status", ["apiVersion"] = "v1", ["status"] = "Success" });
            }
            if (attempts.MayHaveLanded && retryClass is RetryClass.Create or RetryClass.Delete
                && (apiEx.StatusCode is 404 or 409 || apiEx.StatusCode >= 500))
            {
                return await SettleByReadingBackAsync(method, path, body, retryClass, attempts, apiEx, null, what, ct).ConfigureAwait(false);
            }
            throw Refused(apiEx);
        }
    }

    /// <summary>
    /// Runs the exec credential plugin, when one is due, before the request's timeout starts: a plugin may wait for the
    /// user (a browser login, a device code) far longer than a request may take. Only Ctrl+C (and the plugin's own
    /// time limit) stops it.
    /// </summary>
    private ValueTask<ExecCredential?> EnsureCredentialAsync(CancellationToken ct) =>
        _execCredentials is null ? default : RunPluginAsync(_execCredentials, ct);

    private static async ValueTask<ExecCredential?> RunPluginAsync(ExecCredentialSource source, CancellationToken ct) =>
        await source.GetAsync(ct).ConfigureAwait(false);

    /// <summary>
    /// Which retries cannot apply a write twice: reads and dry runs; creates of a named object (a second one is refused
    /// with 409, then read back); deletes; server-side apply and merge patches (absolute values); PUTs (a replace or an
    /// absolute scale); JSON patches only when a test guards them or they only replace. Anything else retries on 429 only.
    /// </summary>
    public static RetryClass Classify(HttpMethod method, string path, JsonNode? body, string? contentType)
    {
        if (method == HttpMethod.Get || method == HttpMethod.Head || path.Contains("dryRun=All", StringComparison.Ordinal))
        {
            return RetryClass.Read;
        }
        if (method == HttpMethod.Delete)
        {
            // A DELETE of a collection (by selector) deletes whatever matches when it lands: sending it again is the same.
            return path.Contains("labelSelector=", StringComparison.Ordinal) ? RetryClass.IdempotentWrite : RetryClass.Delete;
        }
        if (method == HttpMethod.Post)
        {
            return body?["metadata"]?["name"] is JsonValue ? RetryClass.Create : RetryClass.UnsafeWrite;
        }
        if (method == HttpMethod.Put)
        {
            return RetryClass.IdempotentWrite;
        }
        if (method == HttpMethod.Patch)
        {
            if (contentType == JsonPatch)
            {
                var ops = (body as JsonArray)?.Select(o => o?["op"]?.GetValue<string>()).ToList() ?? [];
                return ops.Contains("test") || (ops.Count > 0 && ops.All(o => o is "replace"))
                    ? RetryClass.IdempotentWrite
                    : RetryClass.UnsafeWrite;
            }
            return RetryClass.IdempotentWrite;
        }
        return RetryClass.UnsafeWrite;
    }

    /// <summary>What this face throws for an answer the server refused: the raw answer, or its one mapping.</summary>
    private Exception Refused(KubeApiException answer) => ThrowsRaw ? answer : answer.ToRayPSException();

    private static readonly TimeSpan ReadBackTimeout = TimeSpan.FromSeconds(10);

    private async Task<HttpResponseMessage> SettleByReadingBackAsync(HttpMethod method, string path, JsonNode? body, RetryClass retryClass,
        RequestAttempts attempts, KubeApiException? answer, RayPSException? transport, string? what, CancellationToken ct)
    {
        var itemPath = ItemPath(path, retryClass == RetryClass.Create ? body?["metadata"]?["name"]?.GetValue<string>() : null);
        JsonObject? stored = null;
        RayPSException? readFailure = null;
        try
        {
            using var readCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            readCts.CancelAfter(ReadBackTimeout < RequestTimeout ? ReadBackTimeout : RequestTimeout);
            stored = await Raw.GetAsync(itemPath, readCts.Token, what).ConfigureAwait(false);
        }
        catch (KubeApiException ex) when (ex.IsNotFound)
        {
        }
        catch (KubeApiException ex)
        {
            readFailure = ex.ToRayPSException();
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            readFailure = new RayPSException(ErrorIds.KubeApiTimeout, RayErrorCategory.OperationTimeout, $"Reading {itemPath} back timed out.", what);
        }
        catch (RayPSException ex)
        {
            // No answer at all (transport): already final.
            readFailure = ex;
        }
        Trace?.Invoke($"{method} {path}: read back after {Attempts(attempts.Count)} -> " +
            (readFailure is not null ? "failed" : stored is null ? "not there" : "found"));

        var failure = transport ?? answer!.ToRayPSException();
        if (readFailure is not null)
        {
            throw OutcomeUnknown(method, path, attempts, failure, what, $"Reading it back failed too ({readFailure.Message}); look at {itemPath} before sending it again.");
        }

        if (retryClass == RetryClass.Delete)
        {
            if (stored is null || stored["metadata"]?["deletionTimestamp"] is not null)
            {
                // An earlier attempt landed: the object is gone or going.
                return Synthesized(stored ?? new JsonObject { ["kind"] = "Status", ["apiVersion"] = "v1", ["status"] = "Success" });
            }
            if (answer is not null)
            {
                // Every attempt was answered (and refused): nothing is left in flight.
                throw Refused(answer);
            }
            throw OutcomeUnknown(method, path, attempts, failure, what, "The object is still there without a deletion mark; the server may still delete it. Look again before deleting it again.");
        }

        if (stored is not null && body is not null && JsonSubset.Contains(stored, Mine(body)))
        {
            // Our create landed on an attempt whose answer was lost.
            return Synthesized(stored, HttpStatusCode.Created);
        }
        if (stored is not null || (answer is not null && answer.StatusCode < 500))
        {
            throw answer is not null ? Refused(answer) : failure;
        }
        if (answer is not null)
        {
            // The server answered 5xx every time and the object is not there: nothing was created.
            throw Refused(answer);
        }
        throw OutcomeUnknown(method, path, attempts, failure, what,
            "It was not there when read back, but the server may still create it: look for it before creating it again.");
    }

    /// <summary>The parts of a create that identify our object: its labels, annotations and spec (the server only adds to them).</summary>
    private static JsonObject Mine(JsonNode body)
    {
        var mine = new JsonObject();
        if (body["metadata"]?["labels"] is { } labels) mine["metadata"] = new JsonObject { ["labels"] = labels.DeepClone() };
        if (body["metadata"]?["annotations"] is { } annotations)
        {
            mine["metadata"] ??= new JsonObject();
            mine["metadata"]!["annotations"] = annotations.DeepClone();
        }
        if (body["spec"] is { } spec) mine["spec"] = spec.DeepClone();
        return mine;
    }

    private static string ItemPath(string path, string? name)
    {
        var bare = path.Split('?')[0];
        return name is null ? bare : bare.TrimEnd('/') + "/" + Uri.EscapeDataString(name);
    }

    private static HttpResponseMessage Synthesized(JsonObject obj, HttpStatusCode status = HttpStatusCode.OK) =>
        new(status) { Content = new StringContent(obj.ToJsonString(), Encoding.UTF8, "application/json") };

    private RayPSException OutcomeUnknown(HttpMethod method, string path, RequestAttempts attempts, RayPSException cause, string? what, string advice) =>
        new(ErrorIds.KubeApiOutcomeUnknown, RayErrorCategory.OperationTimeout,
            $"The outcome of {method.Method} {what ?? path} is unknown: {cause.Message.TrimEnd('.')} ({Attempts(attempts.Count)}), and the server may have applied it. {advice}",
            what ?? path, cause) { StatusCode = cause.StatusCode };

    internal static string Attempts(int count) => count == 1 ? "1 attempt" : $"{count} attempts";

    private HttpRequestMessage NewRequest(HttpMethod method, string path, JsonNode? body, string? contentType, ExecCredential? credential = null)
    {
        var request = new HttpRequestMessage(method, new Uri(_server, path.TrimStart('/')));
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

    private Task<HttpResponseMessage> SendCoreAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken ct)
    {
        var applied = _credentials?.ApplyAsync(request, ct) ?? ValueTask.CompletedTask;
        return applied.IsCompletedSuccessfully ? _http.SendAsync(request, completion, ct) : SendAfterCredentialsAsync(applied, request, completion, ct);
    }

    private async Task<HttpResponseMessage> SendAfterCredentialsAsync(ValueTask applied, HttpRequestMessage request, HttpCompletionOption completion,
        CancellationToken ct)
    {
        await applied.ConfigureAwait(false);
        return await _http.SendAsync(request, completion, ct).ConfigureAwait(false);
    }

    public string ContextName => _contextName;
}
