namespace RayPS.Sandbox.Resources;

/// <summary>
/// The built-in resources the sandbox serves, with the names, scope, verbs, short names, categories
/// and subresources kube-apiserver 1.36 publishes for them. Resources without a dedicated strategy
/// are stored as given (metadata validation only).
/// </summary>
internal static class BuiltinResources
{
    private static readonly string[] All = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
    private static readonly string[] NoCollectionDelete = ["create", "delete", "get", "list", "patch", "update", "watch"];
    private static readonly string[] CreateOnly = ["create"];

    private static readonly Subresource Status = new("status", "get patch update");
    private static readonly Subresource Scale = new("scale", "get patch update", "Scale", "autoscaling", "v1");

    /// <summary>Groups in the order /apis lists them.</summary>
    public static readonly string[] GroupOrder = ["apps", "authentication.k8s.io", "authorization.k8s.io", "rbac.authorization.k8s.io", "apiextensions.k8s.io"];

    public static IEnumerable<ResourceType> Create()
    {
        // core/v1, alphabetical as discovery lists them.
        yield return Core("bindings", "binding", "Binding", true, [], verbs: CreateOnly);
        yield return Core("configmaps", "configmap", "ConfigMap", true, ["cm"]);
        yield return Core("endpoints", "endpoints", "Endpoints", true, ["ep"], strategy: UpsertStrategy.Instance);
        yield return Core("events", "event", "Event", true, ["ev"], strategy: new EventStrategy());
        yield return Core("limitranges", "limitrange", "LimitRange", true, ["limits"]);
        yield return Core("namespaces", "namespace", "Namespace", false, ["ns"], verbs: NoCollectionDelete,
            subresources: [new Subresource("finalize", "update"), Status], strategy: new NamespaceStrategy());
        yield return Core("nodes", "node", "Node", false, ["no"],
            subresources: [new Subresource("proxy", "create delete get patch update", "NodeProxyOptions"), Status], strategy: new NodeStrategy());
        yield return Core("persistentvolumeclaims", "persistentvolumeclaim", "PersistentVolumeClaim", true, ["pvc"], subresources: [Status], strategy: ReturnObjectStrategy.Instance);
        yield return Core("persistentvolumes", "persistentvolume", "PersistentVolume", false, ["pv"], subresources: [Status], strategy: ReturnObjectStrategy.Instance);
        yield return Core("pods", "pod", "Pod", true, ["po"], categories: ["all"], strategy: new PodStrategy(), subresources:
        [
            new Subresource("attach", "create get", "PodAttachOptions"),
            new Subresource("binding", "create", "Binding"),
            new Subresource("ephemeralcontainers", "get patch update"),
            new Subresource("eviction", "create", "Eviction", "policy", "v1"),
            new Subresource("exec", "create get", "PodExecOptions"),
            new Subresource("log", "get"),
            new Subresource("portforward", "create get", "PodPortForwardOptions"),
            new Subresource("proxy", "create delete get patch update", "PodProxyOptions"),
            new Subresource("resize", "get patch update"),
            Status,
        ]);
        yield return Core("podtemplates", "podtemplate", "PodTemplate", true, []);
        yield return Core("replicationcontrollers", "replicationcontroller", "ReplicationController", true, ["rc"], categories: ["all"], subresources: [Scale, Status]);
        yield return Core("resourcequotas", "resourcequota", "ResourceQuota", true, ["quota"], subresources: [Status]);
        yield return Core("secrets", "secret", "Secret", true, [], strategy: new SecretStrategy());
        yield return Core("serviceaccounts", "serviceaccount", "ServiceAccount", true, ["sa"],
            subresources: [new Subresource("token", "create", "TokenRequest", "authentication.k8s.io", "v1")], strategy: ReturnObjectStrategy.Instance);
        yield return Core("services", "service", "Service", true, ["svc"], categories: ["all"], strategy: new ServiceStrategy(), subresources:
        [
            new Subresource("proxy", "create delete get patch update", "ServiceProxyOptions"),
            Status,
        ]);

        yield return Apps("controllerrevisions", "controllerrevision", "ControllerRevision", [], []);
        yield return Apps("daemonsets", "daemonset", "DaemonSet", ["ds"], [Status], categories: ["all"]);
        yield return Apps("deployments", "deployment", "Deployment", ["deploy"], [Scale, Status], WorkloadStrategy.Deployment, ["all"]);
        yield return Apps("replicasets", "replicaset", "ReplicaSet", ["rs"], [Scale, Status], WorkloadStrategy.ReplicaSet, ["all"]);
        yield return Apps("statefulsets", "statefulset", "StatefulSet", ["sts"], [Scale, Status], categories: ["all"]);

        yield return Virtual("authentication.k8s.io", "selfsubjectreviews", "SelfSubjectReview", false);
        yield return Virtual("authorization.k8s.io", "selfsubjectaccessreviews", "SelfSubjectAccessReview", false);
        yield return Virtual("authorization.k8s.io", "selfsubjectrulesreviews", "SelfSubjectRulesReview", false);

        yield return Rbac("clusterrolebindings", "ClusterRoleBinding", false, RbacStrategy.Binding);
        yield return Rbac("clusterroles", "ClusterRole", false, RbacStrategy.Role);
        yield return Rbac("rolebindings", "RoleBinding", true, RbacStrategy.Binding);
        yield return Rbac("roles", "Role", true, RbacStrategy.Role);

        yield return new ResourceType
        {
            Group = "apiextensions.k8s.io",
            Resource = "customresourcedefinitions",
            Kind = "CustomResourceDefinition",
            Singular = "customresourcedefinition",
            Namespaced = false,
            Versions = ["v1"],
            StorageVersion = "v1",
            Verbs = All,
            ShortNames = ["crd", "crds"],
            Categories = ["api-extensions"],
            Subresources = [Status],
            Strategy = new CrdStrategy(),
        };
    }

