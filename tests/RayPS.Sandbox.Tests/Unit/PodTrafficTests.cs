using System.Text;
using k8s;
using RayPS.Sandbox.Http;
using RayPS.Sandbox.Net;
using RayPS.Sandbox.Resources;

namespace RayPS.Sandbox.Tests.Unit;

/// <summary>Proxy, port-forward and logs reaching simulated pods through <see cref="PodNetwork"/>.</summary>
public sealed class PodTrafficTests : SandboxTest
{
    /// <summary>A pod bound to a node with an IP and a Ready condition, as a kubelet would leave it.</summary>
    private void RunningPod(string name, string ip, Dictionary<string, string>? labels = null, string containerState = """{"running":{"startedAt":"2026-01-01T00:00:00Z"}}""", string lastState = "{}")
    {
        Sandbox.Store.Create(Gvr.Pods, Objects.Pod(name, labels: labels));
        PodBinding.Bind(Sandbox.Store, "default", name, "node-1");
        Sandbox.Store.Patch(Gvr.Pods, "default", name, PatchType.MergePatch,
            """{"status":{"phase":"Running","podIP":"ADDRESS","conditions":[{"type":"Ready","status":"True","lastTransitionTime":"2026-01-01T00:00:00Z"}],"containerStatuses":[{"name":"main","state":STATE,"lastState":LAST,"ready":true,"restartCount":0,"image":"busybox","imageID":""}]}}"""
                .Replace("ADDRESS", ip).Replace("STATE", containerState).Replace("LAST", lastState),
            subresource: "status");
    }

    private static Task Echo(HttpRequest request, HttpResponse response) =>
        response.WriteAsync($"{request.Method} {request.Target} {request.BodyText}", "text/plain");

    [Fact]
    public async Task PodProxyReachesThePodsPort()
    {
        RunningPod("web-0", "10.244.0.5");
        Sandbox.PodNetwork.ListenHttp("default", "web-0", 8265, Echo);
        var (status, body, response) = await Client.SendAsync(HttpMethod.Get, "/api/v1/namespaces/default/pods/web-0:8265/proxy/api/version?x=1");
        Assert.Equal(200, status);
        Assert.Equal("GET /api/version?x=1 ", JsonNodes.GetString(body));
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);

