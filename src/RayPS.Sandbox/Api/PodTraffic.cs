using System.Globalization;
using System.Text.Json.Nodes;
using RayPS.Sandbox.Http;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Net;
using RayPS.Sandbox.Net.Spdy;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.Api;

/// <summary>
/// Traffic that reaches pods through the apiserver: pods/NAME/log, pods/NAME/portforward (WebSocket
/// v4.channel.k8s.io) and pods|services/NAME[:PORT]/proxy/PATH, routed via <see cref="IPodNetwork"/>.
/// Checks and errors follow the real registry (no host, no IP, no endpoints, ...).
/// </summary>
internal sealed class PodTraffic(ObjectStore store, Func<IPodNetwork> network, Func<IPodLogSource?> logs)
{
    private static readonly string[] PortForwardProtocols = ["v4.channel.k8s.io", "channel.k8s.io"];
    private readonly StoredPodCache _pods = new(store);

    public async Task LogAsync(HttpRequest request, HttpResponse response, string ns, string name)
    {
        var pod = store.Get(Gvr.Pods, ns, name);
        var containers = Names(pod, "containers");
        var initContainers = Names(pod, "initContainers");
        var container = request.QueryValue("container") ?? "";
        if (container.Length == 0)
        {
            if (containers.Count == 1)
            {
                container = containers[0];
            }
            else
            {
                var message = $"a container name must be specified for pod {name}, choose one of: [{string.Join(" ", containers)}]";
                if (initContainers.Count > 0)
                {
                    message += $" or one of the init containers: [{string.Join(" ", initContainers)}]";
                }
                throw ApiErrors.BadRequest(message);
            }
        }
        else if (!containers.Contains(container) && !initContainers.Contains(container) && !Names(pod, "ephemeralContainers").Contains(container))
        {
            throw ApiErrors.BadRequest($"container {container} is not valid for pod {name}");
        }
        response.Headers["Cache-Control"] = "no-cache, private";
        if (string.IsNullOrEmpty(JsonNodes.StringAt(pod, "spec", "nodeName")))
        {
            // An unscheduled pod has no log location: the apiserver answers 204 with no body.
            response.StatusCode = 204;
            await response.WriteAsync(ReadOnlyMemory<byte>.Empty).ConfigureAwait(false);
            return;
        }
        if (KubeletLogRefusal(pod, name, container, request.QueryValue("previous") is "true" or "1") is { } refusal)
        {
            // The kubelet answers 400 with the error text; the apiserver's response checker turns it into a BadRequest Status.
            throw ApiErrors.BadRequest(refusal);
        }
        var options = new PodLogOptions(
            container,
            request.QueryValue("follow") is "true" or "1",
            request.QueryValue("previous") is "true" or "1",
            Long(request.QueryValue("tailLines")),
            Long(request.QueryValue("sinceSeconds")),
            request.QueryValue("timestamps") is "true" or "1",
            Long(request.QueryValue("limitBytes")));
        response.StatusCode = 200;
        response.Headers["Content-Type"] = "text/plain";
        var body = await response.StartChunkedAsync().ConfigureAwait(false);
        if (logs() is { } source)
        {
            try
            {
                await source.WriteLogAsync(ns, name, options, body, request.Aborted).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                body.Break();
                return;
            }
        }
        await body.CompleteAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Why the kubelet has no log for the container (its validateContainerLogStatus), or null when it has one: a container
    /// that never ran is "waiting to start", -previous needs a terminated earlier instance, and a waiting container that
    /// ran before serves its last instance's log.
    /// </summary>
    internal static string? KubeletLogRefusal(JsonObject pod, string podName, string container, bool previous)
    {
        var status = ((JsonNodes.At(pod, "status", "containerStatuses") as JsonArray)?.OfType<JsonObject>() ?? [])
            .Concat((JsonNodes.At(pod, "status", "initContainerStatuses") as JsonArray)?.OfType<JsonObject>() ?? [])
            .Concat((JsonNodes.At(pod, "status", "ephemeralContainerStatuses") as JsonArray)?.OfType<JsonObject>() ?? [])
            .FirstOrDefault(s => JsonNodes.GetString(s["name"]) == container);
        var c = JsonNodes.Quote(container);
        var p = JsonNodes.Quote(podName);
        if (status is null)
        {
            return $"container {c} in pod {p} is not available";
        }
        var lastId = JsonNodes.StringAt(status, "lastState", "terminated", "containerID");
        if (previous)
        {
            return string.IsNullOrEmpty(lastId) ? $"previous terminated container {c} in pod {p} not found" : null;
        }
        if (JsonNodes.At(status, "state", "running") is not null)
        {
            return null;
        }
        if (JsonNodes.At(status, "state", "terminated") is not null)
        {
            return !string.IsNullOrEmpty(JsonNodes.StringAt(status, "state", "terminated", "containerID")) || !string.IsNullOrEmpty(lastId)
                ? null
                : $"container {c} in pod {p} is terminated";
        }
        if (JsonNodes.At(status, "lastState", "terminated") is not null)
        {
            return string.IsNullOrEmpty(lastId) ? $"container {c} in pod {p} is terminated" : null;
        }
        if (JsonNodes.StringAt(status, "state", "waiting", "reason") is { } reason)
        {
            return reason switch
            {
                "ErrImagePull" => $"container {c} in pod {p} is waiting to start: image can't be pulled",
                "ImagePullBackOff" => $"container {c} in pod {p} is waiting to start: trying and failing to pull image",
                _ => $"container {c} in pod {p} is waiting to start: {reason}",
            };
        }
        return $"container {c} in pod {p} is waiting to start - no logs yet";
    }

    public async Task PortForwardAsync(HttpRequest request, HttpResponse response, string ns, string name)
    {
        var pod = store.Get(Gvr.Pods, ns, name);
        if (string.IsNullOrEmpty(JsonNodes.StringAt(pod, "spec", "nodeName")))
        {
            throw ApiErrors.BadRequest($"pod {name} does not have a host assigned");
        }
        if (SpdyPortForward.IsSpdyUpgrade(request))
        {
            // kubectl before 1.31, or with KUBECTL_PORT_FORWARD_WEBSOCKETS=false: a plain upgrade to SPDY/3.1.
            await SpdyPortForward.ServeUpgradeAsync(request, response, network(), ns, name, ObjectMeta.Uid(pod)).ConfigureAwait(false);
            return;
        }
        if (!request.IsWebSocketUpgrade)
        {
            throw ApiErrors.BadRequest("Upgrade request required");
        }
        if (SpdyPortForward.IsTunnelRequest(request))
        {
            // kubectl: SPDY tunnelled through the WebSocket; ports come per stream, not in the query.
            await SpdyPortForward.ServeTunnelAsync(request, response, network(), ns, name, ObjectMeta.Uid(pod)).ConfigureAwait(false);
            return;
        }
        var ports = new List<int>();
        foreach (var value in request.Query.GetValueOrDefault("ports") ?? [])
        {
            foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
                {
                    throw ApiErrors.BadRequest($"unable to parse {JsonNodes.Quote(part)} as a port: must be between 1 and 65535");
                }
                ports.Add(port);
            }
        }
        if (ports.Count == 0)
        {
            throw ApiErrors.BadRequest("at least 1 port must be specified");
        }
        var connections = new List<Stream?>();
        foreach (var port in ports)
        {
            connections.Add(await network().ConnectAsync(ns, name, port, request.Aborted).ConfigureAwait(false));
        }
        var protocol = WebSocketHandshake.ChooseProtocol(request, PortForwardProtocols);
        var offered = WebSocketHandshake.OfferedProtocols(request);
        if (protocol is null && offered.Count > 0)
        {
            // Neither a channel protocol nor a SPDY tunnel (served above).
            throw ApiErrors.BadRequest($"unable to upgrade connection: unable to negotiate protocol: client supports [{string.Join(" ", offered)}], server supports [{string.Join(" ", PortForwardProtocols)}]");
        }
        using var socket = await response.AcceptWebSocketAsync(request, protocol).ConfigureAwait(false);
        var session = new PortForwardSession(socket, ports, connections, $"{ObjectMeta.Uid(pod)}");
        await session.RunAsync(request.Aborted).ConfigureAwait(false);
    }

