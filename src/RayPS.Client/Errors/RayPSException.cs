namespace RayPS.Errors;

/// <summary>
/// The single exception type the client layer raises for anything a user should see. The cmdlet layer
/// turns it into an ErrorRecord whose ErrorId is <see cref="ErrorId"/>; messages say what to do next.
/// </summary>
public sealed class RayPSException : Exception
{
    public RayPSException(string errorId, RayErrorCategory category, string message, object? target = null, Exception? inner = null, string? recommendedAction = null)
        : base(message, inner)
    {
        ErrorId = errorId;
        Category = category;
        Target = target;
        RecommendedAction = recommendedAction;
    }

    public string ErrorId { get; }
    public RayErrorCategory Category { get; }
    public object? Target { get; }
    public string? RecommendedAction { get; }

    /// <summary>HTTP status of the API response that caused this error, when there was one.</summary>
    public int? StatusCode { get; init; }

    /// <summary>Field-level causes the API server returned (422), as "field: message".</summary>
    public IReadOnlyList<string> Causes { get; init; } = Array.Empty<string>();
}
