using System.Management.Automation;
using RayPS.Errors;

namespace RayPS.Internal;

/// <summary>Turns client-layer failures into ErrorRecords with stable ErrorIds and the matching category.</summary>
internal static class ErrorRecords
{
    public static ErrorRecord From(RayPSException ex)
    {
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

    public static ErrorRecord Invalid(string errorId, string message, object? target = null) =>
        From(new RayPSException(errorId, RayErrorCategory.InvalidArgument, message, target));
}
