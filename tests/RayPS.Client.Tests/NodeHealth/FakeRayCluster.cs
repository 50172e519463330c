using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using RayPS.Kube;

namespace RayPS.Client.Tests.NodeHealth;

/// <summary>One canned answer, optionally after a delay (a delay past the probe timeout is a timeout).</summary>
internal sealed record Reply(int Status, string Body, TimeSpan Delay = default, string ContentType = "application/text")
{
    public static readonly Reply Success = new(200, "success");

    public static Reply KubeStatus(int code, string reason, string message, string? kind = null) =>
        new(code, new JsonObject
        {
            ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = "Failure",
            ["message"] = message, ["reason"] = reason, ["details"] = kind is null ? null : new JsonObject { ["kind"] = kind }, ["code"] = code,
        }.ToJsonString(), ContentType: "application/json");
}

/// <summary>
/// A fake API server in front of a Ray cluster, at the end of the client's handler chain: pod and Deployment LISTs
/// (with ray.io/cluster label selectors), RayCluster GETs, and the pod and service proxies to the raylet health
/// endpoint, GCS health and the head's node list. Thread-safe, asynchronous (delays do not block threads); records
/// every request and the peak number of proxy requests in flight.
/// </summary>
internal sealed class FakeRayCluster : DelegatingHandler
{
    private int _inFlight;
    private int _maxInFlight;

    public string Namespace { get; init; } = "default";
    public string Cluster { get; init; } = "ray-cluster";

    public List<JsonObject> Pods { get; } = new();
    public List<JsonObject> Deployments { get; } = new();
    public List<JsonObject> RayClusters { get; } = new();
    public List<JsonObject> RayNodes { get; } = new();

    /// <summary>Raylet answers by pod name; pods not listed answer 200 success.</summary>
    public ConcurrentDictionary<string, Reply> Raylet { get; } = new();

    /// <summary>Delay of every raylet answer that has no entry in <see cref="Raylet"/>.</summary>
    public TimeSpan RayletDelay { get; set; }

    public Reply Gcs { get; set; } = Reply.Success;

    /// <summary>The /api/v0/nodes answer; null builds an envelope from <see cref="RayNodes"/>.</summary>
    public Reply? Nodes { get; set; }

    /// <summary>The /nodes?view=summary answer (only asked when /api/v0/nodes is a Ray 404).</summary>
    public Reply? NodeSummary { get; set; }

    public Reply? PodList { get; set; }
    public Reply? DeploymentList { get; set; }

    public ConcurrentQueue<string> Requests { get; } = new();
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    public IReadOnlyList<string> RequestsMatching(string fragment) => Requests.Where(r => r.Contains(fragment, StringComparison.Ordinal)).ToList();

    public KubeConnection Connect()
    {
        var config = new KubernetesClientConfiguration { Host = "https://fake.example:6443", AccessToken = "test-token-not-secret", Namespace = Namespace };
        return KubeConnection.Create(config, "fake-context", new RetryHandler { BaseDelay = TimeSpan.FromMilliseconds(1) }, this);
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri!;
        var pathAndQuery = Uri.UnescapeDataString(uri.PathAndQuery);
        Requests.Enqueue(pathAndQuery);
        var reply = Route(uri.AbsolutePath, Uri.UnescapeDataString(uri.Query.TrimStart('?')));
        var proxy = uri.AbsolutePath.Contains("/proxy/", StringComparison.Ordinal);
        if (proxy)
        {
            var now = Interlocked.Increment(ref _inFlight);
            int seen;
            while (now > (seen = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, seen) != seen)
            {
            }
        }
        try
        {
            if (reply.Delay > TimeSpan.Zero)
            {
                await Task.Delay(reply.Delay, cancellationToken);
            }
        }
        finally
        {
            if (proxy)
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }
        var response = new HttpResponseMessage((HttpStatusCode)reply.Status) { Content = new StringContent(reply.Body, Encoding.UTF8) };
        response.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(reply.ContentType);
        return response;
    }

