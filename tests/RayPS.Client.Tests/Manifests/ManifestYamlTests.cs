using System.Text.Json.Nodes;
using RayPS.Manifests;

namespace RayPS.Client.Tests.Manifests;

public sealed class ManifestYamlTests
{
    [Theory]
    [InlineData("yes")]
    [InlineData("on")]
    [InlineData("12")]
    [InlineData("0777")]
    [InlineData("1.5")]
    [InlineData("null")]
    [InlineData("")]
    [InlineData("'{\"NPU\":1}'")]
    [InlineData("{\"a\":1}")]
    [InlineData("key: value")]
    [InlineData("- item")]
    [InlineData("# comment")]
    [InlineData("a #b")]
    [InlineData("line one\nline two\n")]
    [InlineData("trailing \nspace")]
    [InlineData("ulimit -n 65536; ray start --resources='{\"ascend\":20}'")]
    [InlineData("tab\there")]
    [InlineData(".inf")]
    public void Strings_read_back_as_the_same_strings(string text)
    {
        var obj = new JsonObject { ["v"] = text, [text.Length == 0 ? "empty" : text] = 1 };
        var yaml = ManifestYaml.Write(obj);
        var back = YamlJson.ParseDocuments(yaml, "t")[0];
        Assert.True(JsonNode.DeepEquals(obj, back), yaml);
    }

    [Fact]
    public void Numbers_booleans_nulls_and_empty_collections_keep_their_type()
    {
        var obj = new JsonObject
        {
            ["int"] = 12,
            ["big"] = 2147483647,
            ["float"] = 0.5,
            ["bool"] = true,
            ["null"] = null,
            ["emptyMap"] = new JsonObject(),
            ["emptyList"] = new JsonArray(),
            ["list"] = new JsonArray(1, "a", new JsonObject { ["x"] = "y" }),
        };
        var yaml = ManifestYaml.Write(obj);
        Assert.True(JsonNode.DeepEquals(obj, YamlJson.ParseDocuments(yaml, "t")[0]), yaml);
        Assert.Contains("emptyMap: {}", yaml, StringComparison.Ordinal);
        Assert.Contains("emptyList: []", yaml, StringComparison.Ordinal);
    }

    [Fact]
    public void Several_documents_are_separated()
    {
        var yaml = ManifestYaml.Write(new JsonNode[] { new JsonObject { ["a"] = 1 }, new JsonObject { ["b"] = 2 } });
        Assert.Equal(2, YamlJson.ParseDocuments(yaml, "t").Count);
        Assert.Contains("\n---\n", yaml, StringComparison.Ordinal);
    }

    [Fact]
    public void Clean_drops_status_and_server_owned_metadata_and_orders_the_top()
    {
        var server = JsonNode.Parse("""
            {
              "spec": {"rayVersion": "2.46.0"},
              "status": {"state": "ready"},
              "kind": "RayCluster",
              "metadata": {
                "uid": "u", "resourceVersion": "7", "generation": 2, "creationTimestamp": "2025-01-01T00:00:00Z",
                "managedFields": [{}], "finalizers": ["ray.io/x"], "ownerReferences": [{}],
                "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"},
                "labels": {"env": "test"}, "namespace": "ns", "name": "c"
              },
              "apiVersion": "ray.io/v1"
            }
            """)!.AsObject();

        var clean = ManifestYaml.Clean(server);

        Assert.Equal(new[] { "apiVersion", "kind", "metadata", "spec" }, clean.Select(p => p.Key));
        Assert.Equal(new[] { "name", "namespace", "labels" }, clean["metadata"]!.AsObject().Select(p => p.Key));
        Assert.True(server.ContainsKey("status"), "the input is not changed");
    }
}
