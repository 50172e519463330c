using System.Collections;
using System.Collections.Concurrent;
using System.Management.Automation;
using System.Management.Automation.Language;
using RayPS.Kube;

namespace RayPS.Completers;

/// <summary>
/// Completes names listed from the cluster the command line points at (its -KubeConfig, -Context and -Namespace),
/// bounded to 2 seconds and cached for 10, so Tab never hangs on a slow or unreachable cluster. The connection (and an
/// exec plugin's credential) is the one cmdlets share, so Tab runs no credential plugin that a cmdlet already ran.
/// </summary>
public abstract class ClusterListingCompleter : IArgumentCompleter
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(10);
    private static readonly ConcurrentDictionary<string, (DateTime At, IReadOnlyList<string> Names)> Cache = new();

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        CompletionHelpers.Match(ListNames(fakeBoundParameters), wordToComplete);

    /// <summary>What the listing depends on besides the cluster and namespace (part of the cache key); null: nothing to list.</summary>
    protected virtual string? Scope(IDictionary bound) => "";

    /// <summary>The kubeconfig the command line points at (its -KubeConfig; null: $env:KUBECONFIG, then ~/.kube/config).</summary>
    protected virtual string? KubeConfigPath(IDictionary bound) => bound["KubeConfig"] as string;

    protected abstract Task<IReadOnlyList<string>> ListAsync(KubeConnection connection, string ns, string scope, CancellationToken ct);

    private IReadOnlyList<string> ListNames(IDictionary bound)
    {
        try
        {
            if (Scope(bound) is not { } scope)
            {
                return Array.Empty<string>();
            }
            var connection = KubeConnection.Get(new KubeConnectionOptions(KubeConfigPath(bound), bound["Context"] as string));
            var ns = connection.ResolveNamespace(bound["Namespace"] as string);
            var key = $"{GetType().Name}|{connection.ContextName}|{connection.Server}|{ns}|{scope}";
            if (Cache.TryGetValue(key, out var hit) && DateTime.UtcNow - hit.At < CacheFor)
            {
                return hit.Names;
            }
            var clock = System.Diagnostics.Stopwatch.StartNew();
            if (connection.ExecCredentials is { } credentials)
            {
                // An exec plugin slower than the budget would be cancelled on every Tab and never finish: let this
                // wait go on without the budget, so the run completes in the background and the next Tab has a credential.
                credentials.GetAsync(CancellationToken.None).WaitAsync(Budget).GetAwaiter().GetResult();
            }
            var left = Budget - clock.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                return Array.Empty<string>();
            }
            using var cts = new CancellationTokenSource(left);
            var names = ListAsync(connection, ns, scope, cts.Token).WaitAsync(left).GetAwaiter().GetResult();
            Cache[key] = (DateTime.UtcNow, names);
            return names;
        }
        catch (Exception)
        {
            // Completion must never throw or print; no candidates is the right answer when the cluster can't be asked.
            return Array.Empty<string>();
        }
    }
}
