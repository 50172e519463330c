using System.Management.Automation;

namespace RayPS.Completers;

internal static class CompletionHelpers
{
    public static IEnumerable<CompletionResult> Match(IEnumerable<string> candidates, string wordToComplete)
    {
        var pattern = new WildcardPattern((wordToComplete ?? string.Empty).Trim('\'', '"') + "*", WildcardOptions.IgnoreCase);
        return candidates
            .Where(c => pattern.IsMatch(c))
            .Distinct(StringComparer.Ordinal)
            .OrderBy(c => c, StringComparer.OrdinalIgnoreCase)
            .Select(c => new CompletionResult(Quote(c), c, CompletionResultType.ParameterValue, c));
    }

    /// <summary>metadata.name of each item of a Kubernetes list.</summary>
    public static IReadOnlyList<string> ItemNames(System.Text.Json.Nodes.JsonObject list) =>
        (list["items"] as System.Text.Json.Nodes.JsonArray ?? new System.Text.Json.Nodes.JsonArray())
            .Select(item => item?["metadata"]?["name"]?.GetValue<string>())
            .OfType<string>()
            .ToList();

    private static string Quote(string value) =>
        value.IndexOfAny(new[] { ' ', '$', '`', '\'', '"', ';', '(', ')', '{', '}' }) >= 0 ? "'" + value.Replace("'", "''") + "'" : value;
}
