namespace RayPS.Internal;

/// <summary>Where Get-Help -Online goes: each cmdlet's page in docs/cmdlets, on the project site.</summary>
internal static class HelpLinks
{
    public const string Cmdlets = "https://github.com/rayps/RayPS/blob/main/docs/cmdlets/";
}
