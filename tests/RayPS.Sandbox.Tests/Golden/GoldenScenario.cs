using System.Globalization;

namespace RayPS.Sandbox.Tests.Golden;

/// <summary>One recorded scenario file (NN-name.json) of shared/kube-golden.</summary>
public sealed class GoldenScenario
{
    public required string File { get; init; }
    public required int Number { get; init; }
    public required string Name { get; init; }
    public required IReadOnlyList<string> Setup { get; init; }
    public required string Method { get; init; }
    public required string Path { get; init; }
    public required JsonObject RequestHeaders { get; init; }
    public required JsonNode? RequestBody { get; init; }
    public required int Status { get; init; }
    public required JsonObject ResponseHeaders { get; init; }
    public required JsonNode? ResponseBody { get; init; }
    public required IReadOnlyList<string> Compare { get; init; }
    public required IReadOnlyList<string> CompareHeaders { get; init; }
    public bool BodyTrimmed { get; init; }

    public bool IsWatch => Path.Contains("watch=1", StringComparison.Ordinal) || Path.Contains("watch=true", StringComparison.Ordinal);

    public override string ToString() => System.IO.Path.GetFileNameWithoutExtension(File);

    public static IReadOnlyList<GoldenScenario> LoadAll()
    {
        var dir = SharedData.Path("kube-golden");
        // rbac-and-deletion/ holds the later recordings (91-99), replayed in the same run.
        return Directory.GetFiles(dir, "*.json", SearchOption.AllDirectories)
            .Select(Load)
            .OrderBy(s => s.Number)
            .ToList();
    }

    public static GoldenScenario Load(string file)
    {
        var doc = (JsonObject)JsonText.Parse(System.IO.File.ReadAllText(file))!;
        var request = (JsonObject)doc["request"]!;
        var response = (JsonObject)doc["response"]!;
        var fileName = System.IO.Path.GetFileName(file);
        return new GoldenScenario
        {
            File = file,
            Number = int.Parse(fileName[..fileName.IndexOf('-')], CultureInfo.InvariantCulture),
            Name = JsonNodes.GetString(doc["name"]) ?? fileName,
            Setup = Strings(doc["setup"]),
            Method = JsonNodes.GetString(request["method"]) ?? "GET",
            Path = JsonNodes.GetString(request["path"]) ?? "/",
            RequestHeaders = request["headers"] as JsonObject ?? new JsonObject(),
            RequestBody = request["body"]?.DeepClone(),
            Status = (int)(JsonNodes.GetInteger(response["status"]) ?? 0),
            ResponseHeaders = response["headers"] as JsonObject ?? new JsonObject(),
            ResponseBody = response["body"]?.DeepClone(),
            Compare = Strings(doc["compare"]),
            CompareHeaders = Strings(doc["compareHeaders"]),
            BodyTrimmed = JsonNodes.GetBool(doc["bodyTrimmed"]) == true,
        };
    }

    private static List<string> Strings(JsonNode? node) =>
        (node as JsonArray)?.Select(n => JsonNodes.GetString(n) ?? "").ToList() ?? [];
}
