using RayPS.Model;

namespace RayPS.Operations;

/// <summary>
/// The verdict on a KubeRay installation, in one place: from the operator Deployment, its pods and the CRDs to a
/// Status and a Hint that says what is wrong and what to run. Pure functions; the clock is an input.
/// </summary>
internal static class KubeRayOperatorRules
{
    public const string RayClustersCrd = "rayclusters.ray.io";

    public const string InstallCommand = "Install-KubeRayOperator -Namespace kube-system -Wait (or: helm install kuberay-operator kuberay/kuberay-operator --namespace kube-system --version 1.4.2)";

    public static (KubeRayOperatorStatus Status, string Hint) Evaluate(KubeRayOperatorFacts op, IReadOnlyList<KubeRayCrd> crds,
        IReadOnlyList<KubeRayOperatorFacts> allOperators, DateTimeOffset now)
    {
        var problems = new List<string>();
        var notes = new List<string>();

        if (op.Desired == 0)
        {
            problems.Add($"scaled to 0 replicas, so nothing reconciles RayClusters; scale it up: kubectl scale deployment {op.Name} -n {op.Namespace} --replicas=1");
        }
        else if (op.Ready < op.Desired)
        {
            problems.Add($"{op.Ready}/{op.Desired} replicas ready" + (op.UnavailableMessage is { Length: > 0 } m ? $" ({m})" : ""));
        }

        foreach (var pod in op.Pods ?? Array.Empty<RayPodFacts>())
        {
            if (PodProblem(pod) is { } problem)
            {
                problems.Add($"pod {pod.Name}: {problem}");
            }
            else if (pod.Restarts > 0 && pod.LastTermination is { FinishedAt: { } at } last && now - at <= NodeHealthRules.RecentWindow)
            {
                problems.Add($"pod {pod.Name} restarted {pod.Restarts} times, last {last.Reason}{(last.ExitCode is { } c ? $" (exit code {c})" : "")} at {NodeHealthRules.When(at, now)}; see kubectl logs {pod.Name} -n {op.Namespace} --previous");
            }
        }

        foreach (var crd in crds)
        {
            // RayClusters are what RayPS and every other KubeRay kind need; a missing or unusable RayJob or RayService CRD
            // only disables that kind (the Helm chart installs all three, so it means a partial or manual install).
            var findings = crd.Name == RayClustersCrd ? problems : notes;
            var plural = crd.Name.Split('.')[0];
            switch (crd.Installed)
            {
                case false:
                    findings.Add($"CRD {crd.Name} is missing, so {crd.Kind} objects cannot be created; install the chart's CRDs (helm upgrade --install kuberay-operator kuberay/kuberay-operator ..., which installs them) or kubectl apply --server-side the KubeRay CRDs");
                    break;
                case null:
                    notes.Add($"CRD {crd.Name} not checked: no permission to get customresourcedefinitions (cluster-scoped, apiextensions.k8s.io)");
                    break;
                case true when !crd.Established:
                    findings.Add($"CRD {crd.Name} exists but is not Established: the API server does not serve {plural} yet");
                    break;
                case true when !crd.ServedVersions.Contains("v1"):
                    findings.Add($"CRD {crd.Name} does not serve ray.io/v1 (served: {(crd.ServedVersions.Count > 0 ? string.Join(", ", crd.ServedVersions) : "none")}); KubeRay 1.x and RayPS need v1: upgrade the CRDs");
                    break;
            }
        }

        if (allOperators.Count > 1)
        {
            var others = string.Join(", ", allOperators.Where(o => !ReferenceEquals(o, op)).Select(o => $"{o.Namespace}/{o.Name}"));
            if (allOperators.Count(o => !o.WatchesSomeNamespaces) > 1)
            {
                problems.Add($"another KubeRay operator runs too ({others}) and neither limits itself with --watch-namespace: both reconcile the same RayClusters; remove one");
            }
            else
            {
                notes.Add($"other KubeRay operators: {others}");
            }
        }

        var status = problems.Count > 0 ? KubeRayOperatorStatus.Degraded : KubeRayOperatorStatus.Healthy;
        return (status, string.Join("; ", problems.Concat(notes)));
    }

    private static string? PodProblem(RayPodFacts pod)
    {
        if (pod.Terminating)
        {
            return "terminating";
        }
        if (pod.Waiting is { } w)
        {
            var image = w.Reason is "ImagePullBackOff" or "ErrImagePull" ? $" (image '{w.Image ?? pod.Image}' cannot be pulled)" : string.IsNullOrWhiteSpace(w.Message) ? "" : $" ({w.Message.Trim()})";
            var restarts = w.Reason == "CrashLoopBackOff" ? $", {pod.Restarts} restarts; see kubectl logs {pod.Name} -n {pod.Namespace} --previous" : "";
            return $"{w.Reason}{image}{restarts}";
        }
        return pod.Phase switch
        {
            "Pending" => "Pending" + (pod.Unschedulable ? $": Unschedulable ({pod.UnschedulableMessage})" : ""),
            "Failed" => "Failed" + (pod.PodReason is { } r ? $": {r}" : ""),
            "Running" when !pod.Ready => "Running but not Ready",
            _ => null,
        };
    }

    /// <summary>The hint of the NotInstalled object: what was searched, what exists, and how to install.</summary>
    public static string NotInstalledHint(IReadOnlyList<KubeRayCrd> crds, string? ns)
    {
        var where = ns is null ? "in any namespace" : $"in namespace '{ns}'";
        var searched = $"no Deployment labelled app.kubernetes.io/name=kuberay-operator (or kuberay) {where}";
        var installed = crds.Where(c => c.Installed == true).ToList();
        if (installed.Count == 0)
        {
            var unknown = crds.Any(c => c.Installed is null) ? " (the CRDs could not be read: no permission to get customresourcedefinitions)" : " and no ray.io CRDs";
            return $"KubeRay is not installed: {searched}{unknown}. Install it: {InstallCommand}";
        }
        var scope = ns is null ? "" : " Search every namespace by leaving out -Namespace.";
        return $"The ray.io CRDs are installed ({string.Join(" ", installed)}) but the operator was not found: {searched}, so RayClusters are not reconciled.{scope} " +
               $"If it runs under other labels, look for it with: kubectl get deployments -A | grep -i kuberay; else install it: {InstallCommand}";
    }
}
