namespace RayPS.Client.Tests.Support;

/// <summary>Finds the read-only reference data (<c>shared/</c>) beside the repository, wherever the clone is.</summary>
internal static class SharedData
{
    private static readonly Lazy<string?> Root = new(Locate);

    public static string Path(params string[] parts) =>
        System.IO.Path.Combine([Root.Value ?? throw new InvalidOperationException("shared/ (with kube-golden/) was not found above " + AppContext.BaseDirectory), .. parts]);

    // Walk up from the test binaries to a directory holding shared/kube-golden (CI keeps shared/ beside the clone).
    private static string? Locate()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "shared");
            if (Directory.Exists(System.IO.Path.Combine(candidate, "kube-golden")))
            {
                return candidate;
            }
        }
        return null;
    }
}
