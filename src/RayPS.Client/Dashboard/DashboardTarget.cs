namespace RayPS.Dashboard;

/// <summary>The head pod a session forwards to, and the pod's dashboard and Ray client ports.</summary>
public sealed record DashboardTarget(string Namespace, string PodName, string? PodUid, int DashboardPort, int ClientPort)
{
    public override string ToString() => $"{Namespace}/{PodName}";
}