    public async Task ProxyAsync(HttpRequest request, HttpResponse response, RequestInfo info, string ns)
    {
        var (_, name, portText) = SplitSchemeNamePort(info.Name);
        var path = "/" + string.Join("/", info.Rest) + (request.QueryString.Length > 0 ? "?" + request.QueryString : "");
        var (pod, port, ip, storedPod) = info.Resource == "pods" ? ResolvePod(ns, name, portText) : ResolveService(ns, name, portText, info.Name);
        var connecting = storedPod is null ? network().ConnectAsync(ns, pod, port, request.Aborted) : network().ConnectAsync(ns, pod, port, storedPod, request.Aborted);
        var upstream = await connecting.ConfigureAwait(false)
            ?? throw ApiErrors.ServiceUnavailable($"error trying to reach service: dial tcp {ip}:{port}: connect: connection refused");
        await using (upstream.ConfigureAwait(false))
        {
            try
            {
                await HttpProxy.RelayAsync(upstream, request, path, $"{ip}:{port}", response, request.Aborted).ConfigureAwait(false);
            }
            catch (IOException ex) when (!response.HasStarted)
            {
                throw ApiErrors.ServiceUnavailable($"error trying to reach service: {ex.Message}");
            }
        }
    }

    /// <summary>The pod's port and IP, checked like the apiserver does, and a copy of its metadata for the network.</summary>
    private (string Pod, int Port, string Ip, JsonObject? StoredPod) ResolvePod(string ns, string name, string portText) =>
        _pods.Read(ns, name, pod => ResolvePod(pod, name, portText));

