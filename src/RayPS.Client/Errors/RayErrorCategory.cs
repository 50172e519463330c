namespace RayPS.Errors;

/// <summary>
/// The subset of PowerShell's ErrorCategory that the client layer uses. Names match
/// System.Management.Automation.ErrorCategory exactly so the cmdlet layer maps them by name,
/// which keeps this assembly free of any PowerShell dependency.
/// </summary>
public enum RayErrorCategory
{
    NotSpecified,
    InvalidArgument,
    InvalidData,
    InvalidOperation,
    ObjectNotFound,
    ResourceExists,
    ResourceUnavailable,
    PermissionDenied,
    AuthenticationError,
    SecurityError,
    ConnectionError,
    OperationTimeout,
    NotInstalled,
    LimitsExceeded,
    ReadError,
    OperationStopped,
    WriteError,
    InvalidResult,
}
