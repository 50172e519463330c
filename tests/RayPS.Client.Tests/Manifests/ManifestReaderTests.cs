using System.Text.Json.Nodes;
using RayPS.Errors;
using RayPS.Manifests;

namespace RayPS.Client.Tests.Manifests;

public sealed class ManifestReaderTests
{
    private const string Minimal = """
        apiVersion: ray.io/v1
        kind: RayCluster
        metadata:
          name: c
        spec:
          headGroupSpec:
            template:
              spec:
                containers:
                  - name: ray-head
                    image: rayproject/ray:2.46.0
        """;

    [Fact]
    public void Reads_a_RayCluster_manifest()
    {
        var cluster = Assert.Single(ManifestReader.ParseRayClusters(Minimal, "c.yaml"));
        Assert.Equal("c", cluster["metadata"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public void Reads_several_documents_and_lists()
    {
        var two = Minimal + "\n---\n" + Minimal.Replace("name: c", "name: d", StringComparison.Ordinal) + "\n---\n";
        Assert.Equal(new[] { "c", "d" }, ManifestReader.ParseRayClusters(two, "two.yaml").Select(c => c["metadata"]!["name"]!.GetValue<string>()));

        var list = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "List", ["items"] = new JsonArray(ManifestReader.ParseRayClusters(Minimal, "x")[0].DeepClone()) };
        Assert.Single(ManifestReader.ParseRayClusters(list.ToJsonString(), "list.json"));
    }

    [Fact]
    public void Reads_json()
    {
        var json = ManifestReader.ParseRayClusters(Minimal, "x")[0].ToJsonString();
        Assert.Equal("c", ManifestReader.ParseRayClusters(json, "c.json")[0]["metadata"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public void Yaml_syntax_errors_name_the_file_line_and_column()
    {
        var ex = Assert.Throws<RayPSException>(() => ManifestReader.ParseRayClusters("apiVersion: ray.io/v1\nkind: RayCluster\nmetadata:\n  name: [c\n", "bad.yaml"));
        Assert.Equal(ErrorIds.InvalidYaml, ex.ErrorId);
        Assert.Equal(RayErrorCategory.InvalidData, ex.Category);
        Assert.Matches(@"^bad\.yaml: line 4, column 9: the '\[' here is never closed .+\. Fix the file and run the command again\.$", ex.Message);
    }

    [Fact]
    public void An_unclosed_bracket_is_reported_where_it_opens()
    {
        var ex = Assert.Throws<RayPSException>(() => ManifestReader.ParseRayClusters("kind: RayCluster\nmetadata:\n  labels: {a: b\nspec: {}\n\n", "open.yaml"));
        Assert.StartsWith("open.yaml: line 3, column 11: the '{' here is never closed", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_indentation_is_reported_where_it_is()
    {
        var ex = Assert.Throws<RayPSException>(() => ManifestReader.ParseRayClusters("metadata:\n  name: c\n   labels: x\n", "indent.yaml"));
        Assert.Equal(ErrorIds.InvalidYaml, ex.ErrorId);
        Assert.StartsWith("indent.yaml: line 3, column ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_syntax_errors_name_the_line_and_column()
    {
        var ex = Assert.Throws<RayPSException>(() => ManifestReader.ParseRayClusters("{\n  \"kind\": \"RayCluster\",\n  \"metadata\": {\"name\" \"c\"}\n}", "bad.json"));
        Assert.Equal(ErrorIds.InvalidYaml, ex.ErrorId);
        Assert.StartsWith("bad.json: line 3, column ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_repeated_key_is_an_error_naming_both_lines()
    {
        var ex = Assert.Throws<RayPSException>(() => ManifestReader.ParseRayClusters("kind: RayCluster\nmetadata:\n  name: a\n  name: b\n", "dup.yaml"));
        Assert.Equal(ErrorIds.InvalidYaml, ex.ErrorId);
        Assert.Contains("line 4", ex.Message, StringComparison.Ordinal);
        Assert.Contains("already defined on line 3", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n", "is a Deployment (apps/v1)")]
    [InlineData("kind: RayJob\napiVersion: ray.io/v1\n", "is a RayJob")]
    [InlineData("metadata: {name: x}\n", "has no kind")]
    [InlineData("- a\n", "is not an object")]
    [InlineData("apiVersion: ray.io/v1alpha1\nkind: RayCluster\n", "Change apiVersion to ray.io/v1")]
    public void Other_kinds_are_InvalidManifestKind(string yaml, string expected)
    {
        var ex = Assert.Throws<RayPSException>(() => ManifestReader.ParseRayClusters(yaml, "other.yaml"));
        Assert.Equal(ErrorIds.InvalidManifestKind, ex.ErrorId);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_file_is_InvalidYaml() =>
        Assert.Equal(ErrorIds.InvalidYaml, Assert.Throws<RayPSException>(() => ManifestReader.ParseRayClusters("# nothing\n", "empty.yaml")).ErrorId);

    [Fact]
    public void A_missing_file_is_FileNotFound()
    {
        var ex = Assert.Throws<RayPSException>(() => ManifestReader.ReadRayClusters(Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N") + ".yaml")));
        Assert.Equal(ErrorIds.FileNotFound, ex.ErrorId);
        Assert.Equal(RayErrorCategory.ObjectNotFound, ex.Category);
    }

    [Fact]
    public void Scalars_resolve_as_kubectl_reads_them()
    {
        var doc = (JsonObject)YamlJson.ParseDocuments("""
            a: yes
            b: off
            c: 0777
            d: 0x1F
            e: 1.5
            f: "12"
            g: ~
            h: 12
            i: 2.46.0
            j: 1e3
            k: !!str 7
            l: 1_000
            """, "s")[0]!;
        Assert.True(doc["a"]!.GetValue<bool>());
        Assert.False(doc["b"]!.GetValue<bool>());
        Assert.Equal(511, doc["c"]!.GetValue<long>());
        Assert.Equal(31, doc["d"]!.GetValue<long>());
        Assert.Equal(1.5, doc["e"]!.GetValue<double>());
        Assert.Equal("12", doc["f"]!.GetValue<string>());
        Assert.Null(doc["g"]);
        Assert.Equal(12, doc["h"]!.GetValue<long>());
        Assert.Equal("2.46.0", doc["i"]!.GetValue<string>());
        Assert.Equal(1000, doc["j"]!.GetValue<long>());
        Assert.Equal("7", doc["k"]!.GetValue<string>());
        Assert.Equal(1000, doc["l"]!.GetValue<long>());
    }

    [Fact]
    public void Anchors_aliases_and_merge_keys_work()
    {
        var doc = (JsonObject)YamlJson.ParseDocuments("""
            base: &res
              cpu: "1"
              memory: 1Gi
            head:
              <<: *res
              cpu: "4"
            worker: *res
            """, "a")[0]!;
        Assert.Equal("4", doc["head"]!["cpu"]!.GetValue<string>());
        Assert.Equal("1Gi", doc["head"]!["memory"]!.GetValue<string>());
        Assert.Equal("1", doc["worker"]!["cpu"]!.GetValue<string>());
    }

    [Fact]
    public void Non_finite_numbers_are_refused() =>
        Assert.Equal(ErrorIds.InvalidYaml, Assert.Throws<RayPSException>(() => YamlJson.ParseDocuments("a: .inf\n", "n")).ErrorId);
}
