namespace RayPS.Sandbox.Tests.Infrastructure;

/// <summary>Finds the read-only reference data (<c>shared/</c>) beside the repository.</summary>
public static class SharedData
{
    private static readonly Lazy<string?> Root = new(Locate);

    /// <summary>The directory that contains kube-golden/, kuberay/ and seed/, or null when absent.</summary>
    public static string? Directory => Root.Value;

    public static string Require() =>
        Directory ?? throw new InvalidOperationException("shared/ (with kube-golden/) was not found above " + AppContext.BaseDirectory);

    public static string Path(params string[] parts) => System.IO.Path.Combine([Require(), .. parts]);

    // Walk up from the test binaries to a directory holding shared/kube-golden (CI keeps shared/ beside the clone).
    private static string? Locate()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "shared");
            if (System.IO.Directory.Exists(System.IO.Path.Combine(candidate, "kube-golden")))
            {
                return candidate;
            }
        }
        return null;
    }
}
