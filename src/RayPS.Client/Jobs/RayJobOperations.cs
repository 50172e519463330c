using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using RayPS.Model;
using RayPS.Errors;
using RayPS.Kube;
using RayPS.Ray;

namespace RayPS.Jobs;

/// <summary>What a working-directory upload did.</summary>
public sealed record PackageUpload(string Uri, bool Uploaded, long Bytes, int Files);

/// <summary>
/// Ray's Jobs REST API (version 4) of one cluster, through <see cref="RayHttpClient"/>. Requests: submit 1 POST + 1 GET
/// (plus 1 GET, and 1 PUT when new, for a working directory); get 1 GET; list 1 GET; logs 1 GET; follow 1 WebSocket;
/// stop 1 POST; remove 1 DELETE; waits poll GET /api/jobs/ID (0.25 s, growing to 2 s).
/// </summary>
public static class RayJobOperations
{
    public static readonly TimeSpan FirstPoll = TimeSpan.FromMilliseconds(250);
    public static readonly TimeSpan MaxPoll = TimeSpan.FromSeconds(2);

    public static string JobPath(string id) => "/api/jobs/" + Uri.EscapeDataString(id);

    /// <summary>Checks the entrypoint before anything is sent.</summary>
    public static void ValidateEntrypoint(string? entrypoint)
    {
        if (string.IsNullOrWhiteSpace(entrypoint))
        {
            throw new RayPSException(ErrorIds.RayJobEntrypointEmpty, RayErrorCategory.InvalidArgument,
                "The entrypoint is empty. Pass the shell command the job runs on the head, e.g. -Entrypoint 'python train.py --epochs 3'.");
        }
    }

    /// <summary>
    /// Packs the working directory and uploads it unless the cluster already has that content: GET
    /// /api/packages/gcs/NAME (200: present), else PUT the zip. Too large or missing folders fail before any request.
    /// </summary>
    public static async Task<PackageUpload> UploadWorkingDirectoryAsync(RayHttpClient ray, string directory, IEnumerable<string> excludes, CancellationToken ct)
    {
        var max = WorkingDirectoryPackage.MaxBytes();
        var package = WorkingDirectoryPackage.Scan(directory, WorkingDirectoryPackage.DefaultExcludes().Concat(excludes), max);
        var packagePath = "/api/packages/gcs/" + package.Name;
        var exists = await ray.GetAsync(packagePath, ct).ConfigureAwait(false);
        if (exists.IsSuccess)
        {
            return new PackageUpload(package.Uri, false, package.ContentBytes, package.FileCount);
        }
        if (exists.Status != 404 || exists.FromApiServer)
        {
            throw await ray.ErrorAsync(exists, null, ct).ConfigureAwait(false);
        }
        var zip = package.Zip(max);
        // A large upload through the API server may take longer than a normal request.
        var put = await ray.PutBytesAsync(packagePath, zip, ct, TimeSpan.FromSeconds(Math.Max(60, zip.Length / (1024 * 1024)))).ConfigureAwait(false);
        if (!put.IsSuccess)
        {
            throw await ray.ErrorAsync(put, null, ct).ConfigureAwait(false);
        }
        return new PackageUpload(package.Uri, true, zip.Length, package.FileCount);
    }

    /// <summary>Submits a job (uploading its working directory first when given) and returns it as Ray reports it.</summary>
    public static async Task<(RayJob Job, PackageUpload? Upload)> SubmitAsync(RayHttpClient ray, RayJobSubmission submission, CancellationToken ct)
    {
        ValidateEntrypoint(submission.Entrypoint);
        PackageUpload? upload = null;
        if (submission.WorkingDirectory is { } folder)
        {
            upload = await UploadWorkingDirectoryAsync(ray, folder, submission.AllExcludes(), ct).ConfigureAwait(false);
        }
        var answer = await ray.PostJsonAsync("/api/jobs/", submission.Body(upload?.Uri), ct).ConfigureAwait(false);
        if (!answer.IsSuccess)
        {
            throw await ray.ErrorAsync(answer, submission.SubmissionId, ct).ConfigureAwait(false);
        }
        var id = answer.Json()?["submission_id"].AsString() ?? answer.Json()?["job_id"].AsString()
            ?? throw new RayPSException(ErrorIds.RayJobRequestFailed, RayErrorCategory.InvalidData,
                $"Ray accepted the job on cluster '{ray.Namespace}/{ray.ClusterName}' but its answer named no submission id: {RayHttpAnswer.Shorten(answer.Body)}");
        return (await GetAsync(ray, id, ct).ConfigureAwait(false), upload);
    }

