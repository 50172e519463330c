using System.Text.Json.Nodes;
using RayPS.Errors;
using RayPS.Kube;
using RayPS.Model;

namespace RayPS.Operator;

/// <summary>
/// Installs and removes the objects of the kuberay-operator chart with server-side apply under one field manager:
/// permission check first (SelfSubjectAccessReview, nothing written when a right is missing), then the CRDs, then the rest
/// with the Deployment last. A second run with the same values changes nothing (the server keeps the resourceVersion).
/// </summary>
public static class KubeRayOperatorInstaller
{
    public const string FieldManager = "rayps";
    public const string HelmReleaseAnnotation = "meta.helm.sh/release-name";
    public const string HelmNamespaceAnnotation = "meta.helm.sh/release-namespace";

    /// <summary>The label that finds every non-CRD object of a RayPS install.</summary>
    public static string InstallSelector(string release = KubeRayOperatorRenderer.ReleaseName) =>
        $"app.kubernetes.io/managed-by={KubeRayOperatorRenderer.ReleaseService},app.kubernetes.io/instance={release}";

    private sealed record Target(string Group, string Version, string Resource, bool Namespaced)
    {
        public string ApiPrefix => Group.Length == 0 ? $"/api/{Version}" : $"/apis/{Group}/{Version}";
    }

    private static readonly Dictionary<string, Target> Kinds = new(StringComparer.Ordinal)
    {
        ["CustomResourceDefinition"] = new("apiextensions.k8s.io", "v1", "customresourcedefinitions", false),
        ["ServiceAccount"] = new("", "v1", "serviceaccounts", true),
        ["ConfigMap"] = new("", "v1", "configmaps", true),
        ["Service"] = new("", "v1", "services", true),
        ["ClusterRole"] = new("rbac.authorization.k8s.io", "v1", "clusterroles", false),
        ["ClusterRoleBinding"] = new("rbac.authorization.k8s.io", "v1", "clusterrolebindings", false),
        ["Role"] = new("rbac.authorization.k8s.io", "v1", "roles", true),
        ["RoleBinding"] = new("rbac.authorization.k8s.io", "v1", "rolebindings", true),
        ["Deployment"] = new("apps", "v1", "deployments", true),
        ["ServiceMonitor"] = new("monitoring.coreos.com", "v1", "servicemonitors", true),
    };

    /// <summary>The kinds an uninstall looks for by label, in deletion order (the Deployment first, so the operator stops).</summary>
    private static readonly string[] UninstallOrder =
        { "Deployment", "Service", "ConfigMap", "RoleBinding", "Role", "ClusterRoleBinding", "ClusterRole", "ServiceAccount" };

    private static Target TargetOf(JsonObject obj)
    {
        var kind = obj.Str("kind") ?? "";
        return Kinds.TryGetValue(kind, out var t) ? t : throw new InvalidOperationException($"No API path known for kind {kind}.");
    }

    internal static string PathOf(JsonObject obj)
    {
        var t = TargetOf(obj);
        var name = Uri.EscapeDataString(obj.Str("metadata.name") ?? "");
        return t.Namespaced
            ? $"{t.ApiPrefix}/namespaces/{Uri.EscapeDataString(obj.Str("metadata.namespace") ?? "")}/{t.Resource}/{name}"
            : $"{t.ApiPrefix}/{t.Resource}/{name}";
    }

    private static string Describe(JsonObject obj) =>
        $"{obj.Str("kind")} {(obj.Str("metadata.namespace") is { } ns ? ns + "/" : "")}{obj.Str("metadata.name")}";

