using System.ComponentModel;
using System.Diagnostics;

namespace RayPS.Dashboard;

/// <summary>Opens a URL in the user's default browser through the OS (ShellExecute, xdg-open, open).</summary>
public static class BrowserLauncher
{
    /// <summary>True when the OS accepted the URL; otherwise <paramref name="error"/> says why (no desktop, no xdg-open, ...).</summary>
    public static bool TryOpen(Uri url, out string? error)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(url.AbsoluteUri) { UseShellExecute = true });
            error = null;
            return true;
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException or PlatformNotSupportedException)
        {
            error = ex.Message;
            return false;
        }
    }
}
