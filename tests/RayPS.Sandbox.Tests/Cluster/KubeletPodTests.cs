using RayPS.Sandbox.Cluster;

namespace RayPS.Sandbox.Tests.Cluster;

public class KubeletPodTests
{
    private static readonly DateTimeOffset T0 = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private sealed class Env : IKubeletEnvironment
    {
        public bool Gcs { get; set; }
        public ProbeResult Probe { get; set; } = ProbeResult.Ok;
        public bool IsGcsReady(string podNamespace, string address) => Gcs;
        public ProbeResult EvaluateProbe(JsonObject pod, JsonObject container, JsonObject probe) => Probe;
    }

    private static ClusterSimulationOptions Options() => new()
    {
        StartDelay = TimeSpan.FromMilliseconds(100),
        ReadyDelay = TimeSpan.FromMilliseconds(50),
        InitContainerDelay = TimeSpan.FromMilliseconds(10),
        ProbeSecond = TimeSpan.FromMilliseconds(10),
    };

    private static JsonObject Pod(string image = "rayproject/ray:2.46.0", JsonObject? annotations = null, bool readiness = true, bool liveness = false, bool init = false)
    {
        var container = new JsonObject { ["name"] = "ray-worker", ["image"] = image, ["imagePullPolicy"] = "IfNotPresent" };
        if (readiness)
        {
            container["readinessProbe"] = new JsonObject { ["exec"] = new JsonObject(), ["periodSeconds"] = 5, ["failureThreshold"] = 10 };
        }
        if (liveness)
        {
            container["livenessProbe"] = new JsonObject { ["exec"] = new JsonObject(), ["initialDelaySeconds"] = 30, ["periodSeconds"] = 5, ["failureThreshold"] = 120 };
        }
        var spec = new JsonObject { ["containers"] = new JsonArray(container) };
        if (init)
        {
            spec["initContainers"] = new JsonArray(new JsonObject
            {
                ["name"] = "wait-gcs-ready",
                ["image"] = image,
                ["command"] = new JsonArray("/bin/bash", "-c", "--"),
                ["args"] = new JsonArray("until ray health-check --address c-head-svc.default.svc.cluster.local:6379; do sleep 5; done"),
            });
        }
        return new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["name"] = "p", ["namespace"] = "default", ["uid"] = "u-1", ["creationTimestamp"] = "2025-06-01T12:00:00Z",
                ["annotations"] = annotations ?? new JsonObject(),
            },
            ["spec"] = spec,
            ["status"] = new JsonObject { ["phase"] = "Pending", ["qosClass"] = "BestEffort" },
        };
    }

    private static (KubeletPod Pod, Env Env) Start(JsonObject pod) =>
        (new KubeletPod(pod, "sandbox-node-1", "172.18.0.2", "10.244.0.7", T0, Options()), new Env());

    private static JsonObject Status(KubeletPod pod) => pod.BuildStatus();

    private static JsonObject ContainerStatus(JsonObject status, int i = 0) => (JsonObject)((JsonArray)status["containerStatuses"]!)[i]!;

    private static string? Condition(JsonObject status, string type) =>
        ((JsonArray)status["conditions"]!).OfType<JsonObject>().Where(c => JsonNodes.GetString(c["type"]) == type).Select(c => JsonNodes.GetString(c["status"])).Single();

    [Fact]
    public void PendingThenRunningThenReady()
    {
        var (pod, env) = Start(Pod());
        var step = pod.Advance(T0, env);
        var status = Status(pod);
        Assert.Equal("Pending", JsonNodes.GetString(status["phase"]));
        Assert.Equal("10.244.0.7", JsonNodes.GetString(status["podIP"]));
        Assert.Equal("172.18.0.2", JsonNodes.GetString(status["hostIP"]));
        Assert.Equal("ContainerCreating", JsonNodes.StringAt(ContainerStatus(status), "state", "waiting", "reason"));
        Assert.Equal("True", Condition(status, "PodScheduled"));
        Assert.Equal(T0.AddMilliseconds(100), pod.WakeAt);

        step = pod.Advance(T0.AddMilliseconds(100), env);
        Assert.True(step.StatusChanged);
        Assert.Equal(["Pulled", "Created", "Started"], step.Events.Select(e => e.Reason));
        Assert.Equal("Container image \"rayproject/ray:2.46.0\" already present on machine", step.Events[0].Message);
        Assert.Equal("spec.containers{ray-worker}", step.Events[0].FieldPath);
        Assert.True(Assert.Single(step.Notifications).Started);
        status = Status(pod);
        Assert.Equal("Running", JsonNodes.GetString(status["phase"]));
        Assert.Equal("False", Condition(status, "Ready"));
        Assert.False(JsonNodes.GetBool(ContainerStatus(status)["ready"]));
        Assert.True(JsonNodes.GetBool(ContainerStatus(status)["started"]));
        Assert.Equal("docker.io/rayproject/ray:2.46.0", JsonNodes.GetString(ContainerStatus(status)["image"]));
        Assert.StartsWith("docker.io/rayproject/ray@sha256:", JsonNodes.GetString(ContainerStatus(status)["imageID"]));
        Assert.StartsWith("containerd://", JsonNodes.GetString(ContainerStatus(status)["containerID"]));

        pod.Advance(T0.AddMilliseconds(150), env);
        status = Status(pod);
        Assert.Equal("True", Condition(status, "Ready"));
        Assert.Equal("True", Condition(status, "ContainersReady"));
        Assert.True(JsonNodes.GetBool(ContainerStatus(status)["ready"]));
    }

    [Fact]
    public void StartDelayAnnotationOverridesTheDefault()
    {
        var (pod, env) = Start(Pod(annotations: new JsonObject { ["sandbox.rayps.io/start-delay-ms"] = "500" }));
        pod.Advance(T0, env);
        Assert.Equal(T0.AddMilliseconds(500), pod.WakeAt);
        pod.Advance(T0.AddMilliseconds(400), env);
        Assert.Equal("Pending", pod.Phase);
        pod.Advance(T0.AddMilliseconds(500), env);
        Assert.Equal("Running", pod.Phase);
    }

    [Fact]
    public void MissingImageGoesToImagePullBackOffAndStaysPending()
    {
        var (pod, env) = Start(Pod("registry.example.com/ray:does-not-exist"));
        pod.Advance(T0, env);
        var step = pod.Advance(T0.AddMilliseconds(100), env);
        Assert.Equal(["Pulling", "Failed", "Failed"], step.Events.Select(e => e.Reason));
        Assert.Equal("Error: ErrImagePull", step.Events[2].Message);
        var status = Status(pod);
        Assert.Equal("Pending", JsonNodes.GetString(status["phase"]));
        Assert.Equal("ErrImagePull", JsonNodes.StringAt(ContainerStatus(status), "state", "waiting", "reason"));
        Assert.Contains("not found", JsonNodes.StringAt(ContainerStatus(status), "state", "waiting", "message"));

        step = pod.Advance(T0.AddMilliseconds(110), env);
        Assert.Contains(step.Events, e => e.Reason == "BackOff" && e.Message == "Back-off pulling image \"registry.example.com/ray:does-not-exist\"");
        status = Status(pod);
        Assert.Equal("ImagePullBackOff", JsonNodes.StringAt(ContainerStatus(status), "state", "waiting", "reason"));
        Assert.Equal("Pending", JsonNodes.GetString(status["phase"]));
        Assert.Equal(0, JsonNodes.GetInteger(ContainerStatus(status)["restartCount"]));

        // Retried after the back-off (10 probe-seconds).
        step = pod.Advance(T0.AddMilliseconds(200), env);
        Assert.Contains(step.Events, e => e.Message == "Error: ErrImagePull");

        // Fixing the image lets the next attempt start the container.
        var fixedPod = Pod("registry.example.com/ray:2.46.0");
        pod.Update(fixedPod);
        pod.Advance(T0.AddMilliseconds(450), env);
        Assert.Equal("Running", pod.Phase);
    }

    [Fact]
    public void OomKillRestartsWithBackOff()
    {
        var (pod, env) = Start(Pod(readiness: false, annotations: new JsonObject { ["sandbox.rayps.io/oom-after-ms"] = "200" }));
        pod.Advance(T0, env);
        pod.Advance(T0.AddMilliseconds(100), env);
        Assert.Equal(T0.AddMilliseconds(100), pod.WakeAt);
        pod.Advance(T0.AddMilliseconds(100), env);
        Assert.Equal(T0.AddMilliseconds(300), pod.WakeAt);
        var step = pod.Advance(T0.AddMilliseconds(300), env);
        var stop = Assert.Single(step.Notifications, n => !n.Started);
        Assert.Equal("OOMKilled", stop.Reason);
        // First crash restarts at once.
        var restarted = pod.Advance(T0.AddMilliseconds(300), env);
        Assert.Contains(restarted.Notifications, n => n.Started);
        var status = Status(pod);
        var cs = ContainerStatus(status);
        Assert.Equal(1, JsonNodes.GetInteger(cs["restartCount"]));
        Assert.Equal("OOMKilled", JsonNodes.StringAt(cs, "lastState", "terminated", "reason"));
        Assert.Equal(137, JsonNodes.GetInteger(JsonNodes.At(cs, "lastState", "terminated", "exitCode")));
        Assert.NotNull(JsonNodes.At(cs, "state", "running"));

        // Second crash: CrashLoopBackOff for 10 probe-seconds.
        step = pod.Advance(T0.AddMilliseconds(500), env);
        Assert.Contains(step.Events, e => e.Reason == "BackOff" && e.Type == "Warning");
        cs = ContainerStatus(Status(pod));
        Assert.Equal("CrashLoopBackOff", JsonNodes.StringAt(cs, "state", "waiting", "reason"));
        Assert.StartsWith("back-off 10s restarting failed container=ray-worker pod=p_default(u-1)", JsonNodes.StringAt(cs, "state", "waiting", "message"));
        Assert.Equal(2, JsonNodes.GetInteger(cs["restartCount"]));
        Assert.Equal("Running", pod.Phase);
        pod.Advance(T0.AddMilliseconds(600), env);
        Assert.NotNull(JsonNodes.At(ContainerStatus(Status(pod)), "state", "running"));
    }

    [Fact]
    public void FailingLivenessRestartsAfterThresholdTimesPeriod()
    {
        var (pod, env) = Start(Pod(readiness: false, liveness: true));
        pod.Advance(T0, env);
        pod.Advance(T0.AddMilliseconds(100), env);
        env.Probe = new ProbeResult(false, "wget: server returned error: HTTP/1.1 503 Local Raylet failed");
        // Nothing is probed before initialDelaySeconds (30 s at 10 ms per second) from the container start.
        var step = pod.Advance(T0.AddMilliseconds(200), env);
        Assert.Empty(step.Events);
        Assert.Equal(T0.AddMilliseconds(400), pod.WakeAt);
        step = pod.Advance(T0.AddMilliseconds(400), env);
        var unhealthy = Assert.Single(step.Events);
        Assert.Equal("Unhealthy", unhealthy.Reason);
        Assert.StartsWith("Liveness probe failed: wget", unhealthy.Message);
        // Then failureThreshold 120 x periodSeconds 5.
        var killAt = T0.AddMilliseconds(400 + 6000);
        Assert.Equal(killAt, pod.WakeAt);
        Assert.Empty(pod.Advance(killAt.AddMilliseconds(-1), env).Notifications);
        step = pod.Advance(killAt, env);
        Assert.Contains(step.Events, e => e.Reason == "Killing" && e.Message == "Container ray-worker failed liveness probe, will be restarted");
        Assert.Contains(step.Notifications, n => !n.Started && !n.Expected);
        pod.Advance(killAt, env);
        var cs = ContainerStatus(Status(pod));
        Assert.Equal(1, JsonNodes.GetInteger(cs["restartCount"]));
        Assert.Equal("Error", JsonNodes.StringAt(cs, "lastState", "terminated", "reason"));

        // Healthy again: no more restarts.
        env.Probe = ProbeResult.Ok;
        pod.Advance(killAt.AddSeconds(20), env);
        Assert.Equal(1, JsonNodes.GetInteger(ContainerStatus(Status(pod))["restartCount"]));
    }

    [Fact]
    public void ReadinessFailuresWhileStartingAreRecordedEachPeriodAsAKubeletDoes()
    {
        var (pod, env) = Start(Pod());
        const string refused = "wget: can't connect to remote host (127.0.0.1): Connection refused\n";
        env.Probe = new ProbeResult(false, refused);
        pod.Advance(T0, env);
        pod.Advance(T0.AddMilliseconds(100), env);
        var unhealthy = new List<KubeletEvent>();
        for (var ms = 150; ms <= 400; ms += 50)
        {
            unhealthy.AddRange(pod.Advance(T0.AddMilliseconds(ms), env).Events.Where(e => e.Reason == "Unhealthy"));
        }
        Assert.True(unhealthy.Count >= 3, $"{unhealthy.Count} Unhealthy events");
        Assert.All(unhealthy, e => Assert.Equal(("Warning", "Readiness probe failed: " + refused), (e.Type, e.Message)));
        Assert.Equal("False", Condition(Status(pod), "Ready"));

        env.Probe = ProbeResult.Ok;
        var step = pod.Advance(T0.AddMilliseconds(450), env);
        Assert.DoesNotContain(step.Events, e => e.Reason == "Unhealthy");
        Assert.Equal("True", Condition(Status(pod), "Ready"));
    }

    [Fact]
    public void FailingReadinessMarksThePodNotReady()
    {
        var (pod, env) = Start(Pod());
        pod.Advance(T0, env);
        pod.Advance(T0.AddMilliseconds(100), env);
        pod.Advance(T0.AddMilliseconds(150), env);
        Assert.Equal("True", Condition(Status(pod), "Ready"));
        env.Probe = new ProbeResult(false, "");
        pod.Advance(T0.AddMilliseconds(200), env);
        Assert.Equal("True", Condition(Status(pod), "Ready"));
        var step = pod.Advance(T0.AddMilliseconds(200 + 500), env);
        Assert.True(step.StatusChanged);
        Assert.Equal("False", Condition(Status(pod), "Ready"));
        env.Probe = ProbeResult.Ok;
        pod.Advance(T0.AddMilliseconds(800), env);
        Assert.Equal("True", Condition(Status(pod), "Ready"));
    }

    [Fact]
    public void InitContainerWaitsForTheGcs()
    {
        var (pod, env) = Start(Pod(init: true));
        pod.Advance(T0, env);
        var step = pod.Advance(T0.AddMilliseconds(10), env);
        Assert.Equal("c-head-svc.default.svc.cluster.local:6379", pod.WaitingForGcs);
        var status = Status(pod);
        Assert.Equal("False", Condition(status, "Initialized"));
        Assert.NotNull(JsonNodes.At(((JsonArray)status["initContainerStatuses"]!)[0], "state", "running"));
        Assert.Equal("PodInitializing", JsonNodes.StringAt(ContainerStatus(status), "state", "waiting", "reason"));
        pod.Advance(T0.AddMilliseconds(500), env);
        Assert.Equal("Pending", pod.Phase);

        env.Gcs = true;
        step = pod.Advance(T0.AddMilliseconds(510), env);
        Assert.Null(pod.WaitingForGcs);
        status = Status(pod);
        Assert.Equal("True", Condition(status, "Initialized"));
        Assert.Equal("Completed", JsonNodes.StringAt(((JsonArray)status["initContainerStatuses"]!)[0], "state", "terminated", "reason"));
        Assert.Equal("Running", pod.Phase);
    }

    [Fact]
    public void GracefulDeletionStopsContainersThenDeletes()
    {
        var (pod, env) = Start(Pod());
        pod.Advance(T0, env);
        pod.Advance(T0.AddMilliseconds(100), env);
        var deleting = Pod();
        deleting["metadata"]!["deletionTimestamp"] = "2025-06-01T12:00:30Z";
        pod.Update(deleting);
        var step = pod.Advance(T0.AddMilliseconds(200), env);
        Assert.Equal("Stopping container ray-worker", Assert.Single(step.Events).Message);
        Assert.True(Assert.Single(step.Notifications).Expected);
        Assert.False(step.Delete);
        step = pod.Advance(T0.AddMilliseconds(220), env);
        Assert.True(step.Delete);
    }

    [Theory]
    [InlineData("nginx", "docker.io/library/nginx:latest")]
    [InlineData("rayproject/ray:2.46.0", "docker.io/rayproject/ray:2.46.0")]
    [InlineData("harbor.xx.net/library/rayproject/ray:2.48.0", "harbor.xx.net/library/rayproject/ray:2.48.0")]
    [InlineData("localhost:5000/ray", "localhost:5000/ray:latest")]
    public void ImagesAreNormalized(string image, string expected) => Assert.Equal(expected, KubeletPod.NormalizeImage(image));
}