    /// <summary>
    /// One SelfSubjectAccessReview per verb (create, patch) and resource/namespace the manifest writes; every denial is collected
    /// and reported in one KubeRayInstallForbidden before anything is written.
    /// </summary>
    public static async Task CheckPermissionsAsync(KubeConnection connection, KubeRayOperatorManifest manifest, CancellationToken ct)
    {
        var needs = manifest.All
            .Select(o => (Target: TargetOf(o), Namespace: TargetOf(o).Namespaced ? o.Str("metadata.namespace") ?? "" : ""))
            .Distinct()
            .SelectMany(x => new[] { "create", "patch" }.Select(verb => (x.Target, x.Namespace, Verb: verb)))
            .ToList();
        var reviews = needs.Select(async n =>
        {
            var attributes = new JsonObject { ["verb"] = n.Verb, ["group"] = n.Target.Group, ["resource"] = n.Target.Resource };
            if (n.Namespace.Length > 0)
            {
                attributes["namespace"] = n.Namespace;
            }
            var review = new JsonObject
            {
                ["apiVersion"] = "authorization.k8s.io/v1",
                ["kind"] = "SelfSubjectAccessReview",
                ["spec"] = new JsonObject { ["resourceAttributes"] = attributes },
            };
            var answer = await connection.Api.PostAsync("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", review, ct, "SelfSubjectAccessReview").ConfigureAwait(false);
            return (n, Allowed: answer.Bool("status.allowed") == true);
        }).ToList();
        var results = await Task.WhenAll(reviews).ConfigureAwait(false);
        var denied = results.Where(r => !r.Allowed).Select(r => r.n).ToList();
        if (denied.Count == 0)
        {
            return;
        }
        var missing = denied
            .GroupBy(d => (d.Target.Resource, d.Target.Group, d.Namespace))
            .Select(g => $"{string.Join("+", g.Select(d => d.Verb))} {g.Key.Resource}{(g.Key.Group.Length > 0 ? "." + g.Key.Group : "")} " +
                         (g.Key.Namespace.Length > 0 ? $"in namespace '{g.Key.Namespace}'" : "(cluster-scoped)"))
            .ToList();
        throw new RayPSException(ErrorIds.KubeRayInstallForbidden, RayErrorCategory.PermissionDenied,
            $"Installing the KubeRay operator needs rights that context '{connection.ContextName}' does not have: {string.Join("; ", missing)}. " +
            "Nothing was installed. Ask a cluster admin to run Install-KubeRayOperator (CRDs and ClusterRoles are cluster-scoped), or to grant these rights.",
            missing.First());
    }

    /// <summary>The stored object, or null when it does not exist.</summary>
    private static async Task<JsonObject?> TryGetAsync(KubeConnection connection, string path, CancellationToken ct)
    {
        try
        {
            return await connection.Api.Raw.GetAsync(path, ct).ConfigureAwait(false);
        }
        catch (KubeApiException ex) when (ex.IsNotFound)
        {
            return null;
        }
        catch (KubeApiException ex)
        {
            throw ex.ToRayPSException();
        }
    }

