using System.Text.Json;
using static RayPS.Sandbox.Tests.Fidelity.FidelityAssert;

namespace RayPS.Sandbox.Tests.Fidelity;

/// <summary>
/// A JSON patch `test` compares scalars by their JSON text as Go writes them (golden 83, 84, 86), so the same decoded
/// value passes or fails depending on how the client escaped it. The request that shipped a bug: a whole worker-group
/// array tested with .NET's default encoder (' as \u0027, non-ASCII as \uXXXX).
/// </summary>
public sealed class JsonPatchTestFidelityTests : SandboxTest
{
    private const string ConfigMap = "/api/v1/namespaces/default/configmaps/escaped";
    private const string Invalid =
        """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server rejected our request due to an error in our request","reason":"Invalid","details":{},"code":422}""";

    private static readonly JsonObject Data = new()
    {
        ["resources"] = "'{\"ascend\":20}'",
        ["html"] = "a&b<c>d",
        ["lines"] = "one\u2028two\u2029three\ttab\nnewline\u0001",
        ["text"] = "é 中文 \U0001F600 back\\slash +`",
    };

    protected override Task SeedAsync()
    {
        var configMap = Objects.ConfigMap("escaped");
        configMap["data"] = Data.DeepClone();
        Sandbox.Store.Create(Gvr.ConfigMaps, configMap);
        return Task.CompletedTask;
    }

    private static string TestDataThenLabel(string dataJson) =>
        "[{\"op\":\"test\",\"path\":\"/data\",\"value\":" + dataJson + "},{\"op\":\"add\",\"path\":\"/metadata/labels\",\"value\":{\"patched\":\"yes\"}}]";

    [Fact]
    public async Task A_test_written_with_dotnets_default_escaping_is_refused()
    {
        Status(422, Invalid, await Client.PatchAsync(ConfigMap, "application/json-patch+json", TestDataThenLabel(JsonSerializer.Serialize(Data))));
        var (_, after, _) = await Client.GetAsync(ConfigMap);
        Assert.Null(JsonNodes.At(after, "metadata", "labels"));
    }

    [Fact]
    public async Task The_same_test_written_as_go_writes_it_passes_whatever_the_key_order()
    {
        var reordered = new JsonObject(Data.Reverse().Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())));
        var (status, body, _) = await Client.PatchAsync(ConfigMap, "application/json-patch+json", TestDataThenLabel(JsonText.Serialize(reordered)));
        Assert.True(status == 200, JsonText.Serialize(body));
        Assert.Equal("yes", JsonNodes.StringAt(body, "metadata", "labels", "patched"));
    }
}
