namespace RayPS.Sandbox.Tests.Fidelity;

/// <summary>Asserts whole Status bodies, the way a recorded transcript compares them.</summary>
internal static class FidelityAssert
{
    /// <summary>The response is <paramref name="code"/> and its body equals the Status JSON <paramref name="expected"/>.</summary>
    public static void Status(int code, string expected, (int Status, JsonNode? Body, HttpResponseMessage Response) actual)
    {
        Assert.True(code == actual.Status, $"expected {code} but got {actual.Status}: {JsonText.Serialize(actual.Body)}");
        var want = JsonText.Parse(expected);
        Assert.True(JsonNodes.DeepEquals(want, actual.Body), $"expected {JsonText.Serialize(want)}\n but got {JsonText.Serialize(actual.Body)}");
    }

    /// <summary>A 422 Invalid on one of the meta.k8s.io option kinds, built from its causes like the apiserver does.</summary>
    public static string OptionsInvalid(string kind, params (string Reason, string Field, string Message)[] causes)
    {
        var texts = causes.Select(c => $"{c.Field}: {c.Message}").ToList();
        var aggregate = texts.Count == 1 ? texts[0] : "[" + string.Join(", ", texts) + "]";
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = $"{kind}.meta.k8s.io \"\" is invalid: {aggregate}",
            ["reason"] = "Invalid",
            ["details"] = new JsonObject
            {
                ["group"] = "meta.k8s.io",
                ["kind"] = kind,
                ["causes"] = new JsonArray(causes.Select(c => (JsonNode)new JsonObject
                {
                    ["reason"] = c.Reason, ["message"] = c.Message, ["field"] = c.Field,
                }).ToArray()),
            },
            ["code"] = 422,
        };
        return JsonText.Serialize(status);
    }

    public static string BadRequest(string message) => JsonText.Serialize(new JsonObject
    {
        ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = "Failure",
        ["message"] = message, ["reason"] = "BadRequest", ["code"] = 400,
    });
}
