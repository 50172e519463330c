using System.Globalization;
using System.Text.Json.Nodes;
using RayPS.Model;
using RayPS.Errors;
using RayPS.Kube;
using RayPS.Ray;

namespace RayPS.Logs;

/// <summary>
/// Reads Ray's session log files of a cluster's nodes through the head dashboard's state API, over the API server's
/// service proxy (no exec, no port-forward): <c>/api/v0/nodes</c> once per cluster to map pod IPs to node ids,
/// <c>/api/v0/logs?node_id=</c> to list a node's files and <c>/api/v0/logs/file?node_id=&amp;filename=&amp;lines=&amp;format=text</c>
/// to read one (format=text, Ray ≥ 2.33: the raw bytes; Ray reports a failed read with status 200 and
/// <c>[get_logs] Fetch log error: ...</c> in the body). Nothing here throws but cancellation: failures are returned.
/// </summary>
internal sealed class RayLogReader
{
    public const string ReadErrorPrefix = "[get_logs] Fetch log error: ";

    private readonly RayHttpClient _proxy;
    private readonly KubeConnection _connection;
    private readonly TimeSpan _timeout;

    public RayLogReader(KubeConnection connection, string ns, string cluster, TimeSpan timeout)
    {
        _connection = connection;
        _proxy = new RayHttpClient(connection, ns, cluster);
        _timeout = timeout;
    }

    private int ServerTimeoutSeconds => Math.Max(2, (int)Math.Ceiling(_timeout.TotalSeconds));

