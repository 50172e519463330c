using System.Collections.Concurrent;
using System.Management.Automation;
using RayPS.Completers;
using RayPS.Errors;
using RayPS.Internal;
using RayPS.Kube;
using RayPS.Operations;

namespace RayPS.Commands;

/// <summary>
/// Base of every RayPS cmdlet: cancellation on Ctrl+C and an async bridge that runs work on the thread pool
/// while every Write* happens on the pipeline thread.
/// </summary>
public abstract class RayAsyncCmdlet : PSCmdlet
{
    private CancellationTokenSource? _cts;
    private BlockingCollection<Action>? _queue;
    private int _pipelineThreadId;
    private bool _debugWanted;
    private bool _verboseWouldPrompt;

    protected CancellationToken CancellationToken => (_cts ??= new CancellationTokenSource()).Token;

    protected override void BeginProcessing()
    {
        _cts ??= new CancellationTokenSource();
        _pipelineThreadId = Environment.CurrentManagedThreadId;
        ReadStreamPreferences();
        OnBeginProcessing();
        Run(BeginProcessingAsync);
    }

    /// <summary>Synchronous set-up on the pipeline thread, before BeginProcessingAsync (session state is safe here).</summary>
    protected virtual void OnBeginProcessing()
    {
    }

    protected override void ProcessRecord() => Run(ProcessRecordAsync);

    protected override void EndProcessing() => Run(EndProcessingAsync);

    protected override void StopProcessing() => _cts?.Cancel();

