using RayPS.Sandbox;

namespace RayPS;

/// <summary>A running sandbox: a loopback Kubernetes API with simulated KubeRay, kubelet and Ray endpoints.</summary>
public sealed class RaySandbox
{
    private static int _nextId;

    internal RaySandbox(KubeSandbox server, SandboxControllers controllers, bool kubeRayInstalled)
    {
        Server = server;
        Id = Interlocked.Increment(ref _nextId);
        Controllers = controllers.ToString();
        KubeRayInstalled = kubeRayInstalled;
        StartedAt = DateTimeOffset.Now;
    }

    public int Id { get; }
    public Uri Uri => Server.Uri;
    public int Port => Server.Uri.Port;
    public string KubeConfigPath => Server.KubeConfigPath;
    public string Context => Server.Context;
    public string Controllers { get; }
    public bool KubeRayInstalled { get; }
    public DateTimeOffset StartedAt { get; }
    public bool Running { get; internal set; } = true;

    /// <summary>The seed of the sandbox's unpredictable choices (Start-RaySandbox -Seed reproduces them).</summary>
    public int Seed => Server.Seed;

    /// <summary>Requests served so far, the API server's own count.</summary>
    public long RequestCount => Server.Requests.Total;

    internal KubeSandbox Server { get; }

    public override string ToString() => Uri.ToString();
}

/// <summary>How many requests of one verb on one resource a sandbox has served.</summary>
public sealed class RaySandboxRequestCount
{
    public int SandboxId { get; init; }
    public string Verb { get; init; } = "";
    public string Resource { get; init; } = "";
    public long Count { get; init; }

    public override string ToString() => $"{Verb} {Resource}: {Count}";
}