    /// <summary>Applies the manifest: checks, CRDs, then the rest with the Deployment last.</summary>
    public static async Task<KubeRayOperatorInstallation> InstallAsync(KubeConnection connection, KubeRayOperatorManifest manifest, bool force, bool dryRun,
        Action<string>? progress, CancellationToken ct)
    {
        progress?.Invoke("Checking permissions (SelfSubjectAccessReview)");
        await CheckPermissionsAsync(connection, manifest, ct).ConfigureAwait(false);

        progress?.Invoke("Reading what is installed");
        var namespaces = manifest.All.Select(o => o.Str("metadata.namespace")).Where(n => n is not null).Distinct().ToList();
        var nsChecks = namespaces.Select(async ns => (ns, Exists: await TryGetAsync(connection, KubePaths.Namespace(ns!), ct).ConfigureAwait(false) is not null)).ToList();
        var reads = manifest.All.Select(o => TryGetAsync(connection, PathOf(o), ct)).ToList();
        var missingNs = (await Task.WhenAll(nsChecks).ConfigureAwait(false)).Where(n => !n.Exists).Select(n => n.ns!).ToList();
        var existing = await Task.WhenAll(reads).ConfigureAwait(false);
        if (missingNs.Count > 0)
        {
            throw new RayPSException(ErrorIds.NamespaceNotFound, RayErrorCategory.ObjectNotFound,
                $"Namespace {string.Join(", ", missingNs.Select(n => $"'{n}'"))} does not exist in context '{connection.ContextName}'. Create it first (kubectl create namespace {missingNs[0]}). Nothing was installed.",
                missingNs[0]);
        }

        var helmOwned = existing.Where(e => e is not null && e.Map("metadata.annotations").ContainsKey(HelmReleaseAnnotation)).Select(e => e!).ToList();
        if (helmOwned.Count > 0 && !force)
        {
            var first = helmOwned[0].Map("metadata.annotations");
            throw new RayPSException(ErrorIds.KubeRayOperatorHelmOwned, RayErrorCategory.ResourceExists,
                $"The KubeRay operator in context '{connection.ContextName}' was installed by Helm (release '{first.GetValueOrDefault(HelmReleaseAnnotation)}' in namespace " +
                $"'{first.GetValueOrDefault(HelmNamespaceAnnotation)}'; {helmOwned.Count} of its objects, e.g. {Describe(helmOwned[0])}). Nothing was changed. " +
                "Upgrade it with helm, or pass -Force to take it over with server-side apply (helm will no longer manage it cleanly).",
                Describe(helmOwned[0]));
        }

        var deployment = manifest.Objects.First(o => o.Str("kind") == "Deployment");
        var deploymentIndex = manifest.All.ToList().IndexOf(deployment);
        var previousVersion = existing[deploymentIndex] is { } oldDeployment
            ? ChartVersion(oldDeployment.Map("metadata.labels").GetValueOrDefault("helm.sh/chart"))
            : null;

        var all = manifest.All.ToList();
        var results = new KubeRayOperatorObject[all.Count];
        async Task ApplyAt(int i)
        {
            var obj = all[i];
            var query = $"?fieldManager={FieldManager}{(force ? "&force=true" : "")}{(dryRun ? "&dryRun=All" : "")}";
            JsonObject answer;
            try
            {
                answer = await connection.Api.Raw.PatchAsync(PathOf(obj) + query, obj, KubeApi.ApplyPatch, ct, Describe(obj)).ConfigureAwait(false);
            }
            catch (KubeApiException ex) when (!ex.IsConflict)
            {
                throw ex.ToRayPSException();
            }
            catch (KubeApiException ex)
            {
                var server = ex.ServerMessage ?? ex.ToRayPSException().Message;
                throw new RayPSException(ErrorIds.KubeApiConflict, RayErrorCategory.ResourceExists,
                    $"{Describe(obj)}: fields are owned by another manager ({server}). Pass -Force to take them over.", Describe(obj), ex) { StatusCode = 409 };
            }
            var before = existing[i];
            results[i] = new KubeRayOperatorObject
            {
                Kind = obj.Str("kind") ?? "",
                Name = obj.Str("metadata.name") ?? "",
                Namespace = obj.Str("metadata.namespace") ?? "",
                Action = dryRun ? KubeRayObjectAction.DryRun
                    : before is null ? KubeRayObjectAction.Created
                    : before.Str("metadata.resourceVersion") == answer.Str("metadata.resourceVersion") ? KubeRayObjectAction.Unchanged
                    : KubeRayObjectAction.Configured,
            };
        }

        var crdCount = manifest.Crds.Count;
        progress?.Invoke($"Applying {crdCount} CRDs");
        await Task.WhenAll(Enumerable.Range(0, crdCount).Select(ApplyAt)).ConfigureAwait(false);
        progress?.Invoke("Applying the operator's objects");
        await Task.WhenAll(Enumerable.Range(crdCount, all.Count - crdCount).Where(i => i != deploymentIndex).Select(ApplyAt)).ConfigureAwait(false);
        progress?.Invoke("Applying the operator Deployment");
        await ApplyAt(deploymentIndex).ConfigureAwait(false);

        var objects = results.ToList();
        // Like helm upgrade: objects of the previous render that this one no longer has (an upgrade or values change) are deleted.
        if (!dryRun && existing[deploymentIndex] is not null && objects.Any(o => o.Action != KubeRayObjectAction.Unchanged))
        {
            progress?.Invoke("Removing objects the new render no longer has");
            objects.AddRange(await PruneAsync(connection, manifest, ct).ConfigureAwait(false));
        }

        return new KubeRayOperatorInstallation
        {
            Namespace = manifest.Namespace,
            Name = manifest.DeploymentName,
            Version = manifest.Version,
            PreviousVersion = previousVersion,
            DryRun = dryRun,
            Objects = objects,
            Context = connection.ContextName,
        };
    }

