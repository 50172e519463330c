using static RayPS.Sandbox.Tests.Kubectl.Kubectl;

namespace RayPS.Sandbox.Tests.Kubectl;

/// <summary>kubectl's imperative create commands, which send protobuf bodies from its typed clients.</summary>
public sealed class KubectlCreateTests(KubectlSandbox fixture) : IClassFixture<KubectlSandbox>
{
    private KubeSandbox Sandbox => fixture.Sandbox;
    private Kubectl Kubectl => fixture.Kubectl;

    [KubectlFact]
    public async Task CreateDeployment()
    {
        var created = await Kubectl.RunAsync("create", "deployment", "proto-web", "--image=nginx", "--replicas=2", "--port=8080");
        Succeeded(created);
        Assert.Contains("deployment.apps/proto-web created", created.Output);
        var stored = Sandbox.Store.Get(Gvr.Deployments, "default", "proto-web");
        Assert.Equal(2, JsonNodes.GetInteger(stored["spec"]!["replicas"]));
        Assert.Equal(8080, JsonNodes.GetInteger(stored["spec"]!["template"]!["spec"]!["containers"]![0]!["ports"]![0]!["containerPort"]));
        Assert.Contains(stored["metadata"]!["managedFields"]!.AsArray(), entry => JsonNodes.StringAt(entry, "manager") == "kubectl-create");
    }

    [KubectlFact]
    public async Task CreateServiceClusterIP()
    {
        var created = await Kubectl.RunAsync("create", "service", "clusterip", "proto-svc", "--tcp=80:8080");
        Succeeded(created);
        var shown = await Kubectl.RunAsync("get", "service", "proto-svc", "-o", "jsonpath={.spec.ports[0].targetPort} {.spec.selector.app}");
        Succeeded(shown);
        Assert.Equal("8080 proto-svc", shown.Output.Trim());
    }
}
