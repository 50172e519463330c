using RayPS.Sandbox.Ray;

namespace RayPS.Sandbox.Tests.Ray;

public class RayTextTests
{
    [Theory]
    [InlineData("object_store_memory", "objectStoreMemory")]
    [InlineData("node:__internal_head__", "node:InternalHead")]
    [InlineData("accelerator_type:A100", "acceleratorType:A100")]
    [InlineData("accelerator_type:TPU-V4", "acceleratorType:Tpu-V4")]
    [InlineData("neuron_cores", "neuronCores")]
    [InlineData("my_res", "myRes")]
    [InlineData("CPU", "CPU")]
    [InlineData("node:10.0.0.5", "node:10.0.0.5")]
    [InlineData("ray.io/node-id", "ray.io/node-id")]
    public void CamelCaseMatchesRay(string snake, string camel) => Assert.Equal(camel, RayText.ToCamelCase(snake));

    [Theory]
    [InlineData(8.0, "8.0")]
    [InlineData(17179869184.0, "17179869184.0")]
    [InlineData(0.5, "0.5")]
    [InlineData(1748779200.51, "1748779200.51")]
    [InlineData(1e16, "1e+16")]
    [InlineData(0.00015, "0.00015")]
    [InlineData(0.00001, "1e-05")]
    [InlineData(-2.0, "-2.0")]
    [InlineData(0.0, "0.0")]
    public void FloatsPrintLikePython(double value, string expected) => Assert.Equal(expected, PyJson.FormatFloat(value));

    [Fact]
    public void JsonUsesPythonSeparatorsAndAsciiEscapes()
    {
        var node = new JsonObject { ["a"] = 1L, ["b"] = new JsonArray(1.0, "é", true, null) };
        Assert.Equal("{\"a\": 1, \"b\": [1.0, \"\\u00e9\", true, null]}", PyJson.Serialize(node));
    }

    [Theory]
    [InlineData(17179869184.0, "16.00GiB")]
    [InlineData(536870912.0, "512.00MiB")]
    [InlineData(0.0, "0B")]
    [InlineData(100.0, "100B")]
    public void MemoryIsHumanised(double bytes, string expected) => Assert.Equal(expected, RayText.FormatMemory(bytes));

    [Theory]
    [InlineData("rayproject/ray:2.46.0", "2.46.0")]
    [InlineData("harbor.xx.net/library/rayproject/ray:2.48.0.py311-npu-vjepa2-aarch64-20250911", "2.48.0")]
    [InlineData("localhost:5000/ray", null)]
    [InlineData("rayproject/ray:latest", null)]
    public void VersionsComeFromImageTags(string image, string? version) => Assert.Equal(version, RayText.VersionFromImage(image));

    [Fact]
    public void ToGoogleStyleConvertsKeysRecursively()
    {
        var converted = RayText.ToGoogleStyle(new JsonObject
        {
            ["resources_total"] = new JsonObject { ["object_store_memory"] = 1.0 },
            ["list_of"] = new JsonArray(new JsonObject { ["is_head_node"] = true }),
        })!;
        Assert.Equal("{\"resourcesTotal\": {\"objectStoreMemory\": 1.0}, \"listOf\": [{\"isHeadNode\": true}]}", PyJson.Serialize(converted));
    }
}
