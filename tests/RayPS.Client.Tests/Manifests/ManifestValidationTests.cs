using RayPS.Errors;
using RayPS.Manifests;

namespace RayPS.Client.Tests.Manifests;

public sealed class ManifestValidationTests
{
    [Theory]
    [InlineData("ray-cluster")]
    [InlineData("a")]
    [InlineData("r2d2")]
    public void Accepts_dns1035_names(string name) => ManifestValidation.ValidateClusterName(name);

    [Theory]
    [InlineData("Bad_Name", "bad-name")]
    [InlineData("1cluster", "cluster")]
    [InlineData("ray-", "ray")]
    [InlineData("ray.cluster", "ray-cluster")]
    public void Rejects_names_that_are_not_dns1035_and_suggests_one(string name, string suggestion)
    {
        var ex = Assert.Throws<RayPSException>(() => ManifestValidation.ValidateClusterName(name));
        Assert.Equal(ErrorIds.InvalidClusterName, ex.ErrorId);
        Assert.Equal(RayErrorCategory.InvalidArgument, ex.Category);
        Assert.Contains($"'{suggestion}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("DNS-1035", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Names_may_have_53_characters_not_54()
    {
        ManifestValidation.ValidateClusterName(new string('a', 53));
        var ex = Assert.Throws<RayPSException>(() => ManifestValidation.ValidateClusterName(new string('a', 54)));
        Assert.Equal(ErrorIds.InvalidClusterName, ex.ErrorId);
        Assert.Contains("54 characters", ex.Message, StringComparison.Ordinal);
        Assert.Contains("at most 53", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_name_says_to_pass_Name() =>
        Assert.Contains("-Name", Assert.Throws<RayPSException>(() => ManifestValidation.ValidateClusterName("")).Message, StringComparison.Ordinal);

    [Theory]
    [InlineData("12")]
    [InlineData("500m")]
    [InlineData("40Gi")]
    [InlineData("1.5")]
    [InlineData("8G")]
    [InlineData(null)]
    public void Accepts_quantities(string? value) => ManifestValidation.ValidateQuantity("-WorkerMemory", value);

    [Theory]
    [InlineData("40GB", "did you mean '40Gi'")]
    [InlineData("-1", "cannot be negative")]
    [InlineData("abc", "'500m'")]
    [InlineData("", "'40Gi'")]
    [InlineData("512mb", "'512Mi'")]
    public void Rejects_quantities_with_a_hint(string value, string hint)
    {
        var ex = Assert.Throws<RayPSException>(() => ManifestValidation.ValidateQuantity("-WorkerMemory", value));
        Assert.Equal(ErrorIds.InvalidQuantity, ex.ErrorId);
        Assert.StartsWith($"-WorkerMemory '{value}' is not a Kubernetes quantity.", ex.Message, StringComparison.Ordinal);
        Assert.Contains(hint, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Extended_resources_must_be_whole_numbers_with_a_vendor_name()
    {
        ManifestValidation.ValidateExtendedResource("-WorkerAccelerator", "huawei.com/Ascend910B", "1");
        var fraction = Assert.Throws<RayPSException>(() => ManifestValidation.ValidateExtendedResource("-WorkerAccelerator", "huawei.com/Ascend910B", "0.5"));
        Assert.Equal(ErrorIds.InvalidQuantity, fraction.ErrorId);
        Assert.Contains("whole numbers", fraction.Message, StringComparison.Ordinal);
        var unqualified = Assert.Throws<RayPSException>(() => ManifestValidation.ValidateExtendedResource("-WorkerAccelerator", "Ascend910B", "1"));
        Assert.Contains("huawei.com/Ascend910B", unqualified.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1, null, null)]
    [InlineData(0, 0, 0)]
    [InlineData(3, 1, 3)]
    [InlineData(null, 2, 5)]
    public void Accepts_replicas_in_range(int? replicas, int? min, int? max) => ManifestValidation.ValidateReplicas("workergroup", replicas, min, max);

    [Theory]
    [InlineData(5, 0, 3, "between minReplicas (0) and maxReplicas (3)")]
    [InlineData(0, 1, 3, "between minReplicas (1) and maxReplicas (3)")]
    [InlineData(1, 4, 3, "minReplicas (4) is greater than maxReplicas (3)")]
    [InlineData(-1, null, null, "cannot be negative")]
    [InlineData(1, -1, null, "minReplicas is -1")]
    public void Rejects_replicas_out_of_range(int? replicas, int? min, int? max, string expected)
    {
        var ex = Assert.Throws<RayPSException>(() => ManifestValidation.ValidateReplicas("gpu", replicas, min, max));
        Assert.Equal(ErrorIds.ReplicasOutOfRange, ex.ErrorId);
        Assert.Contains("'gpu'", ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_group_names_are_refused()
    {
        ManifestValidation.ValidateUniqueGroupNames(new[] { "a", "b" });
        var ex = Assert.Throws<RayPSException>(() => ManifestValidation.ValidateUniqueGroupNames(new[] { "a", "b", "a" }));
        Assert.Equal(ErrorIds.DuplicateWorkerGroup, ex.ErrorId);
        Assert.Contains("'a'", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-gpu")]
    [InlineData("has space")]
    public void Group_names_must_be_label_values(string name) =>
        Assert.Equal(ErrorIds.InvalidWorkerGroupName, Assert.Throws<RayPSException>(() => ManifestValidation.ValidateGroupName(name)).ErrorId);

    [Fact]
    public void Ray_resources_json_is_single_quoted_compact_and_sorted()
    {
        var json = ManifestValidation.RayResourcesJson(new Dictionary<string, decimal> { ["ascend"] = 20, ["NPU"] = 1, ["half"] = 0.5m });
        Assert.Equal("'{\"NPU\":1,\"ascend\":20,\"half\":0.5}'", json);
    }

    [Theory]
    [InlineData("CPU", "-WorkerCpu")]
    [InlineData("GPU", "-WorkerGpu")]
    [InlineData("memory", "-WorkerMemory")]
    [InlineData("it's", "no spaces or quotes")]
    public void Ray_resources_refuse_reserved_and_unquotable_names(string name, string hint)
    {
        var ex = Assert.Throws<RayPSException>(() => ManifestValidation.RayResourcesJson(new Dictionary<string, decimal> { [name] = 1 }));
        Assert.Equal(ErrorIds.InvalidRayResource, ex.ErrorId);
        Assert.Contains(hint, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ray_resource_amounts_cannot_be_negative() =>
        Assert.Equal(ErrorIds.InvalidRayResource, Assert.Throws<RayPSException>(() => ManifestValidation.ValidateRayResource("ascend", -1)).ErrorId);

    [Fact]
    public void Whole_manifest_checks_quantities_in_every_container_with_their_path()
    {
        var cluster = RayClusterManifestBuilder.Build(new RayClusterOptions { Name = "c", WorkerGroups = { new WorkerGroupOptions { Memory = "40Gi" } } });
        cluster["spec"]!["workerGroupSpecs"]![0]!["template"]!["spec"]!["containers"]![0]!["resources"]!["limits"]!["memory"] = "40GB";

        var ex = Assert.Throws<RayPSException>(() => ManifestValidation.ValidateRayCluster(cluster));
        Assert.Equal(ErrorIds.InvalidQuantity, ex.ErrorId);
        Assert.Contains("spec.workerGroupSpecs[0].template.spec.containers[0].resources.limits['memory']", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Whole_manifest_checks_replicas_and_duplicates()
    {
        var cluster = RayClusterManifestBuilder.Build(new RayClusterOptions { Name = "c", WorkerGroups = { new WorkerGroupOptions(), new WorkerGroupOptions { GroupName = "b" } } });
        cluster["spec"]!["workerGroupSpecs"]![1]!["groupName"] = "workergroup";
        Assert.Equal(ErrorIds.DuplicateWorkerGroup, Assert.Throws<RayPSException>(() => ManifestValidation.ValidateRayCluster(cluster)).ErrorId);

        cluster["spec"]!["workerGroupSpecs"]![1]!["groupName"] = "b";
        cluster["spec"]!["workerGroupSpecs"]![1]!["maxReplicas"] = 0;
        Assert.Equal(ErrorIds.ReplicasOutOfRange, Assert.Throws<RayPSException>(() => ManifestValidation.ValidateRayCluster(cluster)).ErrorId);
    }
}