    private Reply Route(string path, string query)
    {
        var selector = Param(query, "labelSelector");
        if (path.EndsWith("/pods", StringComparison.Ordinal))
        {
            return PodList ?? List("PodList", Pods, path, selector);
        }
        if (path.EndsWith("/deployments", StringComparison.Ordinal))
        {
            return DeploymentList ?? List("DeploymentList", Deployments, path, selector);
        }
        if (path.Contains("/rayclusters", StringComparison.Ordinal))
        {
            var name = path.EndsWith("/rayclusters", StringComparison.Ordinal) ? Param(query, "fieldSelector")?.Replace("metadata.name=", "") : path.Split('/')[^1];
            var found = RayClusters.Where(c => c["metadata"]!["name"]!.GetValue<string>() == name).ToList();
            if (path.EndsWith("/rayclusters", StringComparison.Ordinal))
            {
                return new Reply(200, new JsonObject { ["kind"] = "RayClusterList", ["items"] = new JsonArray(found.Select(f => (JsonNode)f.DeepClone()).ToArray()) }.ToJsonString(), ContentType: "application/json");
            }
            return found.Count > 0
                ? new Reply(200, found[0].ToJsonString(), ContentType: "application/json")
                : new Reply(404, $$"""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"rayclusters.ray.io \"{{name}}\" not found","reason":"NotFound","details":{"name":"{{name}}","group":"ray.io","kind":"rayclusters"},"code":404}""", ContentType: "application/json");
        }
        if (path.EndsWith("/proxy/api/local_raylet_healthz", StringComparison.Ordinal))
        {
            var pod = path.Split("/pods/")[1].Split(':')[0];
            return Raylet.TryGetValue(pod, out var reply) ? reply : Reply.Success with { Delay = RayletDelay };
        }
        if (path.EndsWith("/proxy/api/gcs_healthz", StringComparison.Ordinal))
        {
            return Gcs;
        }
        if (path.EndsWith("/proxy/api/v0/nodes", StringComparison.Ordinal))
        {
            return Nodes ?? new Reply(200, StateApiEnvelope(RayNodes), ContentType: "application/json");
        }
        if (path.EndsWith("/proxy/nodes", StringComparison.Ordinal))
        {
            return NodeSummary ?? new Reply(404, "404: Not Found", ContentType: "text/plain");
        }
        return new Reply(404, "404 page not found", ContentType: "text/plain");
    }

    private static string? Param(string query, string name) =>
        query.Split('&').Select(p => p.Split('=', 2)).Where(p => p[0] == name).Select(p => p.Length > 1 ? p[1] : "").FirstOrDefault();

    private static Reply List(string kind, List<JsonObject> items, string path, string? selector)
    {
        var ns = path.Contains("/namespaces/", StringComparison.Ordinal) ? path.Split("/namespaces/")[1].Split('/')[0] : null;
        var matching = items.Where(i => (ns is null || i["metadata"]?["namespace"]?.GetValue<string>() == ns) && Matches(i, selector)).Select(i => (JsonNode)i.DeepClone()).ToArray();
        return new Reply(200, new JsonObject { ["kind"] = kind, ["apiVersion"] = "v1", ["metadata"] = new JsonObject { ["resourceVersion"] = "1" }, ["items"] = new JsonArray(matching) }.ToJsonString(), ContentType: "application/json");
    }

    /// <summary>The selector forms the client sends: "key", "key=value", "key in (a,b)".</summary>
    private static bool Matches(JsonObject item, string? selector)
    {
        if (string.IsNullOrEmpty(selector))
        {
            return true;
        }
        var labels = item["metadata"]?["labels"] as JsonObject;
        string? Label(string key) => labels?[key]?.GetValue<string>();
        if (selector.Contains(" in (", StringComparison.Ordinal))
        {
            var key = selector[..selector.IndexOf(" in (", StringComparison.Ordinal)];
            var values = selector[(selector.IndexOf('(') + 1)..selector.IndexOf(')')].Split(',');
            return Label(key) is { } v && values.Contains(v);
        }
        if (selector.Contains('=', StringComparison.Ordinal))
        {
            var parts = selector.Split('=', 2);
            return Label(parts[0]) == parts[1];
        }
        return Label(selector) is not null;
    }

    public static string StateApiEnvelope(IEnumerable<JsonObject> nodes)
    {
        var rows = nodes.Select(n => (JsonNode)n.DeepClone()).ToArray();
        return new JsonObject
        {
            ["result"] = true, ["msg"] = "",
            ["data"] = new JsonObject
            {
                ["result"] = new JsonObject
                {
                    ["total"] = rows.Length, ["num_after_truncation"] = rows.Length, ["num_filtered"] = rows.Length,
                    ["result"] = new JsonArray(rows), ["partial_failure_warning"] = "", ["warnings"] = null,
                },
            },
        }.ToJsonString();
    }
}