        var refused = await Client.GetAsync("/api/v1/namespaces/default/pods/web-0:9999/proxy/");
        Assert.Equal(503, refused.Status);
        Assert.Equal("error trying to reach service: dial tcp 10.244.0.5:9999: connect: connection refused", JsonNodes.GetString(refused.Body!["message"]));
    }

    [Fact]
    public async Task PodProxyWithoutAnIpIsRefused()
    {
        Sandbox.Store.Create(Gvr.Pods, Objects.Pod("pending-0"));
        var (status, body, _) = await Client.GetAsync("/api/v1/namespaces/default/pods/pending-0/proxy/");
        Assert.Equal(400, status);
        Assert.Equal("address not allowed", JsonNodes.GetString(body!["message"]));
    }

    [Fact]
    public async Task ServiceProxyGoesThroughReadyEndpoints()
    {
        Sandbox.Store.Create(Gvr.Services, (JsonObject)JsonText.Parse("""
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"dash","namespace":"default"},
             "spec":{"selector":{"app":"dash"},"ports":[{"name":"dashboard","port":8265,"targetPort":"http"}]}}
            """)!);
        await Sandbox.WaitForIdleAsync();
        var empty = await Client.GetAsync("/api/v1/namespaces/default/services/dash:dashboard/proxy/api/gcs_healthz");
        Assert.Equal(503, empty.Status);
        Assert.Equal("no endpoints available for service \"dash\"", JsonNodes.GetString(empty.Body!["message"]));

        RunningPod("dash-0", "10.244.0.9", new() { ["app"] = "dash" });
        Sandbox.PodNetwork.ListenHttp("default", "dash-0", 8265, Echo);
        await Sandbox.WaitForIdleAsync();
        var endpoints = Sandbox.Store.Get(Gvr.Endpoints, "default", "dash");
        Assert.Equal("10.244.0.9", JsonNodes.StringAt(endpoints["subsets"]![0]!["addresses"]![0], "ip"));

        var (status, body, _) = await Client.SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/services/dash:dashboard/proxy/api/jobs/", "{}");
        Assert.Equal(200, status);
        Assert.Equal("POST /api/jobs/ {}", JsonNodes.GetString(body));
    }

    [Fact]
    public async Task PortForwardSpeaksTheKubernetesClientChannelProtocol()
    {
        RunningPod("pf-0", "10.244.0.7");
        Sandbox.PodNetwork.Listen("default", "pf-0", 8265, async (stream, ct) =>
        {
            var buffer = new byte[1024];
            int read;
            while ((read = await stream.ReadAsync(buffer, ct)) > 0)
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes("echo:" + Encoding.ASCII.GetString(buffer, 0, read)), ct);
            }
        });
        var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(Sandbox.KubeConfigPath));
        using var socket = await client.WebSocketNamespacedPodPortForwardAsync("pf-0", "default", [8265], "v4.channel.k8s.io");
        using var demux = new StreamDemuxer(socket, StreamType.PortForward);
        demux.Start();
        var stream = demux.GetStream((byte?)0, (byte?)0);
        await stream.WriteAsync(Encoding.ASCII.GetBytes("ping"));
        var buffer = new byte[64];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var read = await stream.ReadAsync(buffer, timeout.Token);
        Assert.Equal("echo:ping", Encoding.ASCII.GetString(buffer, 0, read));
    }

    [Fact]
    public async Task PortForwardNeedsAHost()
    {
        Sandbox.Store.Create(Gvr.Pods, Objects.Pod("unscheduled-0"));
        var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(Sandbox.KubeConfigPath));
        var error = await Assert.ThrowsAnyAsync<Exception>(() => client.WebSocketNamespacedPodPortForwardAsync("unscheduled-0", "default", [8265], "v4.channel.k8s.io"));
        Assert.Contains("400", error.Message);
    }

    [Fact]
    public async Task LogsComeFromTheLogSourceOnceScheduled()
    {
        RunningPod("logs-0", "10.244.0.8");
        Sandbox.PodLogs = new FixedLogs("line 1\nline 2\n");
        var (status, body, response) = await Client.GetAsync("/api/v1/namespaces/default/pods/logs-0/log?container=main");
        Assert.Equal(200, status);
        Assert.Equal("line 1\nline 2\n", JsonNodes.GetString(body));
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);

        var wrong = await Client.GetAsync("/api/v1/namespaces/default/pods/logs-0/log?container=nope");
        Assert.Equal(400, wrong.Status);
        Assert.Equal("container nope is not valid for pod logs-0", JsonNodes.GetString(wrong.Body!["message"]));
    }

    [Fact]
    public async Task LogsOfAContainerThatHasNotStartedAreRefusedInTheKubeletsWords()
    {
        RunningPod("waiting-0", "10.244.0.9", containerState: """{"waiting":{"reason":"ContainerCreating"}}""");
        Sandbox.PodLogs = new FixedLogs("never read\n");
        var (status, body, _) = await Client.GetAsync("/api/v1/namespaces/default/pods/waiting-0/log?container=main");
        Assert.Equal(400, status);
        Assert.Equal("BadRequest", JsonNodes.GetString(body!["reason"]));
        Assert.Equal("container \"main\" in pod \"waiting-0\" is waiting to start: ContainerCreating", JsonNodes.GetString(body["message"]));

        RunningPod("pull-0", "10.244.0.10", containerState: """{"waiting":{"reason":"ImagePullBackOff","message":"Back-off pulling image"}}""");
        var pull = await Client.GetAsync("/api/v1/namespaces/default/pods/pull-0/log");
        Assert.Equal("container \"main\" in pod \"pull-0\" is waiting to start: trying and failing to pull image", JsonNodes.GetString(pull.Body!["message"]));
    }

    [Fact]
    public async Task PreviousNeedsATerminatedInstanceAndAWaitingContainerServesItsLastOne()
    {
        RunningPod("fresh-0", "10.244.0.11");
        Sandbox.PodLogs = new FixedLogs("the log\n");
        var (status, body, _) = await Client.GetAsync("/api/v1/namespaces/default/pods/fresh-0/log?previous=true");
        Assert.Equal(400, status);
        Assert.Equal("previous terminated container \"main\" in pod \"fresh-0\" not found", JsonNodes.GetString(body!["message"]));

        const string Killed = """{"terminated":{"exitCode":137,"reason":"OOMKilled","startedAt":"2026-01-01T00:00:00Z","finishedAt":"2026-01-01T00:01:00Z","containerID":"containerd://abc"}}""";
        RunningPod("crashing-0", "10.244.0.12", containerState: """{"waiting":{"reason":"CrashLoopBackOff"}}""", lastState: Killed);
        Assert.Equal(200, (await Client.GetAsync("/api/v1/namespaces/default/pods/crashing-0/log")).Status);
        Assert.Equal(200, (await Client.GetAsync("/api/v1/namespaces/default/pods/crashing-0/log?previous=true")).Status);
    }

    private sealed class FixedLogs(string text) : IPodLogSource
    {
        public Task WriteLogAsync(string @namespace, string pod, PodLogOptions options, Stream output, CancellationToken cancellationToken) =>
            output.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken).AsTask();
    }
}
