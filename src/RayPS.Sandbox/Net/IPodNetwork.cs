using System.Text.Json.Nodes;

namespace RayPS.Sandbox.Net;

/// <summary>
/// The sandbox's pod network: resolves a pod's port to a connection. Used by pods/NAME:PORT/proxy,
/// services/NAME:PORT/proxy (via the service's endpoints) and pods/NAME/portforward. Simulated pods
/// (part 2) register handlers; with nothing listening the API answers like a real cluster does.
/// </summary>
public interface IPodNetwork
{
    /// <summary>Opens a duplex connection to <paramref name="port"/> of a pod, or null when nothing listens there.</summary>
    ValueTask<Stream?> ConnectAsync(string @namespace, string pod, int port, CancellationToken cancellationToken);

    /// <summary>
    /// Opens a connection for a request the API server has just resolved against the pod as stored: a network that
    /// applies a pod's current metadata before answering (fault annotations) may take <paramref name="storedPod"/>
    /// (the pod's metadata as stored now: name, namespace, uid, labels, annotations; a copy it can keep) instead of
    /// reading the pod again.
    /// </summary>
    ValueTask<Stream?> ConnectAsync(string @namespace, string pod, int port, JsonObject storedPod, CancellationToken cancellationToken) =>
        ConnectAsync(@namespace, pod, port, cancellationToken);
}

/// <summary>Options of a pods/NAME/log request.</summary>
public sealed record PodLogOptions(string Container, bool Follow, bool Previous, long? TailLines, long? SinceSeconds, bool Timestamps, long? LimitBytes);

/// <summary>
/// Supplies container logs for pods/NAME/log once a pod runs on a node. Without a source, logs of
/// scheduled pods are empty.
/// </summary>
public interface IPodLogSource
{
    /// <summary>Writes the log to <paramref name="output"/>; with <see cref="PodLogOptions.Follow"/>, keeps writing until cancelled.</summary>
    Task WriteLogAsync(string @namespace, string pod, PodLogOptions options, Stream output, CancellationToken cancellationToken);
}
