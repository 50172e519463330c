using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using RayPS.Errors;
using RayPS.Model;

namespace RayPS.Kube;

/// <summary>One watch event: ADDED, MODIFIED, DELETED, BOOKMARK or ERROR, with its object (a metav1.Status for ERROR).</summary>
public sealed class KubeWatchEvent
{
    public KubeWatchEvent(string type, JsonObject obj)
    {
        Type = type;
        Object = obj;
    }

    public string Type { get; }
    public JsonObject Object { get; }

    public string? ResourceVersion => Object.Str("metadata.resourceVersion");

    /// <summary>The server dropped the resourceVersion we watched from (410 Gone / Expired): read the state again.</summary>
    public bool IsExpired => Type == "ERROR" && (Object.Int("code") == 410 || Object.Str("reason") is "Expired" or "Gone");
}

/// <summary>
/// A watch on one collection, read as newline-delimited JSON events from a streaming GET. <see cref="RunAsync"/>
/// reconnects when the server ends the stream, resumes from the last resourceVersion seen, and re-reads the state
/// through the caller's resync function when that version has expired — so callers see every change exactly once
/// and never poll.
/// </summary>
public sealed class KubeWatch
{
    private readonly KubeApi _api;
    private readonly string _collectionPath;

    /// <summary>A watch on <paramref name="collectionPath"/>, e.g. /apis/ray.io/v1/namespaces/default/rayclusters.</summary>
    public KubeWatch(KubeApi api, string collectionPath)
    {
        _api = api;
        _collectionPath = collectionPath;
    }

    private static readonly TimeSpan MinStreamTime = TimeSpan.FromSeconds(1);

    public string? FieldSelector { get; init; }
    public string? LabelSelector { get; init; }

    /// <summary>How long the server keeps one watch request open before it ends it (we then reconnect).</summary>
    public TimeSpan ServerTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>What the watch is about, for error messages ("RayCluster 'x'").</summary>
    public string? What { get; init; }

    /// <summary>API server answers that say nothing about the watched objects and may pass: 429 and 5xx.</summary>
    private static bool IsPassing(KubeApiException ex) => ex.IsThrottled || ex.IsServerError;

    /// <summary>The request path of one watch from <paramref name="resourceVersion"/>.</summary>
    public string WatchPath(string? resourceVersion)
    {
        var query = new List<string> { "watch=1", "allowWatchBookmarks=true" };
        if (!string.IsNullOrEmpty(FieldSelector))
        {
            query.Add("fieldSelector=" + Uri.EscapeDataString(FieldSelector));
        }
        if (!string.IsNullOrEmpty(LabelSelector))
        {
            query.Add("labelSelector=" + Uri.EscapeDataString(LabelSelector));
        }
        if (!string.IsNullOrEmpty(resourceVersion))
        {
            query.Add("resourceVersion=" + Uri.EscapeDataString(resourceVersion));
        }
        query.Add("timeoutSeconds=" + Math.Max(1, (int)ServerTimeout.TotalSeconds));
        return _collectionPath + "?" + string.Join("&", query);
    }