    /// <summary>
    /// The stale objects of this install (found by label): in its namespace, RoleBindings whose ServiceAccount is in its namespace
    /// and their Roles, and cluster-scoped ones unless another RayPS operator Deployment (another namespace) may still use them.
    /// </summary>
    private static async Task<IReadOnlyList<KubeRayOperatorObject>> PruneAsync(KubeConnection connection, KubeRayOperatorManifest manifest, CancellationToken ct)
    {
        var installed = await FindInstalledAsync(connection, ct).ConfigureAwait(false);
        var wanted = new HashSet<string>(manifest.Objects.Select(PathOf), StringComparer.Ordinal);
        var ns = manifest.Namespace;
        var otherOperators = DeploymentNamespaces(installed).Any(n => n != ns);
        var stale = installed.Where(o => !wanted.Contains(PathOf(o))).ToList();
        var ourBindings = stale
            .Where(o => o.Str("kind") == "RoleBinding" && o.Items("subjects").Any(s => s.Str("kind") == "ServiceAccount" && s.Str("namespace") == ns))
            .Select(o => $"{o.Str("metadata.namespace")}/{o.Str("roleRef.name")}")
            .ToHashSet(StringComparer.Ordinal);
        var prune = stale.Where(o =>
        {
            var objectNs = o.Str("metadata.namespace");
            return o.Str("kind") switch
            {
                "ClusterRole" or "ClusterRoleBinding" => !otherOperators,
                "RoleBinding" => objectNs == ns || o.Items("subjects").Any(s => s.Str("namespace") == ns),
                "Role" => objectNs == ns || ourBindings.Contains($"{objectNs}/{o.Str("metadata.name")}"),
                _ => objectNs == ns,
            };
        }).ToList();
        return await UninstallAsync(connection, prune, Array.Empty<string>(), ct).ConfigureAwait(false);
    }

    /// <summary>"kuberay-operator-1.4.2" gives "1.4.2".</summary>
    internal static string? ChartVersion(string? chartLabel)
    {
        const string prefix = KubeRayOperatorChart.ChartName + "-";
        return chartLabel is not null && chartLabel.StartsWith(prefix, StringComparison.Ordinal) ? chartLabel[prefix.Length..] : null;
    }

