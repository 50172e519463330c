namespace RayPS;

/// <summary>
/// KubeRay's and Ray's names, each written once: the <c>ray.io/*</c> labels KubeRay puts on pods and services, the head
/// service name rule, and the ports and port names of a Ray head (KubeRay's defaults, <c>utils.Default*Port</c>).
/// </summary>
public static class KubeRayNames
{
    public const string Group = "ray.io";
    public const string ApiVersion = Group + "/v1";

    public const string ClusterLabel = "ray.io/cluster";
    public const string GroupLabel = "ray.io/group";
    public const string NodeTypeLabel = "ray.io/node-type";
    public const string IdentifierLabel = "ray.io/identifier";

    /// <summary>The Ray node label (not a pod label) KubeRay sets to the worker group's name.</summary>
    public const string NodeGroupLabel = "ray.io/node-group";

    public const string HeadNodeType = "head";
    public const string WorkerNodeType = "worker";

    /// <summary>The head service KubeRay creates for a RayCluster (its status names the one it used: <c>status.head.serviceName</c>).</summary>
    public static string HeadServiceName(string cluster) => cluster + "-head-svc";

    /// <summary>The in-cluster DNS name of the head service.</summary>
    public static string HeadServiceHost(string cluster, string ns) => $"{HeadServiceName(cluster)}.{ns}.svc.cluster.local";

    /// <summary>The label selector of a cluster's pods (and Deployments).</summary>
    public static string ClusterSelector(string cluster) => $"{ClusterLabel}={cluster}";

    /// <summary>The label selector of one worker group's pods (and Deployments).</summary>
    public static string GroupSelector(string cluster, string group) => $"{ClusterLabel}={cluster},{GroupLabel}={group}";

    /// <summary>The label selector of a cluster's head pod.</summary>
    public static string HeadSelector(string cluster) => $"{ClusterLabel}={cluster},{NodeTypeLabel}={HeadNodeType}";

    /// <summary>GCS server on the head (<c>ray start --port</c>).</summary>
    public const int GcsPort = 6379;
    public const string GcsPortName = "gcs-server";

    /// <summary>The head's dashboard: the Jobs, state and log APIs (<c>--dashboard-port</c>).</summary>
    public const int DashboardPort = 8265;
    public const string DashboardPortName = "dashboard";

    /// <summary>The dashboard agent on every node: the raylet health check (<c>--dashboard-agent-listen-port</c>).</summary>
    public const int DashboardAgentPort = 52365;
    public const string DashboardAgentPortName = "dashboard-agent";

    /// <summary>The Ray client server on the head (<c>ray://</c>).</summary>
    public const int ClientPort = 10001;
    public const string ClientPortName = "client";

    public const int MetricsPort = 8080;
    public const string MetricsPortName = "metrics";
}

/// <summary>
/// The API server paths RayPS uses, each written once: RayClusters, Deployments, pods, services and namespaces, and the
/// pods/proxy, services/proxy, pods/log and pods/portforward subresources. Names are escaped here.
/// </summary>
public static class KubePaths
{
    public const string CoreApi = "/api/v1";
    public const string AppsApi = "/apis/apps/v1";
    /// <summary>The prefix of every ray.io path (a server without the CRDs answers it with a plain-text 404).</summary>
    public const string RayApiGroup = "/apis/" + KubeRayNames.Group + "/";
    public const string RayApi = RayApiGroup + "v1";

    private static string Escape(string value) => Uri.EscapeDataString(value);

    public static string Namespaces => $"{CoreApi}/namespaces";

    public static string Namespace(string ns) => $"{Namespaces}/{Escape(ns)}";

    /// <summary>RayClusters of a namespace, or of all namespaces when <paramref name="ns"/> is null.</summary>
    public static string RayClusters(string? ns) => ns is null ? $"{RayApi}/rayclusters" : $"{RayApi}/namespaces/{Escape(ns)}/rayclusters";

    public static string RayCluster(string ns, string name) => $"{RayClusters(ns)}/{Escape(name)}";

    /// <summary>Another ray.io resource across all namespaces (rayjobs, rayservices, ...).</summary>
    public static string RayResources(string plural) => $"{RayApi}/{plural}";

    /// <summary>Deployments of a namespace, or of all namespaces when <paramref name="ns"/> is null.</summary>
    public static string Deployments(string? ns) => ns is null ? $"{AppsApi}/deployments" : $"{AppsApi}/namespaces/{Escape(ns)}/deployments";

    public static string Deployment(string ns, string name) => $"{Deployments(ns)}/{Escape(name)}";

    /// <summary>Pods of a namespace, or of all namespaces when <paramref name="ns"/> is null.</summary>
    public static string Pods(string? ns) => ns is null ? $"{CoreApi}/pods" : $"{Namespace(ns)}/pods";

    public static string Pod(string ns, string name) => $"{Pods(ns)}/{Escape(name)}";

    public static string PodLog(string ns, string pod) => $"{Pod(ns, pod)}/log";

    public static string PodPortForward(string ns, string pod, int port) => $"{Pod(ns, pod)}/portforward?ports={port}";

    public static string Services(string ns) => $"{Namespace(ns)}/services";

    public static string Service(string ns, string name) => $"{Services(ns)}/{Escape(name)}";

    /// <summary>The API server's proxy to one port of a pod; <paramref name="path"/> starts with '/'.</summary>
    public static string PodProxy(string ns, string pod, int port, string path) => $"{Pod(ns, pod)}:{port}/proxy{path}";

    /// <summary>The API server's proxy to one (named) port of a service; <paramref name="path"/> starts with '/'.</summary>
    public static string ServiceProxy(string ns, string service, string port, string path) => $"{Service(ns, service)}:{port}/proxy{path}";

    /// <summary>A list path with a label selector.</summary>
    public static string WithSelector(string path, string selector) => path + "?labelSelector=" + Escape(selector);
}
