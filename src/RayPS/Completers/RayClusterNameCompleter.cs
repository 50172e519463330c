using System.Collections;
using System.Collections.Concurrent;
using System.Management.Automation;
using System.Management.Automation.Language;
using RayPS.Kube;
using RayPS.Operations;

namespace RayPS.Completers;

/// <summary>
/// Completes RayCluster names with one LIST, bounded to 2 seconds and cached for 10, so Tab never hangs on a
/// slow or unreachable cluster.
/// </summary>
public sealed class RayClusterNameCompleter : IArgumentCompleter
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(10);
    private static readonly ConcurrentDictionary<string, (DateTime At, IReadOnlyList<RayCluster> Clusters)> Cache = new();

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var clusters = ListClusters(fakeBoundParameters);
        return CompletionHelpers.Match(clusters.Select(c => c.Name), wordToComplete);
    }

    internal static IReadOnlyList<RayCluster> ListClusters(IDictionary bound)
    {
        try
        {
            var options = new KubeConnectionOptions(bound["KubeConfig"] as string, bound["Context"] as string);
            var connection = KubeConnection.Get(options);
            var ns = connection.ResolveNamespace(bound["Namespace"] as string);
            var key = $"{connection.ContextName}|{connection.Server}|{ns}";
            if (Cache.TryGetValue(key, out var hit) && DateTime.UtcNow - hit.At < CacheFor)
            {
                return hit.Clusters;
            }
            using var cts = new CancellationTokenSource(Budget);
            var clusters = RayClusterOperations.ListAsync(connection, ns, cts.Token).WaitAsync(Budget).GetAwaiter().GetResult();
            Cache[key] = (DateTime.UtcNow, clusters);
            return clusters;
        }
        catch (Exception)
        {
            // Completion must never throw or print; no candidates is the right answer when the cluster can't be asked.
            return Array.Empty<RayCluster>();
        }
    }
}
