namespace RayPS.Sandbox.Store;

/// <summary>A group/version/resource triple naming a collection (core group = "").</summary>
public readonly record struct Gvr(string Group, string Version, string Resource)
{
    public static readonly Gvr Namespaces = new("", "v1", "namespaces");
    public static readonly Gvr Pods = new("", "v1", "pods");
    public static readonly Gvr Services = new("", "v1", "services");
    public static readonly Gvr Endpoints = new("", "v1", "endpoints");
    public static readonly Gvr Events = new("", "v1", "events");
    public static readonly Gvr ConfigMaps = new("", "v1", "configmaps");
    public static readonly Gvr Secrets = new("", "v1", "secrets");
    public static readonly Gvr ServiceAccounts = new("", "v1", "serviceaccounts");
    public static readonly Gvr Roles = new("rbac.authorization.k8s.io", "v1", "roles");
    public static readonly Gvr RoleBindings = new("rbac.authorization.k8s.io", "v1", "rolebindings");
    public static readonly Gvr ClusterRoles = new("rbac.authorization.k8s.io", "v1", "clusterroles");
    public static readonly Gvr ClusterRoleBindings = new("rbac.authorization.k8s.io", "v1", "clusterrolebindings");
    public static readonly Gvr Nodes = new("", "v1", "nodes");
    public static readonly Gvr Deployments = new("apps", "v1", "deployments");
    public static readonly Gvr ReplicaSets = new("apps", "v1", "replicasets");
    public static readonly Gvr CustomResourceDefinitions = new("apiextensions.k8s.io", "v1", "customresourcedefinitions");
    public static readonly Gvr RayClusters = new("ray.io", "v1", "rayclusters");

    /// <summary>"v1" for the core group, otherwise "group/version".</summary>
    public string GroupVersion => Group.Length == 0 ? Version : Group + "/" + Version;

    /// <summary>"resource.group" as used in error messages (just "resource" for core).</summary>
    public string GroupResource => Group.Length == 0 ? Resource : Resource + "." + Group;

    public override string ToString() => GroupVersion + "/" + Resource;
}
