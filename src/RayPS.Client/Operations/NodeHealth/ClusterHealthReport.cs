using RayPS.Errors;

namespace RayPS.Operations;

/// <summary>The outcome of checking one cluster: its nodes and summary, or why it could not be checked.</summary>
public sealed class ClusterHealthReport
{
    public string ClusterName { get; init; } = "";

    /// <summary>The namespace; empty when the cluster was not found in any namespace.</summary>
    public string Namespace { get; init; } = "";

    public IReadOnlyList<RayNodeHealth> Nodes { get; init; } = Array.Empty<RayNodeHealth>();

    /// <summary>Null when <see cref="Failure"/> is set.</summary>
    public RayClusterHealthSummary? Summary { get; init; }

    /// <summary>Things the rows cannot show (Ray node state unavailable, Deployments short of pods).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = Array.Empty<string>();

    /// <summary>Non-fatal errors: the checks that could not run for lack of permission.</summary>
    public IReadOnlyList<RayPSException> Errors { get; init; } = Array.Empty<RayPSException>();

    /// <summary>Details for -Verbose: what was checked and how long it took, nodes left out.</summary>
    public IReadOnlyList<string> Notes { get; init; } = Array.Empty<string>();

    /// <summary>Why the cluster could not be checked at all (RayClusterNotFound, InvalidClusterName); nodes and summary are empty.</summary>
    public RayPSException? Failure { get; init; }
}