    public static async Task<RayJob> GetAsync(RayHttpClient ray, string id, CancellationToken ct)
    {
        var answer = await ray.GetAsync(JobPath(id), ct).ConfigureAwait(false);
        if (!answer.IsSuccess)
        {
            throw await ray.ErrorAsync(answer, id, ct).ConfigureAwait(false);
        }
        return RayJob.FromJson(answer.Json(), ray.Namespace, ray.ClusterName, DateTimeOffset.UtcNow);
    }

    /// <summary>Every job of the cluster, submission jobs first, then driver jobs (Ray's order).</summary>
    public static async Task<IReadOnlyList<RayJob>> ListAsync(RayHttpClient ray, CancellationToken ct)
    {
        var answer = await ray.GetAsync("/api/jobs/", ct).ConfigureAwait(false);
        if (!answer.IsSuccess)
        {
            throw await ray.ErrorAsync(answer, null, ct).ConfigureAwait(false);
        }
        var now = DateTimeOffset.UtcNow;
        return (answer.Json() as JsonArray ?? []).Select(n => RayJob.FromJson(n, ray.Namespace, ray.ClusterName, now)).ToList();
    }

    /// <summary>Polls the job until it is terminal; RayJobTimeout (with the last state) when <paramref name="timeout"/> passes first.</summary>
    public static async Task<RayJob> WaitAsync(RayHttpClient ray, string id, TimeSpan timeout, Action<RayJob>? progress, CancellationToken ct, RayJob? known = null)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        var delay = FirstPoll;
        var job = known ?? await GetAsync(ray, id, ct).ConfigureAwait(false);
        while (true)
        {
            progress?.Invoke(job);
            if (job.IsTerminal)
            {
                return job;
            }
            var left = deadline - DateTimeOffset.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new RayPSException(ErrorIds.RayJobTimeout, RayErrorCategory.OperationTimeout,
                    $"Ray job '{id}' on cluster '{ray.Namespace}/{ray.ClusterName}' is still {job.Status} after {timeout.TotalSeconds:0.###} s. "
                    + $"Wait longer with Wait-RayJob -TimeoutSec, read its log with Receive-RayJob, or stop it with Stop-RayJob.", id);
            }
            await Task.Delay(delay < left ? delay : left, ct).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(MaxPoll.Ticks, (long)(delay.Ticks * 1.5)));
            job = await GetAsync(ray, id, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The error record a FAILED or STOPPED job deserves (null for any other status).</summary>
    public static RayPSException? OutcomeError(RayJob job) => job.Status switch
    {
        "FAILED" => new RayPSException(ErrorIds.RayJobFailed, RayErrorCategory.InvalidResult,
            $"Ray job '{job.Id}' on cluster '{job.Namespace}/{job.ClusterName}' FAILED{(job.ErrorType is { } t ? $" ({t})" : "")}: {FirstLines(job.Message)} Read its log with Receive-RayJob {job.Id} -ClusterName {job.ClusterName}.", job),
        "STOPPED" => new RayPSException(ErrorIds.RayJobStopped, RayErrorCategory.OperationStopped,
            $"Ray job '{job.Id}' on cluster '{job.Namespace}/{job.ClusterName}' was STOPPED: {FirstLines(job.Message)}", job),
        _ => null,
    };

    private static string FirstLines(string? message)
    {
        if (string.IsNullOrWhiteSpace(message))
        {
            return "Ray gave no message.";
        }
        var text = message.Trim();
        return text.Length > 600 ? text[..600] + "..." : text;
    }

    /// <summary>The driver's log so far (empty while no driver has started).</summary>
    public static async Task<string> GetLogsAsync(RayHttpClient ray, string id, CancellationToken ct)
    {
        var answer = await ray.GetAsync(JobPath(id) + "/logs", ct).ConfigureAwait(false);
        if (!answer.IsSuccess)
        {
            throw await ray.ErrorAsync(answer, id, ct).ConfigureAwait(false);
        }
        return answer.Json()?["logs"].AsString() ?? "";
    }

    /// <summary>
    /// Streams the driver's log lines until the job ends: Ray's logs/tail WebSocket through the API server's proxy, or,
    /// where the upgrade is refused, GET .../logs and the job's status polled. Returns how it followed.
    /// </summary>
    public static async Task<string> FollowAsync(RayHttpClient ray, string id, Action<string> line, CancellationToken ct, bool allowWebSocket = true)
    {
        if (allowWebSocket)
        {
            var (socket, refusal) = await ray.ConnectWebSocketAsync(JobPath(id) + "/logs/tail", TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
            if (socket is not null)
            {
                using (socket)
                {
                    await ReadLinesAsync(socket, line, ct).ConfigureAwait(false);
                }
                return "websocket";
            }
            if (refusal is { Status: 404 or 400 })
            {
                // Ray answers unknown jobs and driver jobs before the upgrade: ask again over HTTP for its words.
                await GetAsync(ray, id, ct).ConfigureAwait(false);
                await GetLogsAsync(ray, id, ct).ConfigureAwait(false);
            }
        }
        await PollLogsAsync(ray, id, line, ct).ConfigureAwait(false);
        return "polling";
    }

    private static async Task ReadLinesAsync(ClientWebSocket socket, Action<string> line, CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        var pending = new StringBuilder();
        var decoder = Encoding.UTF8.GetDecoder();
        var chars = new char[Encoding.UTF8.GetMaxCharCount(buffer.Length)];
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, ct).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }
                var count = decoder.GetChars(buffer, 0, result.Count, chars, 0, flush: false);
                pending.Append(chars, 0, count);
                EmitComplete(pending, line);
            }
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None).ConfigureAwait(false);
        }
        catch (WebSocketException) when (!ct.IsCancellationRequested)
        {
            // The head went away mid-stream: what arrived is emitted below; Wait-RayJob tells the outcome.
        }
        if (pending.Length > 0)
        {
            line(pending.ToString());
        }
    }

    private static void EmitComplete(StringBuilder pending, Action<string> line)
    {
        var text = pending.ToString();
        var last = text.LastIndexOf('\n');
        if (last < 0)
        {
            return;
        }
        foreach (var l in text[..last].Split('\n'))
        {
            line(l.TrimEnd('\r'));
        }
        pending.Clear().Append(text[(last + 1)..]);
    }

    private static async Task PollLogsAsync(RayHttpClient ray, string id, Action<string> line, CancellationToken ct)
    {
        var sent = 0;
        var pending = new StringBuilder();
        var delay = FirstPoll;
        while (true)
        {
            var job = await GetAsync(ray, id, ct).ConfigureAwait(false);
            var logs = await GetLogsAsync(ray, id, ct).ConfigureAwait(false);
            if (logs.Length > sent)
            {
                pending.Append(logs, sent, logs.Length - sent);
                sent = logs.Length;
                EmitComplete(pending, line);
            }
            if (job.IsTerminal)
            {
                break;
            }
            await Task.Delay(delay, ct).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(MaxPoll.Ticks, (long)(delay.Ticks * 1.5)));
        }
        if (pending.Length > 0)
        {
            line(pending.ToString());
        }
    }

    /// <summary>Asks Ray to stop the job; false when it had already ended.</summary>
    public static async Task<bool> StopAsync(RayHttpClient ray, string id, CancellationToken ct)
    {
        var answer = await ray.PostJsonAsync(JobPath(id) + "/stop", null, ct).ConfigureAwait(false);
        if (!answer.IsSuccess)
        {
            throw await ray.ErrorAsync(answer, id, ct).ConfigureAwait(false);
        }
        return answer.Json()?["stopped"].AsBool() ?? false;
    }

    /// <summary>Deletes a terminal job's record; RayJobNotTerminal when it still runs.</summary>
    public static async Task DeleteAsync(RayHttpClient ray, string id, CancellationToken ct)
    {
        var answer = await ray.DeleteAsync(JobPath(id), ct).ConfigureAwait(false);
        if (answer.IsSuccess)
        {
            return;
        }
        if (!answer.FromApiServer && answer.Status == 500 && answer.Body.Contains("non-terminal state", StringComparison.Ordinal))
        {
            throw new RayPSException(ErrorIds.RayJobNotTerminal, RayErrorCategory.InvalidOperation,
                $"Ray job '{id}' on cluster '{ray.Namespace}/{ray.ClusterName}' has not ended ({answer.RayMessage()}). Stop it first with Stop-RayJob, or pass -Force to stop and then remove it.", id)
            { StatusCode = 500 };
        }
        throw await ray.ErrorAsync(answer, id, ct).ConfigureAwait(false);
    }
}
