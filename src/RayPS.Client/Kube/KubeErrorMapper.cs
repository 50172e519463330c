using System.Net.Sockets;
using System.Security.Authentication;
using RayPS.Errors;

namespace RayPS.Kube;

/// <summary>
/// The one place where API failures become user-facing errors: each gets a stable ErrorId, a category,
/// and a message that names the object, the context and what to do.
/// </summary>
public static class KubeErrorMapper
{
    public static RayPSException Map(KubeApiException ex, string contextName, string? what = null)
    {
        var target = what ?? ex.Target;
        var server = ex.ServerMessage ?? (string.IsNullOrWhiteSpace(ex.Body) ? $"HTTP {ex.StatusCode}" : ex.Body.Trim());
        switch (ex.StatusCode)
        {
            case 404 when ex.IsUnservedPath && ex.Path.Contains(KubePaths.RayApiGroup, StringComparison.Ordinal):
                return new RayPSException(ErrorIds.KubeRayCrdMissing, RayErrorCategory.NotInstalled,
                    $"The cluster of context '{contextName}' does not serve the ray.io API: the KubeRay CRDs are not installed. " +
                    "Install the KubeRay operator (helm install kuberay-operator kuberay/kuberay-operator --version 1.4.2) and check it with Get-KubeRayOperator.",
                    target, ex) { StatusCode = 404 };
            case 404 when ex.DetailsKind == "namespaces":
                return new RayPSException(ErrorIds.NamespaceNotFound, RayErrorCategory.ObjectNotFound,
                    $"The namespace '{ex.DetailsName}' does not exist in context '{contextName}'. Create it (kubectl create namespace {ex.DetailsName}) or pass another -Namespace.",
                    ex.DetailsName, ex) { StatusCode = 404 };
            case 404 when ex.DetailsKind == "rayclusters":
                return new RayPSException(ErrorIds.RayClusterNotFound, RayErrorCategory.ObjectNotFound,
                    $"RayCluster '{ex.DetailsName}' was not found ({server}) in context '{contextName}'. List clusters with Get-RayCluster -AllNamespaces.",
                    ex.DetailsName, ex) { StatusCode = 404 };
            case 404:
                return new RayPSException(ErrorIds.KubeApiNotFound, RayErrorCategory.ObjectNotFound,
                    $"Not found: {server} (context '{contextName}').", target, ex) { StatusCode = 404 };
            case 409 when ex.Reason == "AlreadyExists" && ex.DetailsKind == "rayclusters":
                return new RayPSException(ErrorIds.RayClusterExists, RayErrorCategory.ResourceExists,
                    $"{server}. Change it with Set-RayWorkerReplicas or Add-RayWorkerGroup, or delete it first with Remove-RayCluster.",
                    ex.DetailsName, ex) { StatusCode = 409 };
            case 409:
                return new RayPSException(ErrorIds.KubeApiConflict, RayErrorCategory.ResourceExists,
                    $"Conflict: {server} (context '{contextName}'). Someone else changed the object; read it again and retry.", target, ex) { StatusCode = 409 };
            case 401:
                return new RayPSException(ErrorIds.KubeApiUnauthorized, RayErrorCategory.AuthenticationError,
                    $"The API server of context '{contextName}' rejected the credentials (401 Unauthorized). Refresh the token or client certificate in your kubeconfig.",
                    target, ex) { StatusCode = 401 };
            case 403:
                return new RayPSException(ErrorIds.KubeApiForbidden, RayErrorCategory.PermissionDenied,
                    $"Permission denied in context '{contextName}': {server}. Ask a cluster admin for a Role granting that verb on that resource.",
                    target, ex) { StatusCode = 403 };
            case 422:
                var causes = ex.Causes;
                var detail = causes.Count > 0 ? " Causes: " + string.Join("; ", causes) + "." : string.Empty;
                return new RayPSException(ErrorIds.KubeApiInvalid, RayErrorCategory.InvalidData,
                    $"The API server rejected the object as invalid: {server}.{detail}", target, ex) { StatusCode = 422, Causes = causes };
            case 400:
                return new RayPSException(ErrorIds.KubeApiBadRequest, RayErrorCategory.InvalidArgument,
                    $"The API server rejected the request: {server}.", target, ex) { StatusCode = 400 };
            case 429:
                return new RayPSException(ErrorIds.KubeApiThrottled, RayErrorCategory.LimitsExceeded,
                    $"The API server of context '{contextName}' kept answering 429 Too Many Requests ({KubeApi.Attempts(ex.Attempts)}). Try again later.", target, ex) { StatusCode = 429 };
            case 504:
                return new RayPSException(ErrorIds.KubeApiTimeout, RayErrorCategory.OperationTimeout,
                    $"The API server of context '{contextName}' timed out: {server} ({KubeApi.Attempts(ex.Attempts)}).", target, ex) { StatusCode = 504 };
            case >= 500:
                return new RayPSException(ErrorIds.KubeApiServerError, RayErrorCategory.ResourceUnavailable,
                    $"The API server of context '{contextName}' failed with {ex.StatusCode} ({KubeApi.Attempts(ex.Attempts)}): {server}.", target, ex) { StatusCode = ex.StatusCode };
            default:
                return new RayPSException(ErrorIds.KubeApiError, RayErrorCategory.NotSpecified,
                    $"The API server of context '{contextName}' answered {ex.StatusCode}: {server}.", target, ex) { StatusCode = ex.StatusCode };
        }
    }

    /// <summary>Maps transport failures (no HTTP answer at all).</summary>
    public static RayPSException MapTransport(Exception ex, string contextName, Uri server, int attempts = 1, TimeSpan? timeout = null)
    {
        var tried = KubeApi.Attempts(attempts);
        if (FindInner<AuthenticationException>(ex) is not null)
        {
            return new RayPSException(ErrorIds.KubeApiTlsFailure, RayErrorCategory.SecurityError,
                $"The TLS handshake with {server} (context '{contextName}') failed: the server certificate is not trusted by the kubeconfig's certificate-authority, " +
                    $"or it does not name the host '{server.IdnHost}' (or the cluster's tls-server-name, when set). Check the cluster's certificate-authority-data and server address; when the certificate names another host, set the cluster's tls-server-name to that name.",
                server, ex);
        }

        if (FindInner<SocketException>(ex) is { } socket)
        {
            return new RayPSException(ErrorIds.KubeApiUnreachable, RayErrorCategory.ConnectionError,
                $"Cannot reach the API server {server} of context '{contextName}' ({socket.SocketErrorCode}, {tried}). Check that the cluster is running and the kubeconfig's server address is right.",
                server, ex);
        }

        if (ex is TaskCanceledException or TimeoutException)
        {
            return new RayPSException(ErrorIds.KubeApiTimeout, RayErrorCategory.OperationTimeout,
                $"The API server {server} of context '{contextName}' did not answer " +
                    (timeout is { } t ? $"within {t.TotalSeconds:0.###} s ({tried})." : $"in time ({tried})."), server, ex);
        }

        return new RayPSException(ErrorIds.KubeApiUnreachable, RayErrorCategory.ConnectionError,
            $"Cannot talk to the API server {server} of context '{contextName}' ({tried}): {ex.Message}", server, ex);
    }

    private static T? FindInner<T>(Exception? ex) where T : Exception
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is T match)
            {
                return match;
            }
        }
        return null;
    }
}
