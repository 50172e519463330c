using System.Text.Json.Nodes;
using RayPS.Manifests;

namespace RayPS.Client.Tests.Manifests;

/// <summary>The checker itself: KubeRay's own samples pass, and it catches the mistakes it claims to.</summary>
public sealed class CrdSchemaCheckerTests
{
    [Theory]
    [InlineData("kuberay/v1.4.2/ray-cluster.sample.yaml")]
    [InlineData("kuberay/v1.4.2/ray-cluster.complete.yaml")]
    public void KubeRay_samples_are_valid_for_both_crds(string file)
    {
        foreach (var cluster in ManifestReader.ParseRayClusters(TestData.Text(file), file))
        {
            foreach (var schema in CrdSchema.Both)
            {
                schema.AssertValid(cluster);
            }
        }
    }

    [Fact]
    public void Reports_unknown_fields_wrong_types_missing_required_and_enums()
    {
        var cluster = ManifestReader.ParseRayClusters(TestData.Text("kuberay/v1.4.2/ray-cluster.sample.yaml"), "sample")[0];
        cluster["spec"]!["bogus"] = 1;
        cluster["spec"]!["workerGroupSpecs"]![0]!["replicas"] = "two";
        cluster["spec"]!["workerGroupSpecs"]![0]!.AsObject().Remove("groupName");
        cluster["spec"]!["headGroupSpec"]!["serviceType"] = 5;
        cluster["spec"]!["autoscalerOptions"] = new JsonObject { ["upscalingMode"] = "Sometimes" };

        var errors = CrdSchema.KubeRay142.Validate(cluster);

        Assert.Contains(errors, e => e.StartsWith("$.spec.bogus: unknown field", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("$.spec.workerGroupSpecs[0].replicas: must be an integer", StringComparison.Ordinal));
        Assert.Contains(errors, e => e == "$.spec.workerGroupSpecs[0].groupName: required");
        Assert.Contains(errors, e => e.StartsWith("$.spec.headGroupSpec.serviceType: must be a string", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("$.spec.autoscalerOptions.upscalingMode: \"Sometimes\" is not one of", StringComparison.Ordinal));
    }

    [Fact]
    public void Defaulted_required_fields_may_be_left_out()
    {
        var cluster = ManifestReader.ParseRayClusters(TestData.Text("kuberay/v1.4.2/ray-cluster.sample.yaml"), "sample")[0];
        var group = cluster["spec"]!["workerGroupSpecs"]![0]!.AsObject();
        group.Remove("minReplicas");
        group.Remove("maxReplicas");

        Assert.Empty(CrdSchema.KubeRay142.Validate(cluster));
        Assert.IsType<JsonObject>(cluster);
    }
}