    /// <summary>
    /// Polls until every CRD is Established and the Deployment has as many available replicas as desired (observed its
    /// latest generation). One GET per CRD until it is Established, then one Deployment GET per poll.
    /// </summary>
    public static async Task WaitReadyAsync(KubeConnection connection, KubeRayOperatorManifest manifest, TimeSpan timeout, Action<string>? progress,
        CancellationToken ct, TimeSpan? pollInterval = null)
    {
        var interval = pollInterval ?? TimeSpan.FromMilliseconds(500);
        var started = DateTime.UtcNow;
        var pendingCrds = manifest.CrdNames.ToList();
        var deploymentPath = KubePaths.Deployment(manifest.Namespace, manifest.DeploymentName);
        var state = "";
        while (true)
        {
            var checks = await Task.WhenAll(pendingCrds.Select(async name =>
            {
                var crd = await TryGetAsync(connection, $"{Operations.KubeRayOperatorOperations.CrdApiPath}/{name}", ct).ConfigureAwait(false);
                return (name, Established: crd.Items("status.conditions").Any(c => c.Str("type") == "Established" && c.Str("status") == "True"));
            })).ConfigureAwait(false);
            pendingCrds = checks.Where(c => !c.Established).Select(c => c.name).ToList();
            if (pendingCrds.Count > 0)
            {
                state = $"waiting for CRD {string.Join(", ", pendingCrds)} to be Established";
            }
            else
            {
                var d = await TryGetAsync(connection, deploymentPath, ct).ConfigureAwait(false);
                var desired = d.Int("spec.replicas") ?? 1;
                var available = d.Int("status.availableReplicas") ?? 0;
                var observed = d.Int("status.observedGeneration") ?? 0;
                if (d is not null && observed >= (d.Int("metadata.generation") ?? 0) && available >= desired)
                {
                    return;
                }
                state = $"operator Deployment {manifest.Namespace}/{manifest.DeploymentName}: {available}/{desired} available";
            }
            progress?.Invoke(state);
            if (DateTime.UtcNow - started >= timeout)
            {
                throw new RayPSException(ErrorIds.KubeRayOperatorWaitTimeout, RayErrorCategory.OperationTimeout,
                    $"The KubeRay operator was not ready after {timeout.TotalSeconds:0} s ({state}). Check its pods: Get-KubeRayOperator -Namespace {manifest.Namespace}.",
                    manifest.DeploymentName);
            }
            await Task.Delay(interval, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The objects of a RayPS install (found by label, every namespace), Deployment first.</summary>
    public static async Task<IReadOnlyList<JsonObject>> FindInstalledAsync(KubeConnection connection, CancellationToken ct)
    {
        var selector = "?labelSelector=" + Uri.EscapeDataString(InstallSelector());
        var lists = UninstallOrder.Select(async kind =>
        {
            var t = Kinds[kind];
            var list = await connection.Api.GetAsync($"{t.ApiPrefix}/{t.Resource}{selector}", ct, t.Resource).ConfigureAwait(false);
            return list.Items("items").OfType<JsonObject>().Select(o =>
            {
                o["kind"] = kind;
                return o;
            }).ToList();
        }).ToList();
        var found = await Task.WhenAll(lists).ConfigureAwait(false);
        return found.SelectMany(x => x).ToList();
    }

    /// <summary>The namespaces of the operator Deployments among <paramref name="objects"/>.</summary>
    public static IReadOnlyList<string> DeploymentNamespaces(IEnumerable<JsonObject> objects) =>
        objects.Where(o => o.Str("kind") == "Deployment").Select(o => o.Str("metadata.namespace") ?? "").Distinct().ToList();

    /// <summary>How many RayClusters, RayJobs and RayServices exist (all namespaces); a missing CRD counts 0.</summary>
    public static async Task<IReadOnlyDictionary<string, int>> CountCustomResourcesAsync(KubeConnection connection, CancellationToken ct)
    {
        var kinds = new[] { "rayclusters", "rayjobs", "rayservices" };
        var counts = await Task.WhenAll(kinds.Select(async k =>
        {
            try
            {
                var list = await connection.Api.Raw.GetAsync(KubePaths.RayResources(k), ct, k).ConfigureAwait(false);
                return (k, list.Items("items").Count());
            }
            catch (KubeApiException ex) when (ex.IsNotFound)
            {
                return (k, 0);
            }
            catch (KubeApiException ex)
            {
                throw ex.ToRayPSException();
            }
        })).ConfigureAwait(false);
        return counts.ToDictionary(c => c.k, c => c.Item2, StringComparer.Ordinal);
    }

    /// <summary>Deletes the objects found by <see cref="FindInstalledAsync"/> and, with <paramref name="crds"/>, the ray.io CRDs.</summary>
    public static async Task<IReadOnlyList<KubeRayOperatorObject>> UninstallAsync(KubeConnection connection, IReadOnlyList<JsonObject> objects,
        IReadOnlyList<string> crds, CancellationToken ct)
    {
        var deleted = new List<KubeRayOperatorObject>();
        foreach (var obj in objects)
        {
            try
            {
                await connection.Api.Raw.DeleteAsync(PathOf(obj), ct, Describe(obj)).ConfigureAwait(false);
                deleted.Add(new KubeRayOperatorObject
                {
                    Kind = obj.Str("kind") ?? "",
                    Name = obj.Str("metadata.name") ?? "",
                    Namespace = obj.Str("metadata.namespace") ?? "",
                    Action = KubeRayObjectAction.Deleted,
                });
            }
            catch (KubeApiException ex) when (ex.IsNotFound)
            {
            }
            catch (KubeApiException ex)
            {
                throw ex.ToRayPSException();
            }
        }
        foreach (var name in crds)
        {
            try
            {
                await connection.Api.Raw.DeleteAsync($"{Operations.KubeRayOperatorOperations.CrdApiPath}/{Uri.EscapeDataString(name)}", ct, $"CustomResourceDefinition '{name}'").ConfigureAwait(false);
                deleted.Add(new KubeRayOperatorObject { Kind = "CustomResourceDefinition", Name = name, Action = KubeRayObjectAction.Deleted });
            }
            catch (KubeApiException ex) when (ex.IsNotFound)
            {
            }
            catch (KubeApiException ex)
            {
                throw ex.ToRayPSException();
            }
        }
        return deleted;
    }

    /// <summary>Polls the operator pods (label selector of the Deployment) until none is left.</summary>
    public static async Task WaitPodsGoneAsync(KubeConnection connection, string ns, TimeSpan timeout, Action<int>? progress, CancellationToken ct)
    {
        var path = KubePaths.WithSelector(KubePaths.Pods(ns), $"app.kubernetes.io/instance={KubeRayOperatorRenderer.ReleaseName},app.kubernetes.io/component");
        var started = DateTime.UtcNow;
        while (true)
        {
            var count = (await connection.Api.GetAsync(path, ct, "operator pods").ConfigureAwait(false)).Items("items").Count();
            if (count == 0)
            {
                return;
            }
            progress?.Invoke(count);
            if (DateTime.UtcNow - started >= timeout)
            {
                throw new RayPSException(ErrorIds.KubeRayOperatorWaitTimeout, RayErrorCategory.OperationTimeout,
                    $"{count} KubeRay operator pod(s) in namespace '{ns}' were still there after {timeout.TotalSeconds:0} s.", ns);
            }
            await Task.Delay(TimeSpan.FromMilliseconds(250), ct).ConfigureAwait(false);
        }
    }
}
