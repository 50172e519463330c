using static RayPS.Sandbox.Tests.Fidelity.FidelityAssert;

namespace RayPS.Sandbox.Tests.Fidelity;

/// <summary>
/// Patch bodies of the wrong shape: under the default fieldValidation (Warn) and Strict the apiserver first decodes JSON
/// and merge patches strictly into its own types and says "error decoding patch"; with Ignore the patch library speaks.
/// </summary>
public sealed class PatchBodyFidelityTests : SandboxTest
{
    private const string ConfigMap = "/api/v1/namespaces/default/configmaps/patched";

    protected override Task SeedAsync()
    {
        Sandbox.Store.Create(Gvr.ConfigMaps, Objects.ConfigMap("patched"));
        return Task.CompletedTask;
    }

    [Fact]
    public async Task AJsonPatchThatIsNotAList()
    {
        Status(400, BadRequest("error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp"),
            await Client.PatchAsync(ConfigMap, "application/json-patch+json", """{"op":"add","path":"/data/x","value":"y"}"""));
        Status(400, BadRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch"),
            await Client.PatchAsync(ConfigMap + "?fieldValidation=Ignore", "application/json-patch+json", """{"op":"add"}"""));
    }

    [Fact]
    public async Task AJsonPatchOperationWithAWrongType()
    {
        Status(400, BadRequest("error decoding patch: json: cannot unmarshal string into Go value of type handlers.jsonPatchOp"),
            await Client.PatchAsync(ConfigMap, "application/json-patch+json", """["add"]"""));
        Status(400, BadRequest("error decoding patch: json: cannot unmarshal number into Go struct field jsonPatchOp.path of type string"),
            await Client.PatchAsync(ConfigMap + "?fieldValidation=Strict", "application/json-patch+json", """[{"op":"add","path":5,"value":1}]"""));
    }

    [Fact]
    public async Task AMergePatchThatIsNotAnObject()
    {
        Status(400, BadRequest("error decoding patch: json: cannot unmarshal array into Go value of type map[string]interface {}"),
            await Client.PatchAsync(ConfigMap, "application/merge-patch+json", """[{"data":{}}]"""));
    }

    [Fact]
    public async Task AMergePatchThatIsNotJsonWithoutStrictDecoding()
    {
        Status(400, BadRequest("Invalid JSON Patch"), await Client.PatchAsync(ConfigMap + "?fieldValidation=Ignore", "application/merge-patch+json", "{\"data\":"));
    }
}