    /// <summary>
    /// The events of one watch request, until the server ends the stream. A refused watch throws the unmapped
    /// <see cref="KubeApiException"/>; <see cref="RunAsync"/> branches on it and maps what it does not handle.
    /// </summary>
    public async IAsyncEnumerable<KubeWatchEvent> StreamAsync(string? resourceVersion, [EnumeratorCancellation] CancellationToken ct)
    {
        using var response = await _api.Raw.SendAsync(HttpMethod.Get, WatchPath(resourceVersion), null, null, ct, What,
            HttpCompletionOption.ResponseHeadersRead, streaming: true).ConfigureAwait(false);
        await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        while (true)
        {
            string? line;
            try
            {
                line = await reader.ReadLineAsync(ct).ConfigureAwait(false);
            }
            catch (IOException) when (!ct.IsCancellationRequested)
            {
                // The connection dropped mid-stream: end this watch; RunAsync resumes from the last version seen.
                line = null;
            }
            catch (IOException ex)
            {
                throw new OperationCanceledException("The watch was cancelled.", ex, ct);
            }
            if (line is null)
            {
                yield break;
            }
            if (line.Length == 0)
            {
                continue;
            }

            JsonObject? evt;
            try
            {
                evt = JsonNode.Parse(line) as JsonObject;
            }
            catch (JsonException ex)
            {
                throw new RayPSException(ErrorIds.KubeApiError, RayErrorCategory.InvalidData,
                    $"The API server sent a watch event that is not JSON ({What ?? _collectionPath}): {ex.Message}", What, ex);
            }
            if (evt.Str("type") is { } type && evt!["object"] is JsonObject obj)
            {
                yield return new KubeWatchEvent(type, obj);
            }
        }
    }

    /// <summary>
    /// Watches from <paramref name="resourceVersion"/> and calls <paramref name="onEvent"/> for each ADDED, MODIFIED and
    /// DELETED event until it returns true. Whenever the stream ends (closed, dropped, expired, or refused by a failing
    /// API server) it calls <paramref name="resync"/>, which re-reads the state (and may finish the wait by returning
    /// null) and returns the version to watch from next.
    /// </summary>
    public async Task RunAsync(string? resourceVersion, Func<KubeWatchEvent, bool> onEvent,
        Func<CancellationToken, Task<string?>> resync, CancellationToken ct)
    {
        var version = resourceVersion;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var expired = false;
            var failed = false;
            var events = 0;
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            try
            {
                await foreach (var evt in StreamAsync(version, ct).ConfigureAwait(false))
                {
                    events++;
                    if (evt.IsExpired)
                    {
                        expired = true;
                        break;
                    }
                    if (evt.Type == "ERROR")
                    {
                        var message = evt.Object.Str("message") ?? evt.Object.ToJsonString();
                        throw new RayPSException(ErrorIds.KubeApiError, RayErrorCategory.NotSpecified,
                            $"The watch on {What ?? _collectionPath} failed: {message}", What);
                    }
                    version = evt.ResourceVersion ?? version;
                    if (evt.Type == "BOOKMARK")
                    {
                        continue;
                    }
                    if (onEvent(evt))
                    {
                        return;
                    }
                }
            }
            catch (KubeApiException ex) when (ex.IsGone)
            {
                expired = true;
            }
            catch (KubeApiException ex) when (IsPassing(ex) && !ct.IsCancellationRequested)
            {
                // The API server failed to open the watch even after the retry policy's attempts: the state is re-read
                // below and the watch opened again, until the caller's deadline.
                KubeApi.Trace?.Invoke($"watch {What ?? _collectionPath} failed ({ex.ToRayPSException().ErrorId}); re-listing");
                failed = true;
            }
            catch (KubeApiException ex)
            {
                throw ex.ToRayPSException();
            }
            catch (RayPSException ex) when (ex.ErrorId == ErrorIds.KubeApiUnreachable && !ct.IsCancellationRequested)
            {
                // No answer at all (connection refused or lost after the retries): passes like a failing server.
                KubeApi.Trace?.Invoke($"watch {What ?? _collectionPath} failed ({ex.ErrorId}); re-listing");
                failed = true;
            }

            if ((failed || (!expired && events == 0)) && System.Diagnostics.Stopwatch.GetElapsedTime(started) < MinStreamTime)
            {
                // A server that closes (or refuses) watches at once must not turn this into a busy loop.
                await Task.Delay(MinStreamTime, ct).ConfigureAwait(false);
            }

            // Every restart re-reads the state first, as client-go's reflector re-lists: a change made while no watch was
            // open (or a watch that broke before its first event) is then never missed, and an expired version is renewed.
            version = await resync(ct).ConfigureAwait(false);
            if (version is null)
            {
                return;
            }
        }
    }
}
