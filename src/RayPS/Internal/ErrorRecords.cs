using System.Management.Automation;
using System.Text.RegularExpressions;
using RayPS.Errors;

namespace RayPS.Internal;

/// <summary>Turns client-layer failures into ErrorRecords with stable ErrorIds and the matching category.</summary>
internal static class ErrorRecords
{
    public static ErrorRecord From(RayPSException ex)
    {
        ex = Shortened(ex);
        var category = Enum.TryParse<ErrorCategory>(ex.Category.ToString(), out var c) ? c : ErrorCategory.NotSpecified;
        var record = new ErrorRecord(ex, ex.ErrorId, category, ex.Target);
        if (ex.RecommendedAction is not null)
        {
            record.ErrorDetails = new ErrorDetails(ex.Message) { RecommendedAction = ex.RecommendedAction };
        }
        return record;
    }

    public static ErrorRecord From(Exception ex, object? target = null) =>
        ex switch
        {
            RayPSException rayEx => From(rayEx),
            RayPS.Kube.KubeApiException apiEx => From(apiEx.ToRayPSException()),
            _ => new ErrorRecord(ex, "RayPSUnexpectedError", ErrorCategory.NotSpecified, target),
        };

    /// <summary>Runs of non-blank text longer than this are cut in messages.</summary>
    private const int MaxRun = 200;
    private const int KeptPrefix = 64;
    private static readonly Regex LongRun = new(@"\S{" + (MaxRun + 1) + ",}", RegexOptions.CultureInvariant);
    private static readonly Regex RunStart = new(@"^[""'(\[]*", RegexOptions.CultureInvariant);
    private static readonly Regex RunEnd = new(@"[""'.,;:)\]]*$", RegexOptions.CultureInvariant);

    /// <summary>
    /// Messages quote what the user passed (names, paths, patterns) so that it can be recognized; quoted whole, a
    /// 100,000-character name makes a 200 KB error. Any run of more than 200 non-blank characters keeps its first 64,
    /// then "..." and its length; a long string target is cut the same way. Short messages are returned as they are.
    /// </summary>
    internal static RayPSException Shortened(RayPSException ex)
    {
        var longTarget = ex.Target is string { Length: > MaxRun };
        if (!longTarget && !LongRun.IsMatch(ex.Message))
        {
            return ex;
        }
        var message = LongRun.Replace(ex.Message, m =>
        {
            var opening = RunStart.Match(m.Value).Value;
            var closing = RunEnd.Match(m.Value, opening.Length).Value;
            var length = Math.Max(0, m.Value.Length - opening.Length - closing.Length);
            return $"{m.Value[..Math.Min(m.Value.Length, opening.Length + KeptPrefix)]}...{closing} ({length} characters)";
        });
        var target = ex.Target is string text && longTarget ? text[..KeptPrefix] + "..." : ex.Target;
        return new RayPSException(ex.ErrorId, ex.Category, message, target, ex.InnerException, ex.RecommendedAction)
        {
            StatusCode = ex.StatusCode,
            Causes = ex.Causes,
        };
    }

    public static ErrorRecord Invalid(string errorId, string message, object? target = null) =>
        From(new RayPSException(errorId, RayErrorCategory.InvalidArgument, message, target));
}
