using System.Net;
using System.Net.Sockets;
using RayPS.Client.Tests.Dashboard.Support;
using RayPS.Dashboard;
using RayPS.Errors;

namespace RayPS.Client.Tests.Dashboard;

public sealed class PortForwardSessionTests : IDisposable
{
    private readonly FakeKubeApi _api = new();
    private readonly HttpClient _http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero }) { Timeout = TimeSpan.FromSeconds(20) };
    private readonly List<PortForwardSession> _sessions = new();

    private Task<PortForwardSession> StartAsync(string cluster, Func<DashboardSessionOptions, DashboardSessionOptions>? tweak = null)
    {
        var options = new DashboardSessionOptions
        {
            ClusterName = cluster,
            Namespace = FakeKubeApi.Ns,
            LocalPort = 0,
            ReconnectBaseDelay = TimeSpan.FromMilliseconds(20),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(100),
        };
        return StartCoreAsync(tweak?.Invoke(options) ?? options);
    }

    private async Task<PortForwardSession> StartCoreAsync(DashboardSessionOptions options)
    {
        var session = await PortForwardSession.StartAsync(_sessions.Count + 1, _api.Connect(), options, null, CancellationToken.None);
        _sessions.Add(session);
        return session;
    }

    [Fact]
    public async Task Forwards_dashboard_requests_and_counts_bytes()
    {
        _api.AddCluster("ray", "ray-head-a");
        _api.AddHeadPod("ray", "ray-head-a");
        var session = await StartAsync("ray");

        Assert.Equal(RayDashboardSessionState.Running, session.State);
        Assert.Equal("ray-head-a", session.View.PodName);
        Assert.Equal(8265, session.View.RemotePort);
        Assert.StartsWith("http://127.0.0.1:", session.View.Url);

        var version = await _http.GetStringAsync(new Uri(session.Url, "api/version"));
        Assert.Contains("\"ray_version\": \"2.46.0\"", version);
        using var nodes = await _http.GetAsync(new Uri(session.Url, "nodes?view=summary"));
        Assert.Equal(HttpStatusCode.OK, nodes.StatusCode);
        Assert.Contains("Node summary fetched.", await nodes.Content.ReadAsStringAsync());
        Assert.Equal("ray-head-a", nodes.Headers.GetValues("X-Pod").Single());

        Assert.True(session.Traffic.BytesIn > version.Length);
        Assert.True(session.Traffic.BytesOut > 0);
        Assert.True(session.Traffic.TotalConnections >= 1);
    }

    [Fact]
    public async Task Serves_fifty_concurrent_connections_each_on_its_own_stream()
    {
        _api.AddCluster("ray", "ray-head-a");
        _api.AddHeadPod("ray", "ray-head-a");
        var session = await StartAsync("ray");
        var before = _api.Upgrades;

        // One HttpClient per request forces a fresh TCP connection each time, like a browser's parallel fetches.
        var requests = Enumerable.Range(0, 50).Select(async i =>
        {
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            var body = await client.GetStringAsync(new Uri(session.Url, i % 2 == 0 ? "api/version" : "nodes?view=summary"));
            return body.Length;
        }).ToList();
        var lengths = await Task.WhenAll(requests);

        Assert.All(lengths, l => Assert.True(l > 0));
        Assert.True(_api.Upgrades - before >= 50, $"expected one port-forward stream per connection, saw {_api.Upgrades - before}");
        Assert.True(session.Traffic.TotalConnections >= 50);
        await WaitUntilAsync(() => session.Traffic.ActiveConnections == 0);
        Assert.Equal(0, session.Reconnects); // clients closing their connections is not a pod failure
        Assert.Empty(session.DrainNotices());
    }

    [Fact]
    public async Task Streams_a_large_download_intact()
    {
        _api.AddCluster("ray", "ray-head-a");
        _api.AddHeadPod("ray", "ray-head-a");
        var session = await StartAsync("ray");

        const long size = 8 * 1024 * 1024;
        using var response = await _http.GetAsync(new Uri(session.Url, $"blob?bytes={size}"), HttpCompletionOption.ResponseHeadersRead);
        var stream = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[81920];
        long total = 0;
        for (int n; (n = await stream.ReadAsync(buffer)) > 0;)
        {
            total += n;
        }
        Assert.Equal(size, total);
        Assert.True(session.Traffic.BytesIn >= size);
    }

    [Fact]
    public async Task Start_survives_a_503_on_its_first_port_forward()
    {
        _api.AddCluster("ray", "ray-head-a");
        _api.AddHeadPod("ray", "ray-head-a");
        _api.UnavailableUpgrades = 1;

        var session = await StartAsync("ray");

        Assert.Equal(0, _api.UnavailableUpgrades);
        Assert.Equal(RayDashboardSessionState.Running, session.State);
        Assert.Contains("ray_version", await _http.GetStringAsync(new Uri(session.Url, "api/version")));
        Assert.Empty(session.DrainNotices());
    }

    [Fact]
    public async Task A_connection_the_API_server_refuses_is_retried_alone_without_reconnecting_the_session()
    {
        _api.AddCluster("ray", "ray-head-a");
        _api.AddHeadPod("ray", "ray-head-a");
        var session = await StartAsync("ray");
        var notices = new List<string>();
        session.Notice += line => { lock (notices) notices.Add(line); };
        var requestsBefore = _api.Requests.Count;
        // One more than the retry policy allows for one stream, so the connection's first open fails after all its
        // attempts: the connector's 5, each of which this test pipeline's RetryHandler also sends up to 5 times.
        _api.UnavailableUpgrades = 5 * 5 + 1;

        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        using var response = await client.GetAsync(new Uri(session.Url, "api/version"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, _api.UnavailableUpgrades);
        Assert.Equal(0, session.Reconnects);
        Assert.Equal(RayDashboardSessionState.Running, session.State);
        // Nothing was re-resolved: only port-forward requests (the upgrades and the one GET asking why the last failed).
        Assert.All(_api.Requests.Skip(requestsBefore), r => Assert.EndsWith("/portforward", r.RequestUri!.AbsolutePath));
        lock (notices)
        {
            Assert.Equal(2, notices.Count);
            Assert.Contains("The API server did not open a port-forward to head pod 'default/ray-head-a'", notices[0]);
            Assert.Contains("the others carry on", notices[0]);
            Assert.Contains("Port-forwards to head pod 'default/ray-head-a' open again, after 1 failure in a row.", notices[1]);
        }
    }

    [Fact]
    public async Task Follows_the_head_pod_when_it_is_replaced()
    {
        _api.AddCluster("ray", "ray-head-a");
        _api.AddHeadPod("ray", "ray-head-a");
        var session = await StartAsync("ray");
        var notices = new List<string>();
        session.Notice += line => { lock (notices) notices.Add(line); };
        Assert.Equal("ray-head-a", (await _http.GetAsync(new Uri(session.Url, "api/version"))).Headers.GetValues("X-Pod").Single());

        _api.DeletePod("ray-head-a");
        _api.AddHeadPod("ray", "ray-head-b");
        _api.SetHeadPodName("ray", "ray-head-b");

        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var after = await client.GetAsync(new Uri(session.Url, "api/version"));
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal("ray-head-b", after.Headers.GetValues("X-Pod").Single());
        Assert.Equal("ray-head-b", session.View.PodName);
        Assert.Equal(RayDashboardSessionState.Running, session.State);
        Assert.Equal(1, session.Reconnects);
        lock (notices)
        {
            Assert.Contains(notices, n => n.Contains("Lost the port-forward to head pod 'default/ray-head-a'"));
            Assert.Contains(notices, n => n.Contains("was replaced: forwarding to 'default/ray-head-b'"));
        }
    }

    [Fact]
    public async Task A_request_that_reaches_a_dying_pod_is_replayed_on_the_new_one()
    {
        _api.AddCluster("ray", "ray-head-a");
        var old = _api.AddHeadPod("ray", "ray-head-a");
        var session = await StartAsync("ray");

        // The old pod still exists (terminating) and the API server still forwards to it, but Ray is gone.
        old.RefuseConnections = true;
        _api.MarkTerminating("ray-head-a");
        _api.AddHeadPod("ray", "ray-head-b");
        _api.SetHeadPodName("ray", "ray-head-b");

        // One raw connection and one request: no HTTP client retrying behind the test's back.
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, session.DashboardEndPoint.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes("GET /nodes?view=summary HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
        var answer = await new StreamReader(stream).ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.StartsWith("HTTP/1.1 200 OK", answer);
        Assert.Contains("X-Pod: ray-head-b", answer);
        Assert.Contains("Node summary fetched.", answer);
        Assert.Equal(1, session.Reconnects);
        Assert.Equal(1, session.Traffic.TotalConnections);
    }

    [Fact]
    public async Task A_server_that_drops_streams_instead_of_closing_them_causes_no_reconnect()
    {
        _api.AddCluster("ray", "ray-head-a");
        _api.AddHeadPod("ray", "ray-head-a").DropInsteadOfClose = true;
        var session = await StartAsync("ray", o => o with { SuspectCheckCooldown = TimeSpan.FromHours(1) });
        var resolvesBefore = _api.Requests.Count;
        int Checks() => _api.Requests.Skip(resolvesBefore).Count(r => r.RequestUri!.AbsolutePath.EndsWith("/rayclusters/ray"));

        for (var i = 0; i < 5; i++)
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(IPAddress.Loopback, session.DashboardEndPoint.Port);
            var stream = tcp.GetStream();
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes("GET /api/version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
            Assert.StartsWith("HTTP/1.1 200 OK", await new StreamReader(stream).ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10)));
        }
        await WaitUntilAsync(() => session.Traffic.ActiveConnections == 0);
        // The first drop starts one check of the head pod; wait for it to finish, then nothing else may have happened.
        await WaitUntilAsync(() => Checks() >= 1);
        await session.SuspectCheck.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(RayDashboardSessionState.Running, session.State);
        Assert.Equal(0, session.Reconnects);
        Assert.Empty(session.DrainNotices());
        // One check of the head pod (cluster + pod + probe), not one per dropped stream.
        Assert.Equal(1, Checks());
    }

    [Fact]
    public async Task Waits_while_the_new_head_pod_starts()
    {
        _api.AddCluster("ray", "ray-head-a");
        _api.AddHeadPod("ray", "ray-head-a");
        var session = await StartAsync("ray", o => o with { ReconnectBaseDelay = TimeSpan.FromMilliseconds(50), ReconnectMaxDelay = TimeSpan.FromMilliseconds(200) });

        _api.DeletePod("ray-head-a");
        _api.AddHeadPod("ray", "ray-head-pending", phase: "Pending", ready: false, waitingReason: "ContainerCreating");
        _api.SetHeadPodName("ray", "ray-head-pending");
        var request = _http.GetAsync(new Uri(session.Url, "api/version"));
        await WaitUntilAsync(() => session.State == RayDashboardSessionState.Reconnecting);
        Assert.Equal(ErrorIds.DashboardTargetNotReady, (await EventuallyAsync(() => session.LastError)).ErrorId);
        Assert.False(request.IsCompleted);

        _api.DeletePod("ray-head-pending");
        _api.AddHeadPod("ray", "ray-head-b");
        _api.SetHeadPodName("ray", "ray-head-b");
        using var response = await request;
        Assert.Equal("ray-head-b", response.Headers.GetValues("X-Pod").Single());
    }

    [Fact]
    public async Task Gives_up_after_the_attempt_budget_and_frees_the_port()
    {
        _api.AddCluster("ray", "ray-head-a");
        _api.AddHeadPod("ray", "ray-head-a");
        var session = await StartAsync("ray", o => o with { MaxReconnectAttempts = 3 });
        var port = session.DashboardEndPoint.Port;
        _api.DeletePod("ray-head-a");

        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.GetAsync(new Uri(session.Url, "api/version")));
        await session.Completion.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(RayDashboardSessionState.Failed, session.State);
        Assert.Equal(ErrorIds.DashboardTargetNotReady, session.LastError?.ErrorId);
        Assert.Contains("it has no head pod yet", session.View.LastError);
        Assert.Contains(session.DrainNotices(), n => n.Contains("Gave up forwarding to RayCluster 'ray' after 3 failed attempts"));
        AssertPortFree(port);
    }

    [Fact]
    public async Task Reports_a_refusing_dashboard_as_a_forward_failure_and_gives_up()
    {
        _api.AddCluster("ray", "ray-head-a");
        var pod = _api.AddHeadPod("ray", "ray-head-a");
        var session = await StartAsync("ray", o => o with { MaxReconnectAttempts = 2 });
        pod.RefuseConnections = true;

        for (var i = 0; i < 6 && session.State != RayDashboardSessionState.Failed; i++)
        {
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.GetAsync(new Uri(session.Url, "api/version")));
        }
        await session.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(RayDashboardSessionState.Failed, session.State);
        Assert.Equal(ErrorIds.DashboardForwardFailed, session.LastError?.ErrorId);
        Assert.Contains("connection refused", session.View.LastError);
    }

    [Fact]
    public async Task Stop_closes_the_port_and_ends_every_connection()
    {
        _api.AddCluster("ray", "ray-head-a");
        _api.AddHeadPod("ray", "ray-head-a");
        var session = await StartAsync("ray");
        var port = session.DashboardEndPoint.Port;
        using var idle = new TcpClient();
        await idle.ConnectAsync(IPAddress.Loopback, port);
        await WaitUntilAsync(() => session.Traffic.ActiveConnections == 1);

        await session.StopAsync().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(session.Completion.IsCompletedSuccessfully);
        Assert.Equal(RayDashboardSessionState.Stopped, session.State);
        Assert.Equal(0, session.Traffic.ActiveConnections);
        Assert.NotNull(session.EndedAt);
        Assert.Equal(0, await idle.GetStream().ReadAsync(new byte[1]).AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        AssertPortFree(port);
        await session.StopAsync(); // idempotent
    }

    [Fact]
    public async Task A_taken_local_port_is_DashboardPortInUse_and_suggests_port_zero()
    {
        _api.AddCluster("ray", "ray-head-a");
        _api.AddHeadPod("ray", "ray-head-a");
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var ex = await Assert.ThrowsAsync<RayPSException>(() => StartAsync("ray", o => o with { LocalPort = port }));

        Assert.Equal(ErrorIds.DashboardPortInUse, ex.ErrorId);
        Assert.Contains(port.ToString(), ex.Message);
        Assert.Contains("-LocalPort 0", ex.Message);
        Assert.Empty(_api.Requests); // checked before any API call
    }

    [Fact]
    public async Task A_pending_head_pod_is_DashboardTargetNotReady_with_phase_and_reason_and_releases_the_port()
    {
        _api.AddCluster("ray", "ray-head-a");
        _api.AddHeadPod("ray", "ray-head-a", phase: "Pending", ready: false, waitingReason: "ImagePullBackOff");
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();

        var ex = await Assert.ThrowsAsync<RayPSException>(() => StartAsync("ray", o => o with { LocalPort = port }));

        Assert.Equal(ErrorIds.DashboardTargetNotReady, ex.ErrorId);
        Assert.Contains("Pending", ex.Message);
        Assert.Contains("ImagePullBackOff", ex.Message);
        AssertPortFree(port);
    }

    [Fact]
    public async Task A_missing_cluster_is_RayClusterNotFound()
    {
        var ex = await Assert.ThrowsAsync<RayPSException>(() => StartAsync("nope"));
        Assert.Equal(ErrorIds.RayClusterNotFound, ex.ErrorId);
    }

    [Fact]
    public async Task Forbidden_port_forward_is_KubeApiForbidden_naming_the_permission()
    {
        _api.AddCluster("ray", "ray-head-a");
        _api.AddHeadPod("ray", "ray-head-a");
        _api.ForbidPortForward = true;

        var ex = await Assert.ThrowsAsync<RayPSException>(() => StartAsync("ray"));

        Assert.Equal(ErrorIds.KubeApiForbidden, ex.ErrorId);
        Assert.Equal(RayErrorCategory.PermissionDenied, ex.Category);
        Assert.Contains("'create' on 'pods/portforward'", ex.Message);
        Assert.Contains("cannot create resource \"pods/portforward\"", ex.Message);
    }

    [Fact]
    public async Task Forwards_the_ray_client_port_when_asked()
    {
        _api.AddCluster("ray", "ray-head-a");
        _api.AddHeadPod("ray", "ray-head-a");
        var session = await StartAsync("ray", o => o with { IncludeClientPort = true, ClientLocalPort = 0 });

        Assert.NotNull(session.ClientEndPoint);
        Assert.Equal($"ray://127.0.0.1:{session.ClientEndPoint!.Port}", session.View.ClientUrl);
        Assert.NotEqual(session.DashboardEndPoint.Port, session.ClientEndPoint.Port);
        // The fake pod serves every port with its dashboard, so HTTP proves bytes flow through the second listener.
        var body = await _http.GetStringAsync($"http://127.0.0.1:{session.ClientEndPoint.Port}/api/version");
        Assert.Contains("ray_version", body);
        var forward = _api.Requests.Select(r => r.RequestUri!.Query).Last(q => q.StartsWith("?ports="));
        Assert.Equal("?ports=10001", forward);
    }

    [Fact]
    public async Task A_head_pod_whose_dashboard_refuses_fails_the_start_with_the_kubelet_message()
    {
        _api.AddCluster("ray", "ray-head-a");
        _api.AddHeadPod("ray", "ray-head-a").RefuseConnections = true;

        var ex = await Assert.ThrowsAsync<RayPSException>(() => StartAsync("ray"));

        Assert.Equal(ErrorIds.DashboardForwardFailed, ex.ErrorId);
        Assert.Equal(RayErrorCategory.ConnectionError, ex.Category);
        Assert.Contains("error forwarding port 8265 to pod ray-head-a", ex.Message);
    }

    [Fact]
    public async Task Background_work_never_writes_to_the_starting_caller_trace()
    {
        _api.AddCluster("ray", "ray-head-a");
        _api.AddHeadPod("ray", "ray-head-a");
        var lines = new List<string>();
        var startedAt = 0;
        RayPS.Kube.KubeApi.Trace = line => { lock (lines) lines.Add(line); };
        PortForwardSession session;
        try
        {
            session = await StartAsync("ray");
            lock (lines) startedAt = lines.Count;
        }
        finally
        {
            RayPS.Kube.KubeApi.Trace = null;
        }
        Assert.True(startedAt > 0, "the start itself is traced to its caller");

        _api.DeletePod("ray-head-a");
        _api.AddHeadPod("ray", "ray-head-b");
        _api.SetHeadPodName("ray", "ray-head-b");
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri(session.Url, "api/version"))).StatusCode);

        lock (lines)
        {
            Assert.Equal(startedAt, lines.Count);
        }
    }

    private static void AssertPortFree(int port)
    {
        using var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        listener.Stop();
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 10 s");
            await Task.Delay(10);
        }
    }

    private static async Task<T> EventuallyAsync<T>(Func<T?> value) where T : class
    {
        T? result = null;
        await WaitUntilAsync(() => (result = value()) is not null);
        return result!;
    }

    public void Dispose()
    {
        Task.WhenAll(_sessions.Select(s => s.StopAsync())).Wait(TimeSpan.FromSeconds(10));
        _http.Dispose();
    }
}