    /// <summary>The ALIVE Ray nodes by IP, or why Ray's log API cannot be used (head down, forbidden, ...).</summary>
    public async Task<(IReadOnlyDictionary<string, string>? NodeIdByIp, RayPSException? Problem)> NodesAsync(CancellationToken ct)
    {
        var answer = await _proxy.TryGetAsync($"/api/v0/nodes?limit=10000&timeout={ServerTimeoutSeconds}", _timeout, ct).ConfigureAwait(false);
        var nodes = RayNodesResult.Read(answer, summaryView: false);
        if (!nodes.Known)
        {
            return (null, nodes.Forbidden ? Forbidden(answer) : Unreachable(nodes.Problem ?? answer.StatusText()));
        }
        var byIp = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var node in nodes.Nodes.Where(n => n.IsAlive && !string.IsNullOrEmpty(n.Ip)))
        {
            byIp[node.Ip!] = node.NodeId;
        }
        return (byIp, null);
    }

    /// <summary>The node's log files (directories left out), sorted.</summary>
    public async Task<(IReadOnlyList<string>? Files, RayPSException? Error)> ListAsync(string nodeId, string pod, CancellationToken ct)
    {
        var answer = await _proxy.TryGetAsync($"/api/v0/logs?node_id={nodeId}&glob=*&timeout={ServerTimeoutSeconds}", _timeout, ct).ConfigureAwait(false);
        if (Transport(answer) is { } failure)
        {
            return (null, failure);
        }
        if (!RayEnvelope.TryParse(answer.Body, out var envelope) || !answer.IsSuccess || !envelope.Result || envelope.Data?["result"] is not JsonObject result)
        {
            var message = RayEnvelope.TryParse(answer.Body, out var e) && e.Message.Length > 0 ? e.Message : answer.StatusText();
            return (null, new RayPSException(ErrorIds.RayLogReadFailed, RayErrorCategory.ReadError,
                $"Ray could not list the log files of pod '{pod}' (node {nodeId}) of cluster '{_proxy.ClusterName}': {message}.", pod));
        }
        var files = result.Select(p => p.Value).OfType<JsonArray>().SelectMany(a => a)
            .Select(f => f.AsString() ?? "")
            .Where(f => f.Length > 0 && !f.EndsWith('/'))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
        return (files, null);
    }

    /// <summary>One file's text: its last <paramref name="lines"/> lines, all of it for -1.</summary>
    public async Task<(string? Text, RayPSException? Error)> ReadAsync(string nodeId, string pod, string file, int lines, CancellationToken ct)
    {
        var path = $"/api/v0/logs/file?node_id={nodeId}&filename={Uri.EscapeDataString(file)}&lines={lines.ToString(CultureInfo.InvariantCulture)}&format=text&timeout={ServerTimeoutSeconds}";
        var answer = await _proxy.TryGetAsync(path, _timeout, ct).ConfigureAwait(false);
        if (Transport(answer) is { } failure)
        {
            return (null, failure);
        }
        var body = answer.Body;
        if (!answer.IsSuccess)
        {
            return (null, ReadFailed(pod, file, answer.StatusText()));
        }
        if (body.StartsWith(ReadErrorPrefix, StringComparison.Ordinal))
        {
            return (null, ReadFailed(pod, file, body[ReadErrorPrefix.Length..].Trim()));
        }
        // A read that fails part-way appends the error after the bytes already sent.
        var at = body.LastIndexOf("\n" + ReadErrorPrefix, StringComparison.Ordinal);
        if (at >= 0)
        {
            return (body[..(at + 1)], ReadFailed(pod, file, body[(at + 1 + ReadErrorPrefix.Length)..].Trim() + " (the lines before the failure were kept)"));
        }
        return (body, null);
    }

    /// <summary>
    /// Follows one file through <c>/api/v0/logs/stream</c> (the last <paramref name="lines"/> lines, then new ones as the node
    /// writes them) until the caller cancels or Ray ends the stream; each line goes to <paramref name="onLine"/>.
    /// </summary>
    public async Task<RayPSException?> FollowAsync(string nodeId, string pod, string file, int lines, Action<string> onLine, CancellationToken ct)
    {
        var path = $"/api/v0/logs/stream?node_id={nodeId}&filename={Uri.EscapeDataString(file)}&lines={lines.ToString(CultureInfo.InvariantCulture)}&format=text";
        var (response, refusal) = await _proxy.OpenStreamAsync(path, $"Ray log file '{file}' of pod '{pod}'", ct).ConfigureAwait(false);
        if (response is null)
        {
            return Transport(refusal!) ?? ReadFailed(pod, file, refusal!.StatusText());
        }
        using (response)
        {
            try
            {
                await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
                using var reader = new StreamReader(stream, System.Text.Encoding.UTF8);
                while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
                {
                    if (line.StartsWith(ReadErrorPrefix, StringComparison.Ordinal))
                    {
                        return ReadFailed(pod, file, line[ReadErrorPrefix.Length..].Trim() + (await reader.ReadToEndAsync(ct).ConfigureAwait(false)).TrimEnd());
                    }
                    onLine(line);
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException && !ct.IsCancellationRequested)
            {
                return Unreachable($"the stream broke: {ex.Message}");
            }
        }
        return null;
    }

    private RayPSException ReadFailed(string pod, string file, string message) =>
        new(ErrorIds.RayLogReadFailed, RayErrorCategory.ReadError,
            $"Ray could not read log file '{file}' of pod '{pod}' of cluster '{_proxy.ClusterName}': {message}. List the node's files with Get-RayNodeLog -RayLog '*'.",
            $"{pod}/{file}");

    /// <summary>The API server or the proxy path failed (not Ray): the head is down, unreachable or the proxy is forbidden.</summary>
    private RayPSException? Transport(RayHttpAnswer answer)
    {
        if (answer.TimedOut)
        {
            return Unreachable($"it did not answer within {answer.Timeout.TotalSeconds:0.#} s");
        }
        if (answer.TransportError is { } error)
        {
            return Unreachable(error);
        }
        if (answer.ApiServerStatus is { } status)
        {
            return answer.Status == 403 ? Forbidden(answer) : Unreachable(status.Message ?? answer.StatusText());
        }
        if (answer.Status == 404)
        {
            return Unreachable($"this Ray version has no log API ({answer.StatusText()})");
        }
        return null;
    }

    private RayPSException Unreachable(string why) =>
        new(ErrorIds.RayLogApiUnreachable, RayErrorCategory.ConnectionError,
            $"Ray's log API on the head of cluster '{_proxy.ClusterName}' in namespace '{_proxy.Namespace}' cannot be reached through service {_proxy.ServiceName} ({why}). " +
            "The head is probably down (Get-RayNodeHealth shows it); container logs (pods/log) do not need it.",
            _proxy.ClusterName);

    private RayPSException Forbidden(RayHttpAnswer answer) =>
        new(ErrorIds.KubeApiForbidden, RayErrorCategory.PermissionDenied,
            $"Permission denied in context '{_connection.ContextName}': cannot get services/proxy in namespace '{_proxy.Namespace}' ({answer.ApiServerStatus?.Message ?? answer.StatusText()}), so Ray's log files of cluster '{_proxy.ClusterName}' cannot be read. " +
            $"{LogPodResolver.NeededRole} Check with: kubectl auth can-i get services/proxy -n {_proxy.Namespace}.",
            "services/proxy") { StatusCode = 403 };
}
