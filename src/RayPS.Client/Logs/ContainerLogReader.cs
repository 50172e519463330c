using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using RayPS.Errors;
using RayPS.Kube;

namespace RayPS.Logs;

/// <summary>What to read of a container's log (the query of pods/NAME/log).</summary>
internal sealed record ContainerLogOptions(bool Previous, long? TailLines, long? SinceSeconds, bool Follow, bool Timestamps = true);

/// <summary>
/// Reads a container's log through <c>pods/NAME/log</c>: one GET per container instance, streamed line by line (and kept
/// open with follow=true until the container stops or the caller cancels). The kubelet's refusals become ErrorIds that
/// say what is wrong: the container has not started (400 "waiting to start"), has no previous instance, or the caller
/// lacks get on pods/log (403).
/// </summary>
internal static class ContainerLogReader
{
    public static string LogPath(string ns, string pod, string container, ContainerLogOptions options)
    {
        var query = new StringBuilder("?container=").Append(Uri.EscapeDataString(container));
        if (options.Timestamps)
        {
            query.Append("&timestamps=true");
        }
        if (options.Previous)
        {
            query.Append("&previous=true");
        }
        if (options.TailLines is { } tail)
        {
            query.Append("&tailLines=").Append(tail.ToString(CultureInfo.InvariantCulture));
        }
        if (options.SinceSeconds is { } since)
        {
            query.Append("&sinceSeconds=").Append(since.ToString(CultureInfo.InvariantCulture));
        }
        if (options.Follow)
        {
            query.Append("&follow=true");
        }
        return KubePaths.PodLog(ns, pod) + query;
    }

    /// <summary>Opens the log; the caller disposes the response. Failures throw RayPSExceptions with log-specific ErrorIds.</summary>
    public static async Task<HttpResponseMessage> OpenAsync(KubeConnection connection, string ns, string pod, string container, ContainerLogOptions options, CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            response = await connection.Api.Raw.SendAsync(HttpMethod.Get, LogPath(ns, pod, container, options), null, null, ct, $"log of pod '{pod}'",
                HttpCompletionOption.ResponseHeadersRead, streaming: true).ConfigureAwait(false);
        }
        catch (KubeApiException ex)
        {
            throw Map(connection, ns, pod, container, options, ex);
        }
        if (response.StatusCode == HttpStatusCode.NoContent)
        {
            response.Dispose();
            throw new RayPSException(ErrorIds.ContainerNotStarted, RayErrorCategory.ResourceUnavailable,
                $"Pod '{pod}' in namespace '{ns}' is not scheduled to a node yet (Pending): the API server has no log for it (204 No Content). " +
                "Get-RayNodeHealth shows why it is pending.", pod) { StatusCode = 204 };
        }
        return response;
    }

    /// <summary>The log's lines as they arrive, the kubelet's timestamps split off.</summary>
    public static async IAsyncEnumerable<(DateTimeOffset? Time, string Text)> ReadLinesAsync(HttpResponseMessage response, bool timestamps,
        [EnumeratorCancellation] CancellationToken ct)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
        {
            yield return timestamps ? LogText.SplitKubeletTimestamp(line) : (null, line);
        }
    }

    private static RayPSException Map(KubeConnection connection, string ns, string pod, string container, ContainerLogOptions options, KubeApiException ex)
    {
        var server = ex.ServerMessage ?? ex.Message;
        switch (ex.StatusCode)
        {
            case 400 when server.Contains("previous terminated container", StringComparison.Ordinal):
                return new RayPSException(ErrorIds.PreviousLogNotFound, RayErrorCategory.ObjectNotFound,
                    $"{server}: container '{container}' of pod '{pod}' has not restarted, so it has no previous log. Read its current log without -Previous.",
                    pod, ex) { StatusCode = 400 };
            case 400 when server.Contains("is waiting to start", StringComparison.Ordinal) || server.Contains("is terminated", StringComparison.Ordinal)
                          || server.Contains("is not available", StringComparison.Ordinal):
                return new RayPSException(ErrorIds.ContainerNotStarted, RayErrorCategory.ResourceUnavailable,
                    $"{server} (the API server has no log for it yet). Get-RayNodeHealth shows why; try again once it runs, or read -Previous if it ran before.",
                    pod, ex) { StatusCode = 400 };
            case 400 when server.Contains("is not valid for pod", StringComparison.Ordinal) || server.Contains("a container name must be specified", StringComparison.Ordinal):
                return new RayPSException(ErrorIds.ContainerNotFound, RayErrorCategory.ObjectNotFound,
                    $"{server}. Pass -Container with one of the pod's containers.", pod, ex) { StatusCode = 400 };
            case 403:
                return LogPodResolver.Forbidden(connection, ns, "get pods/log", ex);
            case 404:
                return new RayPSException(ErrorIds.PodNotFound, RayErrorCategory.ObjectNotFound,
                    $"Pod '{pod}' no longer exists in namespace '{ns}' ({server}); it was probably replaced. Run the command again to read the current pods.", pod, ex) { StatusCode = 404 };
            default:
                return ex.ToRayPSException();
        }
    }
}
