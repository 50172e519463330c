using static RayPS.Sandbox.Tests.Fidelity.FidelityAssert;

namespace RayPS.Sandbox.Tests.Fidelity;

/// <summary>
/// Query options are decoded and validated before the body is read, as kube-apiserver's handlers do
/// (ValidateCreateOptions/UpdateOptions/PatchOptions/DeleteOptions, ValidateListOptions): bad values are a 422 on the
/// options kind in group meta.k8s.io, undecodable numbers a 400 with Go's strconv message.
/// </summary>
public sealed class RequestOptionsFidelityTests : SandboxTest
{
    private const string ConfigMaps = "/api/v1/namespaces/default/configmaps";
    private const string DryRunBogus = "Unsupported value: []string{\"Bogus\"}: supported values: \"All\"";
    private const string FieldValidationValues = "supported values: \"\", \"Ignore\", \"Strict\", \"Warn\"";

    protected override Task SeedAsync()
    {
        Sandbox.Store.Create(Gvr.ConfigMaps, Objects.ConfigMap("opts"));
        return Task.CompletedTask;
    }

    [Fact]
    public async Task CreateWithBadDryRunAndLowerCaseFieldValidationIsInvalidCreateOptions()
    {
        var response = await Client.SendAsync(HttpMethod.Post, ConfigMaps + "?dryRun=Bogus&fieldValidation=warn", """{"metadata":{"name":"never"}}""");
        Status(422, OptionsInvalid("CreateOptions",
            ("FieldValueNotSupported", "dryRun", DryRunBogus),
            ("FieldValueNotSupported", "fieldValidation", "Unsupported value: \"warn\": " + FieldValidationValues)), response);
        Assert.Null(Sandbox.Store.TryGet(Gvr.ConfigMaps, "default", "never"));
    }

    [Fact]
    public async Task UpdateWithATooLongFieldManagerIsInvalidUpdateOptions()
    {
        var current = Sandbox.Store.Get(Gvr.ConfigMaps, "default", "opts");
        var response = await Client.SendAsync(HttpMethod.Put, ConfigMaps + "/opts?fieldManager=" + new string('m', 129), JsonText.Serialize(current));
        Status(422, OptionsInvalid("UpdateOptions", ("FieldValueTooLong", "fieldManager", "Too long: may not be more than 128 bytes")), response);
    }

    [Fact]
    public async Task ForceOnAMergePatchIsForbidden()
    {
        var response = await Client.PatchAsync(ConfigMaps + "/opts?force=false", "application/merge-patch+json", """{"data":{"a":"b"}}""");
        Status(422, OptionsInvalid("PatchOptions", ("FieldValueForbidden", "force", "Forbidden: may not be specified for non-apply patch")), response);
    }

    [Fact]
    public async Task ApplyWithoutFieldManagerAndWithBadDryRunReportsBoth()
    {
        var response = await Client.PatchAsync(ConfigMaps + "/opts?dryRun=Bogus", "application/apply-patch+yaml",
            """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"opts"}}""");
        Status(422, OptionsInvalid("PatchOptions",
            ("FieldValueRequired", "fieldManager", "Required value: is required for apply patch"),
            ("FieldValueNotSupported", "dryRun", DryRunBogus)), response);
    }

    [Fact]
    public async Task DeleteWithBadDryRunIsInvalidAndDeletesNothing()
    {
        var response = await Client.SendAsync(HttpMethod.Delete, ConfigMaps + "/opts?dryRun=Bogus");
        Status(422, OptionsInvalid("DeleteOptions", ("FieldValueNotSupported", "dryRun", DryRunBogus)), response);
        Assert.NotNull(Sandbox.Store.TryGet(Gvr.ConfigMaps, "default", "opts"));
    }

