using System.Diagnostics;

namespace RayPS.Sandbox.Tests.Unit;

public sealed class FaultAndAccountingTests() : SandboxTest(crd: true)
{
    [Fact]
    public async Task LatencyAppliesPerRoute()
    {
        Sandbox.Faults.AddLatency(TimeSpan.FromMilliseconds(400), pathPattern: "/api/v1/namespaces/*/configmaps");
        var slow = Stopwatch.StartNew();
        await Client.GetAsync("/api/v1/namespaces/default/configmaps");
        slow.Stop();
        var fast = Stopwatch.StartNew();
        await Client.GetAsync("/api/v1/namespaces/default/secrets");
        fast.Stop();
        Sandbox.Faults.Clear();
        Assert.True(slow.ElapsedMilliseconds >= 390, $"slow request took {slow.ElapsedMilliseconds} ms");
        Assert.True(fast.ElapsedMilliseconds < 390, $"fast request took {fast.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task ErrorsByCountThenRecovery()
    {
        var rule = Sandbox.Faults.AddError(503, count: 2, verb: "list", resource: "rayclusters");
        var first = await Client.GetAsync("/apis/ray.io/v1/namespaces/default/rayclusters");
        var second = await Client.GetAsync("/apis/ray.io/v1/namespaces/default/rayclusters");
        var third = await Client.GetAsync("/apis/ray.io/v1/namespaces/default/rayclusters");
        var other = await Client.GetAsync("/api/v1/namespaces/default/pods");
        Assert.Equal([503, 503, 200, 200], new[] { first.Status, second.Status, third.Status, other.Status });
        Assert.Equal("ServiceUnavailable", JsonNodes.GetString(first.Body!["reason"]));
        Assert.Equal(2, rule.Hits);
        Assert.True(rule.Spent);
        Sandbox.Faults.Clear();
    }

    [Fact]
    public async Task TooManyRequestsCarriesRetryAfter()
    {
        Sandbox.Faults.AddError(429, count: 1, retryAfter: TimeSpan.FromSeconds(3));
        var (status, body, response) = await Client.GetAsync("/api/v1/namespaces");
        Sandbox.Faults.Clear();
        Assert.Equal(429, status);
        Assert.Equal("TooManyRequests", JsonNodes.GetString(body!["reason"]));
        Assert.Equal(3, JsonNodes.GetInteger(JsonNodes.At(body, "details", "retryAfterSeconds")));
        Assert.Equal("3", response.Headers.RetryAfter?.Delta?.TotalSeconds.ToString());
    }

    [Fact]
    public async Task ProbabilityZeroNeverFiresAndClearRemovesRules()
    {
        Sandbox.Faults.AddError(500, probability: 0);
        Assert.Equal(200, (await Client.GetAsync("/api/v1/namespaces")).Status);
        Sandbox.Faults.AddError(500);
        Assert.Equal(500, (await Client.GetAsync("/api/v1/namespaces")).Status);
        Sandbox.Faults.Clear();
        Assert.Empty(Sandbox.Faults.Rules);
        Assert.Equal(200, (await Client.GetAsync("/api/v1/namespaces")).Status);
    }

    [Fact]
    public async Task DroppedConnectionsCloseWithoutAnAnswer()
    {
        Sandbox.Faults.DropConnections(count: 1, resource: "configmaps");
        Assert.Equal("", await RawGetAsync("/api/v1/namespaces/default/configmaps"));
        Assert.StartsWith("HTTP/1.1 200 OK", await RawGetAsync("/api/v1/namespaces/default/configmaps"));
        Sandbox.Faults.Clear();
    }

    // One request over a fresh TLS connection, read to the end (HttpClient would retry a dropped request).
    private async Task<string> RawGetAsync(string path)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync("127.0.0.1", Sandbox.Uri.Port);
        await using var tls = new System.Net.Security.SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync("127.0.0.1");
        await tls.WriteAsync(System.Text.Encoding.ASCII.GetBytes(
            $"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {Sandbox.AdminToken}\r\nConnection: close\r\n\r\n"));
        using var received = new MemoryStream();
        try
        {
            await tls.CopyToAsync(received);
        }
        catch (IOException)
        {
        }
        return System.Text.Encoding.ASCII.GetString(received.ToArray());
    }

    [Fact]
    public async Task WatchStreamsBreakAfterNEvents()
    {
        for (var i = 0; i < 3; i++)
        {
            Sandbox.Store.Create(Gvr.Secrets, new JsonObject
            {
                ["apiVersion"] = "v1", ["kind"] = "Secret", ["metadata"] = new JsonObject { ["name"] = "s" + i, ["namespace"] = "default" },
            });
        }
        Sandbox.Faults.DropWatchAfter(events: 2, resource: "secrets");
        using var response = await Client.Http.SendAsync(Client.Request(HttpMethod.Get, "/api/v1/namespaces/default/secrets?watch=1&timeoutSeconds=5"),
            HttpCompletionOption.ResponseHeadersRead);
        var started = Stopwatch.StartNew();
        var lines = new List<string>();
        await using var stream = await response.Content.ReadAsStreamAsync();
        using var reader = new StreamReader(stream);
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                lines.Add(line);
            }
            throw new EndOfStreamException("the stream ended cleanly instead of breaking");
        });
        Sandbox.Faults.Clear();
        Assert.Equal(2, lines.Count);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(4));
    }

    [Fact]
    public async Task RequestsAreCountedByVerbAndResource()
    {
        var log = Sandbox.Requests;
        log.Reset();
        await Client.GetAsync("/apis/ray.io/v1/namespaces/default/rayclusters");
        await Client.PostAsync("/apis/ray.io/v1/namespaces/default/rayclusters", Manifests.RayCluster("counted"));
        await Client.GetAsync("/apis/ray.io/v1/namespaces/default/rayclusters/counted");
        await Client.PatchAsync("/apis/ray.io/v1/namespaces/default/rayclusters/counted/status", "application/merge-patch+json", """{"status":{"state":"ready"}}""");
        await Client.SendAsync(HttpMethod.Delete, "/apis/ray.io/v1/namespaces/default/rayclusters/counted");
        await Client.GetAsync("/version");
        Assert.Equal(1, log.Count("list", "rayclusters"));
        Assert.Equal(1, log.Count("create", "rayclusters"));
        Assert.Equal(1, log.Count("get", "rayclusters"));
        Assert.Equal(1, log.Count("patch", "rayclusters/status"));
        Assert.Equal(1, log.Count("delete", "rayclusters"));
        Assert.Equal(1, log.Count("get", "/version"));
        Assert.Equal(6, log.Total);
        Assert.Contains(log.Snapshot(), c => c is { Verb: "create", Resource: "rayclusters", Count: 1 });
        log.Reset();
        Assert.Equal(0, log.Total);
    }
}