    private static (string Pod, int Port, string Ip, JsonObject? StoredPod) ResolvePod(JsonObject pod, string name, string portText)
    {
        var containerPorts = (JsonNodes.At(pod, "spec", "containers") as JsonArray)?.OfType<JsonObject>()
            .SelectMany(c => (c["ports"] as JsonArray)?.OfType<JsonObject>() ?? []).ToList() ?? [];
        int port;
        if (portText.Length == 0)
        {
            port = (int)(containerPorts.Select(p => JsonNodes.GetInteger(p["containerPort"])).FirstOrDefault() ?? 80);
        }
        else if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port))
        {
            port = (int)(JsonNodes.GetInteger(containerPorts.FirstOrDefault(p => JsonNodes.GetString(p["name"]) == portText)?["containerPort"]) ?? 0);
        }
        var ip = JsonNodes.StringAt(pod, "status", "podIP") ?? "";
        if (!System.Net.IPAddress.TryParse(ip, out var address) || System.Net.IPAddress.IsLoopback(address) || address.Equals(System.Net.IPAddress.Any))
        {
            throw ApiErrors.BadRequest("address not allowed");
        }
        return (name, port, ip, MetadataCopy(pod));
    }

    // Only the metadata: a copy of a whole pod costs more than the rest of a proxied request.
    private static JsonObject MetadataCopy(JsonObject pod)
    {
        var metadata = new JsonObject();
        foreach (var key in new[] { "name", "namespace", "uid", "labels", "annotations" })
        {
            if (JsonNodes.At(pod, "metadata", key) is { } value)
            {
                metadata[key] = value.DeepClone();
            }
        }
        return new JsonObject { ["metadata"] = metadata };
    }

    private (string Pod, int Port, string Ip, JsonObject? StoredPod) ResolveService(string ns, string name, string portText, string id)
    {
        if (int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            var service = store.Get(Gvr.Services, ns, name);
            var match = (JsonNodes.At(service, "spec", "ports") as JsonArray)?.OfType<JsonObject>()
                .FirstOrDefault(p => JsonNodes.GetInteger(p["port"]) == number)
                ?? throw ApiErrors.ServiceUnavailable($"no service port {number} found for service {JsonNodes.Quote(name)}");
            portText = JsonNodes.GetString(match["name"]) ?? "";
        }
        var endpoints = store.Get(Gvr.Endpoints, ns, name);
        if (endpoints["subsets"] is not JsonArray { Count: > 0 } subsets)
        {
            throw ApiErrors.ServiceUnavailable($"no endpoints available for service {JsonNodes.Quote(name)}");
        }
        foreach (var subset in subsets.OfType<JsonObject>())
        {
            var addresses = (subset["addresses"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
            if (addresses.Count == 0)
            {
                continue;
            }
            foreach (var port in (subset["ports"] as JsonArray)?.OfType<JsonObject>() ?? [])
            {
                if ((JsonNodes.GetString(port["name"]) ?? "") != portText)
                {
                    continue;
                }
                var address = addresses[Random.Shared.Next(addresses.Count)];
                var pod = JsonNodes.StringAt(address, "targetRef", "name") ?? "";
                return (pod, (int)(JsonNodes.GetInteger(port["port"]) ?? 0), JsonNodes.GetString(address["ip"]) ?? "", null);
            }
        }
        throw ApiErrors.ServiceUnavailable($"no endpoints available for service {JsonNodes.Quote(id)}");
    }

    /// <summary>"name", "name:port" or "scheme:name:port".</summary>
    private static (string Scheme, string Name, string Port) SplitSchemeNamePort(string id)
    {
        var parts = id.Split(':');
        return parts.Length switch
        {
            1 => ("", parts[0], ""),
            2 => ("", parts[0], parts[1]),
            3 when parts[0] is "http" or "https" => (parts[0], parts[1], parts[2]),
            _ => throw ApiErrors.BadRequest($"invalid service request {JsonNodes.Quote(id)}"),
        };
    }

    private static List<string> Names(JsonObject pod, string list) =>
        (JsonNodes.At(pod, "spec", list) as JsonArray)?.OfType<JsonObject>().Select(c => JsonNodes.GetString(c["name"]) ?? "").ToList() ?? [];

    private static long? Long(string? text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;
}
