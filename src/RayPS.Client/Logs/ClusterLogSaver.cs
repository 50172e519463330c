using System.IO.Compression;
using System.Text;
using RayPS.Errors;
using RayPS.Kube;

namespace RayPS.Logs;

/// <summary>What Save-RayClusterLog saves and where.</summary>
public sealed class ClusterLogSaveRequest
{
    public required string Namespace { get; init; }
    public required string ClusterName { get; init; }

    /// <summary>The folder to write (one subfolder per pod), or with <see cref="Zip"/> the archive's file name.</summary>
    public required string Path { get; init; }

    public LogPodFilter Filter { get; init; } = new();
    public bool IncludeRayLogs { get; init; }
    public TimeSpan? Since { get; init; }
    public bool Zip { get; init; }
    public bool Force { get; init; }
    public int ThrottleLimit { get; init; } = 8;
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Called with (files done, files known so far) from any thread.</summary>
    public Action<int, int>? Progress { get; init; }
}

/// <summary>
/// Saves a cluster's logs for a support ticket: per pod a folder with each container's log (current and, after a
/// restart, previous: <c>&lt;container&gt;.log</c>, <c>&lt;container&gt;.previous.log</c>, with the kubelet's timestamps) and
/// with -IncludeRayLogs Ray's session log files under <c>ray/</c>. Downloads run in parallel under one bound; a pod or a
/// file that cannot be read is reported and the rest still arrive. Requests: 1 pod LIST, 1 pods/log GET per container
/// instance; with Ray logs 1 node list, then per pod 1 file listing and 1 GET per file.
/// </summary>
public static class ClusterLogSaver
{
    /// <summary>The full path to write: the folder, or with -Zip the archive (".zip" added when missing). Checked before any request.</summary>
    public static string CheckTarget(ClusterLogSaveRequest request)
    {
        var path = System.IO.Path.GetFullPath(request.Path);
        if (request.Zip)
        {
            if (!path.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
            {
                path += ".zip";
            }
            if (Directory.Exists(path))
            {
                throw new RayPSException(ErrorIds.LogPathIsFile, RayErrorCategory.InvalidArgument,
                    $"'{path}' is a folder; -Zip needs the name of the archive to write. Pass a file name such as '{path.TrimEnd(System.IO.Path.DirectorySeparatorChar)}-logs.zip'.", path);
            }
            if (File.Exists(path) && !request.Force)
            {
                throw new RayPSException(ErrorIds.FileExists, RayErrorCategory.ResourceExists,
                    $"The archive '{path}' already exists. Pass -Force to replace it, or another -Path.", path);
            }
            return path;
        }
        if (File.Exists(path))
        {
            throw new RayPSException(ErrorIds.LogPathIsFile, RayErrorCategory.InvalidArgument,
                $"'{path}' is a file, not a folder. Pass a folder for the logs (it is created when missing), or add -Zip to write one archive.", path);
        }
        return path;
    }

    public static async Task<IReadOnlyList<FileInfo>> SaveAsync(KubeConnection connection, ClusterLogSaveRequest request, ILogSink sink, CancellationToken ct)
    {
        var target = CheckTarget(request);
        var pods = await LogPodResolver.ResolveAsync(connection, request.Namespace, request.ClusterName, request.Filter, sink.Error, sink.Warning, ct).ConfigureAwait(false);
        if (pods.Count == 0)
        {
            return [];
        }
        var folder = request.Zip ? System.IO.Path.Combine(System.IO.Path.GetTempPath(), "rayps-logs-" + Guid.NewGuid().ToString("N")) : target;
        try
        {
            var written = await DownloadAsync(connection, request, pods, folder, sink, ct).ConfigureAwait(false);
            if (!request.Zip)
            {
                return written.OrderBy(f => f.FullName, StringComparer.Ordinal).ToList();
            }
            if (written.Count == 0)
            {
                return [];
            }
            if (File.Exists(target))
            {
                File.Delete(target);
            }
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
            ZipFile.CreateFromDirectory(folder, target, CompressionLevel.Optimal, includeBaseDirectory: false);
            return [new FileInfo(target)];
        }
        finally
        {
            if (request.Zip && Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    private static async Task<List<FileInfo>> DownloadAsync(KubeConnection connection, ClusterLogSaveRequest request, IReadOnlyList<LogPod> pods, string folder,
        ILogSink sink, CancellationToken ct)
    {
        var progress = new Counter(request.Progress);
        using var throttle = new SemaphoreSlim(Math.Max(1, request.ThrottleLimit));
        var written = new List<FileInfo>();
        var gate = new object();
        void Wrote(FileInfo file)
        {
            lock (gate)
            {
                written.Add(file);
            }
        }

        var tasks = new List<Task>();
        var since = RayLogOperations.SinceSeconds(request.Since);
        foreach (var pod in pods)
        {
            var podFolder = System.IO.Path.Combine(folder, SafeName(pod.Name));
            if (string.IsNullOrEmpty(pod.Facts.NodeName))
            {
                sink.Error(new RayPSException(ErrorIds.ContainerNotStarted, RayErrorCategory.ResourceUnavailable,
                    $"Pod '{pod.Name}' is not scheduled to a node yet (Pending): the API server has no log for it. Get-RayNodeHealth shows why it is pending.", pod.Name));
                continue;
            }
            foreach (var container in pod.Containers)
            {
                progress.Add(container.HasPrevious ? 2 : 1);
                tasks.Add(SaveContainerAsync(connection, pod, container, new ContainerLogOptions(false, null, since, false),
                    System.IO.Path.Combine(podFolder, SafeName(container.Name) + ".log"), throttle, progress, sink, Wrote, ct));
                if (container.HasPrevious)
                {
                    tasks.Add(SaveContainerAsync(connection, pod, container, new ContainerLogOptions(true, null, since, false),
                        System.IO.Path.Combine(podFolder, SafeName(container.Name) + ".previous.log"), throttle, progress, sink, Wrote, ct));
                }
            }
        }
        if (request.IncludeRayLogs)
        {
            tasks.Add(SaveRayLogsAsync(connection, request, pods, folder, throttle, progress, sink, Wrote, ct));
        }
        await Task.WhenAll(tasks).ConfigureAwait(false);
        return written;
    }

    private static async Task SaveContainerAsync(KubeConnection connection, LogPod pod, LogContainer container, ContainerLogOptions options, string file,
        SemaphoreSlim throttle, Counter progress, ILogSink sink, Action<FileInfo> wrote, CancellationToken ct)
    {
        await throttle.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            using var response = await ContainerLogReader.OpenAsync(connection, pod.Namespace, pod.Name, container.Name, options, ct).ConfigureAwait(false);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
            await using (var output = new FileStream(file, FileMode.Create, FileAccess.Write, FileShare.Read, 64 * 1024, useAsync: true))
            {
                await using var input = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
                await input.CopyToAsync(output, ct).ConfigureAwait(false);
            }
            wrote(new FileInfo(file));
        }
        catch (RayPSException ex)
        {
            sink.Error(ex);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or UnauthorizedAccessException && !ct.IsCancellationRequested)
        {
            TryDelete(file);
            sink.Error(new RayPSException(ErrorIds.FileWriteFailed, RayErrorCategory.WriteError,
                $"The log of container '{container.Name}' of pod '{pod.Name}' could not be saved to '{file}': {ex.Message}.", file, ex));
        }
        finally
        {
            throttle.Release();
            progress.Done();
        }
    }

    private static async Task SaveRayLogsAsync(KubeConnection connection, ClusterLogSaveRequest request, IReadOnlyList<LogPod> pods, string folder,
        SemaphoreSlim throttle, Counter progress, ILogSink sink, Action<FileInfo> wrote, CancellationToken ct)
    {
        var reader = new RayLogReader(connection, request.Namespace, request.ClusterName, request.Timeout);
        progress.Add(1);
        (IReadOnlyDictionary<string, string>? Nodes, RayPSException? Problem) nodes;
        await throttle.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            nodes = await reader.NodesAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            throttle.Release();
            progress.Done();
        }
        if (nodes.Nodes is null)
        {
            if (nodes.Problem!.ErrorId == ErrorIds.KubeApiForbidden)
            {
                sink.Error(nodes.Problem);
            }
            else
            {
                sink.Warning(nodes.Problem.Message + " Ray's log files were not saved; the container logs were.");
            }
            return;
        }
        var work = pods.Where(p => !string.IsNullOrEmpty(p.Facts.NodeName)).Select(async pod =>
        {
            if (pod.Facts.PodIP is not { Length: > 0 } ip || !nodes.Nodes.TryGetValue(ip, out var nodeId))
            {
                sink.Error(RayLogOperations.NoRayNode(pod));
                return;
            }
            progress.Add(1);
            IReadOnlyList<string>? files;
            await throttle.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                var (listed, error) = await reader.ListAsync(nodeId, pod.Name, ct).ConfigureAwait(false);
                if (listed is null)
                {
                    sink.Error(error!);
                    return;
                }
                files = listed;
            }
            finally
            {
                throttle.Release();
                progress.Done();
            }
            progress.Add(files.Count);
            var rayFolder = System.IO.Path.Combine(folder, SafeName(pod.Name), "ray");
            await Task.WhenAll(files.Select(async file =>
            {
                await throttle.WaitAsync(ct).ConfigureAwait(false);
                try
                {
                    var (text, error) = await reader.ReadAsync(nodeId, pod.Name, file, -1, ct).ConfigureAwait(false);
                    if (error is not null)
                    {
                        sink.Error(error);
                    }
                    if (text is not null)
                    {
                        var path = System.IO.Path.Combine(rayFolder, SafeName(file));
                        Directory.CreateDirectory(rayFolder);
                        await File.WriteAllTextAsync(path, text, new UTF8Encoding(false), ct).ConfigureAwait(false);
                        wrote(new FileInfo(path));
                    }
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException && !ct.IsCancellationRequested)
                {
                    sink.Error(new RayPSException(ErrorIds.FileWriteFailed, RayErrorCategory.WriteError,
                        $"Ray log file '{file}' of pod '{pod.Name}' could not be saved: {ex.Message}.", file, ex));
                }
                finally
                {
                    throttle.Release();
                    progress.Done();
                }
            })).ConfigureAwait(false);
        });
        await Task.WhenAll(work).ConfigureAwait(false);
    }

    /// <summary>A file or folder name from a name the server sent: never a path (no separators, no "..").</summary>
    internal static string SafeName(string name)
    {
        var invalid = System.IO.Path.GetInvalidFileNameChars();
        var safe = new string(name.Select(c => c is '/' or '\\' || invalid.Contains(c) ? '_' : c).ToArray());
        return safe is "" or "." or ".." ? "_" + safe : safe;
    }

    private static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (IOException)
        {
        }
    }

    private sealed class Counter(Action<int, int>? report)
    {
        private int _done;
        private int _total;

        public void Add(int count) => Interlocked.Add(ref _total, count);

        public void Done() => report?.Invoke(Interlocked.Increment(ref _done), Volatile.Read(ref _total));
    }
}
