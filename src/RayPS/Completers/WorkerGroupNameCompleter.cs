using System.Collections;
using System.Collections.Concurrent;
using System.Management.Automation;
using System.Management.Automation.Language;
using RayPS.Kube;
using RayPS.Operations;

namespace RayPS.Completers;

/// <summary>
/// Completes -GroupName (or -Name) with the worker groups of the cluster named by -ClusterName, both kinds, bounded
/// to 2 seconds and cached for 10, so Tab never hangs. Without a -ClusterName there is nothing to offer.
/// </summary>
public sealed class WorkerGroupNameCompleter : IArgumentCompleter
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(10);
    private static readonly ConcurrentDictionary<string, (DateTime At, IReadOnlyList<string> Groups)> Cache = new();

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        CompletionHelpers.Match(ListGroups(fakeBoundParameters), wordToComplete);

    private static IReadOnlyList<string> ListGroups(IDictionary bound)
    {
        try
        {
            if (bound["ClusterName"] is not string cluster || cluster.Length == 0)
            {
                return Array.Empty<string>();
            }
            var connection = KubeConnection.Get(new KubeConnectionOptions(bound["KubeConfig"] as string, bound["Context"] as string));
            var ns = connection.ResolveNamespace(bound["Namespace"] as string);
            var key = $"{connection.ContextName}|{connection.Server}|{ns}|{cluster}";
            if (Cache.TryGetValue(key, out var hit) && DateTime.UtcNow - hit.At < CacheFor)
            {
                return hit.Groups;
            }
            using var cts = new CancellationTokenSource(Budget);
            var listing = WorkerGroupOperations.ListAsync(connection, ns, cluster, cts.Token).WaitAsync(Budget).GetAwaiter().GetResult();
            var groups = listing.Groups.Select(g => g.GroupName).ToList();
            Cache[key] = (DateTime.UtcNow, groups);
            return groups;
        }
        catch (Exception)
        {
            // Completion must never throw or print; no candidates is the right answer when the cluster can't be asked.
            return Array.Empty<string>();
        }
    }
}
