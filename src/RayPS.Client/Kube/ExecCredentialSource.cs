using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;

namespace RayPS.Kube;

/// <summary>
/// One exec plugin's credential, shared process-wide by every connection, cmdlet and completer that uses the same plugin
/// configuration (client-go keeps one authenticator per exec config the same way). The plugin runs on first use, and again
/// only once the credential's expirationTimestamp has passed or the server answered 401 to it. Concurrent callers share one
/// run; when every caller waiting for a run has given up (Ctrl+C, a completer's budget), the run is cancelled and the
/// plugin's process tree killed.
/// </summary>
public sealed class ExecCredentialSource
{
    private static readonly ConcurrentDictionary<string, ExecCredentialSource> Sources = new(StringComparer.Ordinal);

    private readonly object _gate = new();
    private readonly Func<CancellationToken, Task<ExecCredential>> _run;
    private readonly Func<DateTimeOffset> _now;
    private ExecCredential? _current;
    private X509Certificate2? _certificate;
    private Run? _running;

    public ExecCredentialSource(Func<CancellationToken, Task<ExecCredential>> run, Func<DateTimeOffset>? now = null)
    {
        _run = run;
        _now = now ?? (() => DateTimeOffset.UtcNow);
    }

    /// <summary>The credential a caller already fetched for this request (before its timeout started); the handler uses it as is.</summary>
    public static readonly HttpRequestOptionsKey<ExecCredential> Fetched = new("RayPS.ExecCredential");

    /// <summary>Whether a credential is cached and not expired (the next <see cref="GetAsync"/> returns at once).</summary>
    public bool HasUsableCredential
    {
        get
        {
            lock (_gate)
            {
                return _current is { } current && !current.IsExpired(_now());
            }
        }
    }

    /// <summary>How many times the plugin was started (diagnostics and tests).</summary>
    public int Runs { get; private set; }

    /// <summary>The shared source for a plugin configuration.</summary>
    public static ExecCredentialSource For(ExecPluginSpec spec, OsFacts facts) =>
        Sources.GetOrAdd(spec.CacheKey, _ => new ExecCredentialSource(ct => ExecPluginRunner.RunAsync(spec, facts, ct)));

    /// <summary>Forgets every cached credential (tests).</summary>
    public static void ClearAll() => Sources.Clear();

    /// <summary>The cached credential when still valid, else a fresh one from the plugin.</summary>
    public async Task<ExecCredential> GetAsync(CancellationToken ct)
    {
        Run run;
        lock (_gate)
        {
            if (_current is { } current && !current.IsExpired(_now()))
            {
                return current;
            }
            if (_running is null)
            {
                Runs++;
                _running = new Run(this);
            }
            run = _running;
            run.Waiters++;
        }

        try
        {
            return await run.Task.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested && !run.Task.IsCompleted)
        {
            lock (_gate)
            {
                if (--run.Waiters == 0 && !run.Task.IsCompleted)
                {
                    run.Cancel();
                    if (ReferenceEquals(_running, run)) _running = null;
                }
            }
            throw;
        }
    }

    /// <summary>The server refused <paramref name="used"/> (401): the next call runs the plugin again, unless another caller already did.</summary>
    public void Invalidate(ExecCredential used)
    {
        lock (_gate)
        {
            if (ReferenceEquals(_current, used))
            {
                _current = null;
            }
        }
    }

    /// <summary>The client certificate of the current credential, if it has one (read during TLS handshakes).</summary>
    public X509Certificate2? CurrentCertificate
    {
        get
        {
            lock (_gate)
            {
                return _certificate;
            }
        }
    }

    private void Complete(Run run, ExecCredential credential)
    {
        lock (_gate)
        {
            _current = credential;
            if (credential.HasClientCertificate)
            {
                _certificate = ClientCertificates.FromPem(credential.ClientCertificatePem!, credential.ClientKeyPem!);
            }
            if (ReferenceEquals(_running, run)) _running = null;
        }
    }

    private void Fail(Run run)
    {
        lock (_gate)
        {
            if (ReferenceEquals(_running, run)) _running = null;
        }
    }

    /// <summary>Adds the credential's bearer token to a request (a certificate-only credential adds nothing).</summary>
    public static void Apply(HttpRequestMessage request, ExecCredential credential)
    {
        if (credential.Token is { } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    private sealed class Run
    {
        private readonly CancellationTokenSource _cts = new();

        public Run(ExecCredentialSource owner)
        {
            Task = Start(owner);
        }

        public int Waiters;
        public Task<ExecCredential> Task { get; }

        public void Cancel() => _cts.Cancel();

        private async Task<ExecCredential> Start(ExecCredentialSource owner)
        {
            await System.Threading.Tasks.Task.Yield();
            try
            {
                var credential = await owner._run(_cts.Token).ConfigureAwait(false);
                owner.Complete(this, credential);
                return credential;
            }
            catch
            {
                owner.Fail(this);
                throw;
            }
        }
    }
}

/// <summary>
/// Puts the exec plugin's credential on every request and, when the server answers 401 to it, drops it, fetches a new one
/// and sends the request once more (client-go drops it too; resending spares the caller a failure when the plugin has a
/// fresh credential to give).
/// </summary>
public sealed class ExecCredentialHandler : DelegatingHandler
{
    private readonly ExecCredentialSource _source;

    public ExecCredentialHandler(ExecCredentialSource source)
    {
        _source = source;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // Like client-go, a request uses the credential fetched for it even if that one is already past its expiry.
        var credential = request.Options.TryGetValue(ExecCredentialSource.Fetched, out var fetched)
            ? fetched
            : await _source.GetAsync(cancellationToken).ConfigureAwait(false);
        ExecCredentialSource.Apply(request, credential);
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Unauthorized)
        {
            return response;
        }

        _source.Invalidate(credential);
        var fresh = await _source.GetAsync(cancellationToken).ConfigureAwait(false);
        if (fresh.Token == credential.Token && fresh.ClientCertificatePem == credential.ClientCertificatePem)
        {
            return response;
        }
        response.Dispose();
        ExecCredentialSource.Apply(request, fresh);
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }
}
