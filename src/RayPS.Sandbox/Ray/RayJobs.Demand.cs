namespace RayPS.Sandbox.Ray;

internal sealed partial class RayJobManager
{
    /// <summary>
    /// The entrypoint resources of PENDING jobs that no alive node can host: the demand the Ray autoscaler scales up for.
    /// </summary>
    public IReadOnlyList<IReadOnlyDictionary<string, double>> UnplacedDemands()
    {
        lock (_cluster.Gate)
        {
            Refresh();
            return _jobs.Where(j => j.Status == "PENDING" && j.LastUnfitAt is not null && j.Demand.Count > 0)
                .Select(j => (IReadOnlyDictionary<string, double>)new Dictionary<string, double>(j.Demand, StringComparer.Ordinal))
                .ToList();
        }
    }
}