    protected virtual Task BeginProcessingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    protected virtual Task ProcessRecordAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    protected virtual Task EndProcessingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Runs <paramref name="work"/> off the pipeline thread and pumps its Write* calls here until it ends.
    /// A RayPSException escaping the work is a terminating error; per-item errors should use EmitError.
    /// </summary>
    protected void Run(Func<CancellationToken, Task> work)
    {
        var token = CancellationToken;
        using var queue = new BlockingCollection<Action>();
        var previous = _queue;
        _queue = queue;
        var debug = _debugWanted;
        var task = Task.Run(async () =>
        {
            if (debug)
            {
                KubeApi.Trace = line => Post(() => WriteDebug(line));
            }
            try
            {
                await work(token).ConfigureAwait(false);
            }
            finally
            {
                KubeApi.Trace = null;
                queue.CompleteAdding();
            }
        });

        try
        {
            foreach (var action in queue.GetConsumingEnumerable(token))
            {
                action();
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch
        {
            // Writing failed on the pipeline thread (a downstream Select-Object -First stopped the pipeline, ...): stop the
            // work too, so it does not go on in the background after this command is over.
            _cts?.Cancel();
            throw;
        }
        finally
        {
            _queue = previous;
        }

        try
        {
            task.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch (RayPSException ex)
        {
            ThrowTerminatingError(ErrorRecords.From(ex));
        }
        catch (KubeApiException ex)
        {
            // The fallback boundary: an API refusal no operation mapped gets the one mapping here.
            ThrowTerminatingError(ErrorRecords.From(ex.ToRayPSException()));
        }
    }

    /// <summary>
    /// Decides, as PowerShell does for this command, whether debug output is wanted: -Debug or -Debug:$false when given,
    /// else $DebugPreference as the caller's scope sees it (a local <c>$DebugPreference = 'Continue'</c> is a string).
    /// </summary>
    private void ReadStreamPreferences()
    {
        var bound = MyInvocation.BoundParameters;
        bool? debugSwitch = bound.TryGetValue("Debug", out var debug) ? debug is SwitchParameter { IsPresent: true } : null;
        _debugWanted = debugSwitch
            ?? (LanguagePrimitives.TryConvertTo(GetVariableValue("DebugPreference"), out ActionPreference preference)
                && preference is not (ActionPreference.SilentlyContinue or ActionPreference.Ignore));
        // Since 7.4 -Debug means Continue for debug output, but PowerShell still answers WriteVerbose under -Debug
        // (without -Verbose) with Inquire: a prompt for every verbose message.
        _verboseWouldPrompt = debugSwitch == true && !bound.ContainsKey("Verbose");
    }

    /// <summary>Queues an action for the pipeline thread, or runs it now when already on it.</summary>
    protected void Post(Action action)
    {
        var queue = _queue;
        if (Environment.CurrentManagedThreadId == _pipelineThreadId)
        {
            action();
            return;
        }
        if (queue is null)
        {
            // No Run is pumping (the command is between records or over): writing from this thread would corrupt the pipeline.
            return;
        }
        try
        {
            queue.Add(action);
        }
        catch (InvalidOperationException)
        {
            // The pipeline already finished (cancelled); late output is dropped.
        }
    }

    /// <summary>Runs a function on the pipeline thread and returns its result to the async caller.</summary>
    protected Task<T> OnPipelineThread<T>(Func<T> func)
    {
        var tcs = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(() =>
        {
            try { tcs.SetResult(func()); }
            catch (Exception ex) { tcs.SetException(ex); }
        });
        return tcs.Task;
    }

    protected void Emit(object value) => Post(() => WriteObject(value));

    protected void EmitError(RayPSException ex) => Post(() => WriteError(ErrorRecords.From(ex)));

    protected void EmitError(ErrorRecord record) => Post(() => WriteError(record));

    protected void EmitWarning(string text) => Post(() => WriteWarning(text));

    /// <summary>Writes verbose text; under -Debug alone it goes to the debug stream, which shows it without a prompt.</summary>
    protected void EmitVerbose(string text) => Post(() =>
    {
        if (_verboseWouldPrompt)
        {
            WriteDebug(text);
        }
        else
        {
            WriteVerbose(text);
        }
    });

    protected void EmitProgress(ProgressRecord record) => Post(() => WriteProgress(record));

    protected Task<bool> ShouldProcessAsync(string target, string action) => OnPipelineThread(() => ShouldProcess(target, action));
}

/// <summary>
/// Base of every RayPS cmdlet that talks to a cluster: -Context, -KubeConfig and one lazily created shared client.
/// </summary>
public abstract class RayCmdletBase : RayAsyncCmdlet
{
    private KubeConnection? _connection;
    private string? _kubeConfigPath;

    /// <summary>The kubeconfig context to use; default: the kubeconfig's current context.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(KubeContextCompleter))]
    public string? Context { get; set; }

    /// <summary>Path to a kubeconfig file (or a path list); default: $env:KUBECONFIG, else ~/.kube/config, else in-cluster.</summary>
    [Parameter]
    public string? KubeConfig { get; set; }

    /// <summary>The shared client for (KubeConfig, Context), created on first use. Failures are terminating.</summary>
    protected KubeConnection Connection =>
        _connection ??= KubeConnection.Get(new KubeConnectionOptions(_kubeConfigPath, Context));

    /// <summary>The namespace to use given an explicit value (null = the context's namespace, else "default").</summary>
    protected string ResolveNamespace(string? explicitNamespace) => Connection.ResolveNamespace(explicitNamespace);

    /// <summary>Waits, showing progress under <paramref name="activity"/>, until a worker group has the ready pods it desires.</summary>
    protected async Task<RayWorkerGroup> WaitForGroupAsync(RayWorkerGroup group, string activity, TimeSpan timeout, CancellationToken ct)
    {
        try
        {
            return await WorkerGroupOperations.WaitSettledAsync(Connection, group, timeout,
                g => EmitProgress(WorkerGroupProgress.Record(activity, g)), ct).ConfigureAwait(false);
        }
        finally
        {
            EmitProgress(WorkerGroupProgress.Completed(activity));
        }
    }

    /// <summary>Waits, showing progress, until KubeRay reports the RayCluster ready.</summary>
    protected async Task<RayCluster> WaitForClusterReadyAsync(string ns, string name, TimeSpan timeout, string? resourceVersion, CancellationToken ct)
    {
        var activity = $"Waiting for RayCluster '{ns}/{name}' to become ready";
        try
        {
            return await RayClusterLifecycle.WaitReadyAsync(Connection, ns, name, timeout, resourceVersion,
                cluster => EmitProgress(RayClusterProgress.Ready(activity, cluster)), ct).ConfigureAwait(false);
        }
        finally
        {
            EmitProgress(RayClusterProgress.Completed(activity));
        }
    }

    /// <summary>Waits, showing progress, until the RayCluster and its pods are gone.</summary>
    protected async Task WaitForClusterDeletedAsync(string ns, string name, TimeSpan timeout, CancellationToken ct)
    {
        var activity = $"Waiting for RayCluster '{ns}/{name}' and its pods to be deleted";
        try
        {
            await RayClusterLifecycle.WaitDeletedAsync(Connection, ns, name, timeout,
                podsLeft => EmitProgress(RayClusterProgress.Deleting(activity, podsLeft)), ct).ConfigureAwait(false);
        }
        finally
        {
            EmitProgress(RayClusterProgress.Completed(activity));
        }
    }

    protected override void OnBeginProcessing()
    {
        // An empty -KubeConfig or -Context is a mistake (an unset variable), never a request for the defaults.
        if (KubeConfig is not null && string.IsNullOrWhiteSpace(KubeConfig))
        {
            ThrowTerminatingError(ErrorRecords.From(new RayPSException(ErrorIds.KubeConfigNotFound, RayErrorCategory.InvalidArgument,
                "-KubeConfig is empty. Pass the path of a kubeconfig file, or leave -KubeConfig out to use $env:KUBECONFIG or ~/.kube/config.", KubeConfig)));
        }
        if (Context is not null && string.IsNullOrWhiteSpace(Context))
        {
            ThrowTerminatingError(ErrorRecords.From(new RayPSException(ErrorIds.KubeContextNotFound, RayErrorCategory.InvalidArgument,
                "-Context is empty. Pass the name of a context of the kubeconfig (kubectl config get-contexts), or leave -Context out to use its current context.", Context)));
        }
        // Provider paths (~, relative, PSDrive) resolve against session state, which only the pipeline thread may touch.
        _kubeConfigPath = KubeConfig is null ? null : string.Join(Path.PathSeparator,
            KubeConfig.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Select(SessionState.Path.GetUnresolvedProviderPathFromPSPath));
        if (_kubeConfigPath?.Split(Path.PathSeparator).FirstOrDefault(Directory.Exists) is { } folder)
        {
            ThrowTerminatingError(ErrorRecords.From(new RayPSException(ErrorIds.KubeConfigInvalid, RayErrorCategory.InvalidArgument,
                $"-KubeConfig '{folder}' is a folder, not a kubeconfig file. Pass the file itself (e.g. {Path.Combine(folder, "config")}).", folder)));
        }
    }
}

/// <summary>Base for cmdlets that act in one namespace: adds -Namespace (bound from pipeline objects' Namespace).</summary>
public abstract class RayNamespacedCmdletBase : RayCmdletBase
{
    /// <summary>The namespace; default: the context's namespace, else "default".</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("ns")]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    public string? Namespace { get; set; }

    protected string TargetNamespace => ResolveNamespace(ValidNamespace(Namespace));

    /// <summary>An explicit namespace must be a DNS-1123 label; an empty one is a mistake, never "the default".</summary>
    protected static string? ValidNamespace(string? ns)
    {
        if (ns is null)
        {
            return null;
        }
        if (ns.Length == 0 || ns.Length > 63 || !System.Text.RegularExpressions.Regex.IsMatch(ns, "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"))
        {
            throw new RayPSException(ErrorIds.InvalidName, RayErrorCategory.InvalidArgument,
                ns.Length == 0
                    ? "-Namespace is empty. Pass a namespace name, or leave -Namespace out to use the context's namespace."
                    : $"-Namespace {Manifests.ManifestValidation.Quote(ns)} is not a namespace name: use at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit.",
                ns);
        }
        return ns;
    }
}

/// <summary>Base for cmdlets that can wait for what they changed to settle: adds -Wait and -TimeoutSec.</summary>
public abstract class RayWaitingCmdletBase : RayNamespacedCmdletBase
{
    [Parameter]
    public SwitchParameter Wait { get; set; }

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int TimeoutSec { get; set; } = 300;

    protected TimeSpan Timeout => TimeSpan.FromSeconds(TimeoutSec);
}
