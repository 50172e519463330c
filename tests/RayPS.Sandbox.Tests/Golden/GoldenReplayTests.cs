using Xunit.Abstractions;

namespace RayPS.Sandbox.Tests.Golden;

/// <summary>
/// Replays every transcript of shared/kube-golden (recorded from kube-apiserver 1.36) in order
/// against one sandbox over real HTTPS and compares the status, the recorded JSONPaths (after the
/// README's normalisation) and the listed headers.
/// </summary>
public sealed class GoldenReplayTests(GoldenReplayer replayer, ITestOutputHelper output) : IClassFixture<GoldenReplayer>
{
    public static IEnumerable<object[]> Files() =>
        SharedData.Directory is null
            ? [["(shared/kube-golden not found)"]]
            : Directory.GetFiles(SharedData.Path("kube-golden"), "*.json", SearchOption.AllDirectories).Select(Path.GetFileName).Order(StringComparer.Ordinal).Select(f => new object[] { f! });

    [Theory]
    [MemberData(nameof(Files))]
    public async Task Replays(string file)
    {
        Assert.True(SharedData.Directory is not null, "shared/kube-golden was not found next to the repository");
        var scenario = replayer.Scenarios.Single(s => Path.GetFileName(s.File) == file);
        var outcome = await replayer.OutcomeAsync(scenario);
        foreach (var step in outcome.UnhandledSetup)
        {
            output.WriteLine("setup step not re-enacted: " + step);
        }
        output.WriteLine("response: " + JsonText.Serialize(outcome.Body));

        Assert.Equal(scenario.Status, outcome.Status);
        var expected = GoldenNormalizer.Normalize(scenario.ResponseBody);
        var actual = GoldenNormalizer.Normalize(scenario.BodyTrimmed ? Trim(scenario, outcome.Body) : outcome.Body);
        foreach (var path in scenario.Compare)
        {
            var want = JsonPathLite.Select(expected, path, out var wantFound);
            var got = JsonPathLite.Select(actual, path, out var gotFound);
            Assert.True(wantFound == gotFound && JsonNodes.DeepEquals(want, got),
                $"{path}: expected {(wantFound ? JsonText.Serialize(want) : "(absent)")} but got {(gotFound ? JsonText.Serialize(got) : "(absent)")}");
        }
        foreach (var header in scenario.CompareHeaders)
        {
            var want = scenario.ResponseHeaders[header] switch
            {
                null => [],
                JsonArray list => list.Select(v => JsonNodes.GetString(v) ?? "").ToList(),
                var single => [JsonNodes.GetString(single) ?? ""],
            };
            var got = outcome.Headers.TryGetValue(header, out var values) ? values : [];
            Assert.True(want.SequenceEqual(got), $"header {header}: expected [{string.Join(" | ", want)}] but got [{string.Join(" | ", got)}]");
        }
    }

    // Trimmed recordings keep only selected parts of a large body; select the same parts of ours.
    private static JsonNode? Trim(GoldenScenario scenario, JsonNode? body)
    {
        if (body is not JsonObject obj || scenario.ResponseBody?["items"] is not JsonArray recordedItems || obj["items"] is not JsonArray items)
        {
            return body;
        }
        var copy = (JsonObject)obj.DeepClone();
        var kept = new JsonArray();
        foreach (var recorded in recordedItems.OfType<JsonObject>())
        {
            var match = items.OfType<JsonObject>().FirstOrDefault(i =>
                JsonNodes.GetString(i["reason"]) == JsonNodes.GetString(recorded["reason"]) &&
                JsonNodes.StringAt(i, "source", "component") == JsonNodes.StringAt(recorded, "source", "component") &&
                JsonNodes.StringAt(i, "involvedObject", "kind") == JsonNodes.StringAt(recorded, "involvedObject", "kind"));
            if (match is not null)
            {
                kept.Add(match.DeepClone());
            }
        }
        copy["items"] = kept;
        return copy;
    }
}
