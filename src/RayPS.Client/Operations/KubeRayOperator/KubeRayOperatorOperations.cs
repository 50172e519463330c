using System.Text.Json.Nodes;
using RayPS.Errors;
using RayPS.Kube;
using RayPS.Model;

namespace RayPS.Operations;

/// <summary>
/// Finds KubeRay: the operator Deployment(s) by label in every namespace (or one), their pods, and the ray.io CRDs.
/// Five requests, sent together: Deployment LIST, pod LIST (same label selector), and one GET per CRD (404 = absent).
/// </summary>
public static class KubeRayOperatorOperations
{
    /// <summary>The label selector of KubeRay operator Deployments: the Helm chart's name, and the kustomize manifests'.</summary>
    public const string OperatorSelector = "app.kubernetes.io/name in (kuberay-operator,kuberay)";

    public const string CrdApiPath = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

    public static readonly IReadOnlyList<(string Name, string Kind)> Crds = new[]
    {
        ("rayclusters.ray.io", "RayCluster"),
        ("rayjobs.ray.io", "RayJob"),
        ("rayservices.ray.io", "RayService"),
    };

    /// <summary>One object per operator Deployment found, or one NotInstalled object. <paramref name="ns"/> null = all namespaces.</summary>
    public static async Task<OperatorReport> GetAsync(KubeConnection connection, string? ns, CancellationToken ct, Func<DateTimeOffset>? clock = null)
    {
        var query = "?labelSelector=" + Uri.EscapeDataString(OperatorSelector);
        var deploymentsPath = KubePaths.Deployments(ns) + query;
        var podsPath = KubePaths.Pods(ns) + query;

        var deploymentsTask = connection.Api.Raw.GetAsync(deploymentsPath, ct, ns is null ? "deployments (all namespaces)" : $"deployments in namespace '{ns}'");
        var podsTask = connection.Api.Raw.GetAsync(podsPath, ct, "pods of the KubeRay operator");
        var crdTasks = Crds.Select(c => GetCrdAsync(connection, c.Name, c.Kind, ct)).ToList();
        await Task.WhenAll(new Task[] { deploymentsTask, podsTask }.Concat(crdTasks).Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default))).ConfigureAwait(false);

        JsonObject deploymentList;
        try
        {
            deploymentList = await deploymentsTask.ConfigureAwait(false);
        }
        catch (KubeApiException ex) when (!ex.IsForbidden)
        {
            throw ex.ToRayPSException();
        }
        catch (KubeApiException ex)
        {
            var server = ex.ServerMessage ?? ex.ToRayPSException().Message;
            throw new RayPSException(ErrorIds.KubeApiForbidden, RayErrorCategory.PermissionDenied,
                $"Permission denied in context '{connection.ContextName}': cannot list deployments (apps) {(ns is null ? "across all namespaces" : $"in namespace '{ns}'")}: {server}. " +
                (ns is null ? "Searching every namespace needs a ClusterRole with list on deployments; or pass -Namespace with the operator's namespace (often kube-system or ray-system)."
                            : "Ask a cluster admin for a Role with list on deployments and pods in that namespace."),
                "deployments", ex) { StatusCode = 403 };
        }

        var warnings = new List<string>();
        IReadOnlyList<JsonObject>? pods = null;
        try
        {
            pods = (await podsTask.ConfigureAwait(false)).Items("items").OfType<JsonObject>().ToList();
        }
        catch (KubeApiException ex) when (ex.IsForbidden)
        {
            warnings.Add($"The operator's pods could not be listed, so restarts are unknown: {ex.ToRayPSException().Message}");
        }
        catch (KubeApiException ex)
        {
            throw ex.ToRayPSException();
        }
        var crds = new List<KubeRayCrd>();
        foreach (var crdTask in crdTasks)
        {
            crds.Add(await crdTask.ConfigureAwait(false));
        }
        if (crds.Any(c => c.Installed is null))
        {
            warnings.Add("The ray.io CRDs could not be read: get on customresourcedefinitions (apiextensions.k8s.io, cluster-scoped) is not allowed.");
        }

        var operators = deploymentList.Items("items").OfType<JsonObject>()
            .Where(IsOperator)
            .Select(d => KubeRayOperatorFacts.FromJson(d, pods))
            .OrderBy(o => o.Namespace, StringComparer.Ordinal)
            .ThenBy(o => o.Name, StringComparer.Ordinal)
            .ToList();
        var now = (clock ?? (() => DateTimeOffset.UtcNow))();

        if (operators.Count == 0)
        {
            return new OperatorReport(new[]
            {
                new KubeRayOperatorInfo { Crds = crds, Status = KubeRayOperatorStatus.NotInstalled, Hint = KubeRayOperatorRules.NotInstalledHint(crds, ns), Context = connection.ContextName },
            }, warnings);
        }

        var infos = operators.Select(op =>
        {
            var (status, hint) = KubeRayOperatorRules.Evaluate(op, crds, operators, now);
            return new KubeRayOperatorInfo
            {
                Namespace = op.Namespace,
                Name = op.Name,
                ReadyReplicas = op.Ready,
                DesiredReplicas = op.Desired,
                Image = op.Image,
                Version = op.Version,
                Restarts = op.Pods?.Sum(p => p.Restarts),
                Pods = op.Pods?.Select(p => p.Name).ToList() ?? new List<string>(),
                Crds = crds,
                Status = status,
                Hint = hint,
                Context = connection.ContextName,
                InstalledBy = op.InstalledBy,
                ChartVersion = op.ChartVersion,
                WatchNamespaces = op.WatchNamespaces,
                FeatureGates = op.FeatureGates,
            };
        }).ToList();
        return new OperatorReport(infos, warnings);
    }

    /// <summary>
    /// The chart labels its operator app.kubernetes.io/name=kuberay-operator; the kustomize manifests label every
    /// component app.kubernetes.io/name=kuberay, so there only component kuberay-operator (or none) is the operator.
    /// </summary>
    private static bool IsOperator(JsonObject deployment)
    {
        var labels = deployment.Map("metadata.labels");
        return labels.GetValueOrDefault("app.kubernetes.io/name") switch
        {
            "kuberay-operator" => true,
            "kuberay" => labels.GetValueOrDefault("app.kubernetes.io/component") is null or "kuberay-operator",
            _ => false,
        };
    }

    private static async Task<KubeRayCrd> GetCrdAsync(KubeConnection connection, string name, string kind, CancellationToken ct)
    {
        try
        {
            var crd = await connection.Api.Raw.GetAsync($"{CrdApiPath}/{name}", ct, $"CustomResourceDefinition '{name}'").ConfigureAwait(false);
            var versions = crd.Items("spec.versions").ToList();
            return new KubeRayCrd
            {
                Name = name,
                Kind = crd.Str("spec.names.kind") ?? kind,
                Installed = true,
                Established = crd.Items("status.conditions").Any(c => c.Str("type") == "Established" && c.Str("status") == "True"),
                ServedVersions = versions.Where(v => v.Bool("served") == true).Select(v => v.Str("name") ?? "").ToList(),
                StorageVersion = versions.FirstOrDefault(v => v.Bool("storage") == true).Str("name"),
            };
        }
        catch (KubeApiException ex) when (ex.IsNotFound)
        {
            return new KubeRayCrd { Name = name, Kind = kind, Installed = false };
        }
        catch (KubeApiException ex) when (ex.IsForbidden)
        {
            return new KubeRayCrd { Name = name, Kind = kind, Installed = null };
        }
        catch (KubeApiException ex)
        {
            throw ex.ToRayPSException();
        }
    }
}

/// <summary>The operator objects to output, and what could not be checked.</summary>
public sealed record OperatorReport(IReadOnlyList<KubeRayOperatorInfo> Operators, IReadOnlyList<string> Warnings);