    private static ResourceType Core(string resource, string singular, string kind, bool namespaced, string[] shortNames,
        string[]? verbs = null, string[]? categories = null, Subresource[]? subresources = null, ResourceStrategy? strategy = null) =>
        new()
        {
            Group = "",
            Resource = resource,
            Kind = kind,
            Singular = singular,
            Namespaced = namespaced,
            Versions = ["v1"],
            StorageVersion = "v1",
            Verbs = verbs ?? All,
            ShortNames = shortNames,
            Categories = categories ?? [],
            Subresources = subresources ?? [],
            Strategy = strategy ?? ResourceStrategy.Generic,
        };

    private static ResourceType Apps(string resource, string singular, string kind, string[] shortNames, Subresource[] subresources,
        ResourceStrategy? strategy = null, string[]? categories = null) =>
        new()
        {
            Group = "apps",
            Resource = resource,
            Kind = kind,
            Singular = singular,
            Namespaced = true,
            Versions = ["v1"],
            StorageVersion = "v1",
            Verbs = All,
            ShortNames = shortNames,
            Categories = categories ?? [],
            Subresources = subresources,
            Strategy = strategy ?? ResourceStrategy.Generic,
        };

    private static ResourceType Rbac(string resource, string kind, bool namespaced, ResourceStrategy strategy) =>
        new()
        {
            Group = "rbac.authorization.k8s.io",
            Resource = resource,
            Kind = kind,
            Singular = kind.ToLowerInvariant(),
            Namespaced = namespaced,
            Versions = ["v1"],
            StorageVersion = "v1",
            Verbs = All,
            Strategy = strategy,
        };

    // Create-only review resources: answered from the request, never stored.
    private static ResourceType Virtual(string group, string resource, string kind, bool namespaced) =>
        new()
        {
            Group = group,
            Resource = resource,
            Kind = kind,
            Singular = kind.ToLowerInvariant(),
            Namespaced = namespaced,
            Versions = ["v1"],
            StorageVersion = "v1",
            Verbs = CreateOnly,
            Strategy = ResourceStrategy.Generic,
        };
}
