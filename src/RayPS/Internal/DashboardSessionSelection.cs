using System.Management.Automation;
using RayPS.Dashboard;

namespace RayPS.Internal;

/// <summary>Picks dashboard sessions by Id or by cluster name (wildcards) and namespace, for Get- and Stop-RayDashboard.</summary>
internal static class DashboardSessionSelection
{
    /// <summary>The sessions with these Ids; each unknown Id is reported through <paramref name="notFound"/>.</summary>
    public static IEnumerable<PortForwardSession> ById(DashboardSessionRegistry registry, IEnumerable<int> ids, Action<ErrorRecord> notFound)
    {
        var all = registry.List();
        foreach (var id in ids.Distinct())
        {
            var session = all.FirstOrDefault(s => s.Id == id);
            if (session is null)
            {
                notFound(ErrorRecords.From(DashboardSessionRegistry.NotFound($"Id {id}", id)));
                continue;
            }
            yield return session;
        }
    }

    /// <summary>
    /// The sessions of the named clusters (all clusters when <paramref name="names"/> is null), in
    /// <paramref name="ns"/> when given. A name without wildcards that matches nothing is reported through <paramref name="notFound"/>.
    /// </summary>
    public static IEnumerable<PortForwardSession> ByCluster(DashboardSessionRegistry registry, string[]? names, string? ns, Action<ErrorRecord> notFound)
    {
        var inNamespace = registry.List().Where(s => string.IsNullOrEmpty(ns) || s.Options.Namespace == ns).ToList();
        if (names is null)
        {
            foreach (var session in inNamespace)
            {
                yield return session;
            }
            yield break;
        }

        var seen = new HashSet<int>();
        foreach (var name in names)
        {
            var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase);
            var matches = inNamespace.Where(s => pattern.IsMatch(s.Options.ClusterName)).ToList();
            if (matches.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
            {
                var where = string.IsNullOrEmpty(ns) ? "" : $" in namespace '{ns}'";
                notFound(ErrorRecords.From(DashboardSessionRegistry.NotFound($"cluster '{name}'{where}", name)));
                continue;
            }
            foreach (var session in matches.Where(s => seen.Add(s.Id)))
            {
                yield return session;
            }
        }
    }
}