    [Fact]
    public async Task DeleteOptionsInTheBodyReplaceTheQuery()
    {
        var both = await Client.SendAsync(HttpMethod.Delete, ConfigMaps + "/opts", """{"orphanDependents":true,"propagationPolicy":"Orphan"}""");
        Status(422, OptionsInvalid("DeleteOptions",
            ("FieldValueInvalid", "propagationPolicy", "Invalid value: \"Orphan\": orphanDependents and deletionPropagation cannot be both set")), both);

        // With a body the query is not read, so the bogus dryRun is ignored and the delete happens.
        Sandbox.Store.Create(Gvr.ConfigMaps, Objects.ConfigMap("body-wins"));
        var deleted = await Client.SendAsync(HttpMethod.Delete, ConfigMaps + "/body-wins?dryRun=Bogus", """{"propagationPolicy":"Background"}""");
        Assert.Equal(200, deleted.Status);
        Assert.Equal("Success", JsonNodes.GetString(deleted.Body!["status"]));
        Assert.Null(Sandbox.Store.TryGet(Gvr.ConfigMaps, "default", "body-wins"));
    }

    [Fact]
    public async Task ListOptionsAreValidated()
    {
        Status(422, OptionsInvalid("ListOptions",
            ("FieldValueForbidden", "resourceVersionMatch", "Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided")),
            await Client.GetAsync(ConfigMaps + "?resourceVersionMatch=Exact"));
        Status(422, OptionsInvalid("ListOptions",
            ("FieldValueNotSupported", "resourceVersionMatch", "Unsupported value: \"Newest\": supported values: \"Exact\", \"NotOlderThan\", \"\""),
            ("FieldValueForbidden", "sendInitialEvents", "Forbidden: sendInitialEvents is forbidden for list")),
            await Client.GetAsync(ConfigMaps + "?resourceVersion=1&resourceVersionMatch=Newest&sendInitialEvents=true"));
        Status(422, OptionsInvalid("ListOptions",
            ("FieldValueForbidden", "resourceVersionMatch", "Forbidden: resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"")),
            await Client.GetAsync(ConfigMaps + "?resourceVersion=0&resourceVersionMatch=Exact"));
    }

    [Fact]
    public async Task MalformedNumbersAreGoParseErrors()
    {
        Status(400, BadRequest("strconv.ParseInt: parsing \"ten\": invalid syntax"), await Client.GetAsync(ConfigMaps + "?limit=ten"));
        Status(400, BadRequest("strconv.ParseInt: parsing \"99999999999999999999\": value out of range"),
            await Client.SendAsync(HttpMethod.Delete, ConfigMaps + "/opts?gracePeriodSeconds=99999999999999999999"));
        Status(400, BadRequest("invalid resource version: resourceVersion: Invalid value: \"abc\": strconv.ParseUint: parsing \"abc\": invalid syntax"),
            await Client.GetAsync(ConfigMaps + "?resourceVersion=abc"));
    }

    [Fact]
    public async Task ANegativeLimitListsEverything()
    {
        var response = await Client.GetAsync(ConfigMaps + "?limit=-1");
        Assert.Equal(200, response.Status);
        Assert.Null(response.Body!["metadata"]!["continue"]);
        Assert.Contains(response.Body!["items"]!.AsArray(), i => JsonNodes.StringAt(i, "metadata", "name") == "opts");
    }

    [Fact]
    public async Task AResourceVersionTheServerHasNotReachedTimesOut()
    {
        var current = Sandbox.Store.ResourceVersion;
        var ahead = current + 1000;
        var expected = $$"""
            {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
             "message":"Timeout: Too large resource version: {{ahead}}, current: {{current}}","reason":"Timeout",
             "details":{"causes":[{"reason":"ResourceVersionTooLarge","message":"Too large resource version"}],"retryAfterSeconds":1},"code":504}
            """;
        Status(504, expected, await Client.GetAsync(ConfigMaps + "?resourceVersion=" + ahead));
        Status(504, expected, await Client.GetAsync(ConfigMaps + "/opts?resourceVersion=" + ahead));
    }
}
