using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using RayPS.Manifests;

namespace RayPS.Client.Tests.Manifests;

/// <summary>Paths to the reference files next to these sources (no copy to the output directory needed).</summary>
internal static class TestData
{
    public static string Dir { get; } = Path.Combine(SourceDir(), "TestData");

    public static string File(string relative) => Path.Combine(Dir, relative);

    public static string Text(string relative) => System.IO.File.ReadAllText(File(relative));

    public static JsonObject Yaml(string relative) => (JsonObject)YamlJson.ParseDocuments(Text(relative), relative)[0]!;

    private static string SourceDir([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
