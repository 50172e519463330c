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

    private static string Quote(string value) =>
        value.IndexOfAny(new[] { ' ', '$', '`', '\'', '"', ';', '(', ')', '{', '}' }) >= 0 ? "'" + value.Replace("'", "''") + "'" : value;
}
