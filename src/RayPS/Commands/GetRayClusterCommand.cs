using System.Management.Automation;
using RayPS.Completers;
using RayPS.Errors;
using RayPS.Operations;
using RayPS.Internal;

namespace RayPS.Commands;

/// <summary>Gets RayClusters: one LIST per call, filtered by name (wildcards allowed).</summary>
[Cmdlet(VerbsCommon.Get, "RayCluster", HelpUri = HelpLinks.Cmdlets + "Get-RayCluster.md", DefaultParameterSetName = "Namespace")]
[OutputType(typeof(RayCluster))]
public sealed class GetRayClusterCommand : RayNamespacedCmdletBase
{
    /// <summary>Cluster names; wildcards allowed. Default: all clusters.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(RayClusterNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[]? ClusterName { get; set; }

    /// <summary>Lists clusters in every namespace.</summary>
    [Parameter]
    [Alias("A")]
    public SwitchParameter AllNamespaces { get; set; }

    /// <summary>A DNS-1123 subdomain, the longest name a Kubernetes object (a RayCluster too) can have.</summary>
    private const int MaxObjectNameLength = 253;

    // Piped nodes and groups name the same cluster many times: each cluster is read and written once per pipeline.
    private readonly HashSet<string> _emitted = new(StringComparer.Ordinal);

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var ns = AllNamespaces ? null : TargetNamespace;
        if (ns is not null && ClusterName is { } names &&
            names.All(n => !WildcardPattern.ContainsWildcardCharacters(n) && _emitted.Contains(ns + "/" + n)))
        {
            return;
        }
        // Patterns are checked before the LIST: a bad one sends nothing.
        var patterns = new Dictionary<string, WildcardPattern>(StringComparer.Ordinal);
        foreach (var name in ClusterName ?? Array.Empty<string>())
        {
            if (name.Length > MaxObjectNameLength)
            {
                throw new RayPSException(ErrorIds.InvalidName, RayErrorCategory.InvalidArgument,
                    $"-Name {Manifests.ManifestValidation.Quote(name)} is longer than any Kubernetes object name can be ({MaxObjectNameLength} characters), so no RayCluster has it. " +
                    "Check the name; Get-RayCluster without -Name lists them.", name);
            }
            var pattern = new WildcardPattern(name, WildcardOptions.None);
            try
            {
                pattern.IsMatch(string.Empty);
            }
            catch (WildcardPatternException)
            {
                throw new RayPSException(ErrorIds.InvalidName, RayErrorCategory.InvalidArgument,
                    $"-Name {Manifests.ManifestValidation.Quote(name)} is not a valid wildcard pattern: '[' opens a character set that must be closed with ']'. " +
                    "Cluster names never contain '[': escape it as '`[' or drop it.", name);
            }
            patterns[name] = pattern;
        }
        var clusters = await RayClusterOperations.ListAsync(Connection, ns, cancellationToken).ConfigureAwait(false);
        if (ClusterName is null)
        {
            foreach (var cluster in clusters)
            {
                Emit(cluster);
            }
            return;
        }

        foreach (var name in ClusterName)
        {
            var pattern = patterns[name];
            var matches = clusters.Where(c => pattern.IsMatch(c.Name)).ToList();
            if (matches.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
            {
                EmitError(RayClusterOperations.NotFound(Connection, ns ?? "(all namespaces)", name));
                continue;
            }
            foreach (var cluster in matches.Where(c => _emitted.Add(c.Namespace + "/" + c.Name)))
            {
                Emit(cluster);
            }
        }
    }
}
