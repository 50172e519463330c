namespace RayPS.Sandbox.Cluster;

/// <summary>KubeRay's name and label shortening rules.</summary>
internal static class KubeNames
{
    /// <summary>KubeRay's utils.CheckName: shortens long pod name prefixes from the left; no leading digit or punctuation.</summary>
    public static string CheckName(string s)
    {
        const int maxLength = 50;
        if (s.Length > maxLength)
        {
            s = s[(s.Length - maxLength)..];
        }
        if (s.Length > 0 && (char.IsDigit(s[0]) || char.IsPunctuation(s[0])))
        {
            s = "r" + s[1..];
        }
        return s;
    }

    /// <summary>KubeRay's utils.CheckLabel: label values keep at most 63 characters (the tail).</summary>
    public static string CheckLabel(string s)
    {
        const int maxLength = 63;
        if (s.Length > maxLength)
        {
            s = s[(s.Length - maxLength)..];
        }
        if (s.Length > 0 && (char.IsDigit(s[0]) || char.IsPunctuation(s[0])))
        {
            s = "r" + s[1..];
        }
        return s;
    }
}
