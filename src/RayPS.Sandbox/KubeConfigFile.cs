using System.Text;

namespace RayPS.Sandbox;

/// <summary>Writes the sandbox kubeconfig: one cluster, an admin and a viewer user, a context for each.</summary>
internal static class KubeConfigFile
{
    public const string ClusterName = "rayps-sandbox";
    public const string AdminUser = "rayps-sandbox-admin";
    public const string ViewerUser = "rayps-sandbox-viewer";
    public const string AdminContext = "rayps-sandbox";
    public const string ViewerContext = "rayps-sandbox-viewer";

    public static string Render(Uri server, string caPem, string adminToken, string viewerToken)
    {
        var ca = Convert.ToBase64String(Encoding.ASCII.GetBytes(caPem));
        var url = server.GetLeftPart(UriPartial.Authority);
        return $$"""
            apiVersion: v1
            kind: Config
            clusters:
            - cluster:
                certificate-authority-data: {{ca}}
                server: {{url}}
              name: {{ClusterName}}
            contexts:
            - context:
                cluster: {{ClusterName}}
                namespace: default
                user: {{AdminUser}}
              name: {{AdminContext}}
            - context:
                cluster: {{ClusterName}}
                namespace: default
                user: {{ViewerUser}}
              name: {{ViewerContext}}
            current-context: {{AdminContext}}
            preferences: {}
            users:
            - name: {{AdminUser}}
              user:
                token: {{adminToken}}
            - name: {{ViewerUser}}
              user:
                token: {{viewerToken}}

            """;
    }

    public static void Write(string path, string content)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }
        File.WriteAllText(path, content);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }
}
