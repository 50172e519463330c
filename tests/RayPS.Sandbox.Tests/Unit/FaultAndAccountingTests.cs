using System.Diagnostics;
using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Store;
using RayPS.Sandbox.Tests.Infrastructure;

namespace RayPS.Sandbox.Tests.Unit;

public sealed class FaultAndAccountingTests : IAsyncLifetime
{
    private KubeSandbox _sandbox = null!;
    private SandboxClient _client = null!;

    public async Task InitializeAsync()
    {
        _sandbox = await Sandboxes.StartAsync(crd: true);
        _client = new SandboxClient(_sandbox);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _sandbox.StopAsync();
    }

    [Fact]
    public async Task LatencyAppliesPerRoute()
    {
        _sandbox.Faults.AddLatency(TimeSpan.FromMilliseconds(400), pathPattern: "/api/v1/namespaces/*/configmaps");
        var slow = Stopwatch.StartNew();
        await _client.GetAsync("/api/v1/namespaces/default/configmaps");
        slow.Stop();
        var fast = Stopwatch.StartNew();
        await _client.GetAsync("/api/v1/namespaces/default/secrets");
        fast.Stop();
        _sandbox.Faults.Clear();
        Assert.True(slow.ElapsedMilliseconds >= 390, $"slow request took {slow.ElapsedMilliseconds} ms");
        Assert.True(fast.ElapsedMilliseconds < 390, $"fast request took {fast.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task ErrorsByCountThenRecovery()
    {
        var rule = _sandbox.Faults.AddError(503, count: 2, verb: "list", resource: "rayclusters");
        var first = await _client.GetAsync("/apis/ray.io/v1/namespaces/default/rayclusters");
        var second = await _client.GetAsync("/apis/ray.io/v1/namespaces/default/rayclusters");
        var third = await _client.GetAsync("/apis/ray.io/v1/namespaces/default/rayclusters");
        var other = await _client.GetAsync("/api/v1/namespaces/default/pods");
        Assert.Equal([503, 503, 200, 200], new[] { first.Status, second.Status, third.Status, other.Status });
        Assert.Equal("ServiceUnavailable", JsonNodes.GetString(first.Body!["reason"]));
        Assert.Equal(2, rule.Hits);
        Assert.True(rule.Spent);
        _sandbox.Faults.Clear();
    }

    [Fact]
    public async Task TooManyRequestsCarriesRetryAfter()
    {
        _sandbox.Faults.AddError(429, count: 1, retryAfter: TimeSpan.FromSeconds(3));
        var (status, body, response) = await _client.GetAsync("/api/v1/namespaces");
        _sandbox.Faults.Clear();
        Assert.Equal(429, status);
        Assert.Equal("TooManyRequests", JsonNodes.GetString(body!["reason"]));
        Assert.Equal(3, JsonNodes.GetInteger(JsonNodes.At(body, "details", "retryAfterSeconds")));
        Assert.Equal("3", response.Headers.RetryAfter?.Delta?.TotalSeconds.ToString());
    }

    [Fact]
    public async Task ProbabilityZeroNeverFiresAndClearRemovesRules()
    {
        _sandbox.Faults.AddError(500, probability: 0);
        Assert.Equal(200, (await _client.GetAsync("/api/v1/namespaces")).Status);
        _sandbox.Faults.AddError(500);
        Assert.Equal(500, (await _client.GetAsync("/api/v1/namespaces")).Status);
        _sandbox.Faults.Clear();
        Assert.Empty(_sandbox.Faults.Rules);
        Assert.Equal(200, (await _client.GetAsync("/api/v1/namespaces")).Status);
    }

    [Fact]
    public async Task DroppedConnectionsCloseWithoutAnAnswer()
    {
        _sandbox.Faults.DropConnections(count: 1, resource: "configmaps");
        Assert.Equal("", await RawGetAsync("/api/v1/namespaces/default/configmaps"));
        Assert.StartsWith("HTTP/1.1 200 OK", await RawGetAsync("/api/v1/namespaces/default/configmaps"));
        _sandbox.Faults.Clear();
    }

    // One request over a fresh TLS connection, read to the end (HttpClient would retry a dropped request).
    private async Task<string> RawGetAsync(string path)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync("127.0.0.1", _sandbox.Uri.Port);
        await using var tls = new System.Net.Security.SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync("127.0.0.1");
        await tls.WriteAsync(System.Text.Encoding.ASCII.GetBytes(
            $"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {_sandbox.AdminToken}\r\nConnection: close\r\n\r\n"));
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
            _sandbox.Store.Create(Gvr.Secrets, new JsonObject
            {
                ["apiVersion"] = "v1", ["kind"] = "Secret", ["metadata"] = new JsonObject { ["name"] = "s" + i, ["namespace"] = "default" },
            });
        }
        _sandbox.Faults.DropWatchAfter(events: 2, resource: "secrets");
        using var response = await _client.Http.SendAsync(_client.Request(HttpMethod.Get, "/api/v1/namespaces/default/secrets?watch=1&timeoutSeconds=5"),
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
        _sandbox.Faults.Clear();
        Assert.Equal(2, lines.Count);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(4));
    }

    [Fact]
    public async Task RequestsAreCountedByVerbAndResource()
    {
        var log = _sandbox.Requests;
        log.Reset();
        await _client.GetAsync("/apis/ray.io/v1/namespaces/default/rayclusters");
        await _client.PostAsync("/apis/ray.io/v1/namespaces/default/rayclusters", Manifests.RayCluster("counted"));
        await _client.GetAsync("/apis/ray.io/v1/namespaces/default/rayclusters/counted");
        await _client.PatchAsync("/apis/ray.io/v1/namespaces/default/rayclusters/counted/status", "application/merge-patch+json", """{"status":{"state":"ready"}}""");
        await _client.SendAsync(HttpMethod.Delete, "/apis/ray.io/v1/namespaces/default/rayclusters/counted");
        await _client.GetAsync("/version");
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
