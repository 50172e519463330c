using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using RayPS.Errors;

namespace RayPS.Jobs;

/// <summary>
/// A local folder packed as Ray's CLI packs a job's working_dir: every file and empty folder not excluded by a
/// .gitignore (each applies to its own folder and below) or by the exclude patterns (relative to the root), stored
/// uncompressed in a zip named by its content, <c>_ray_pkg_&lt;16 hex&gt;.zip</c>. The name is Ray's: for every path
/// visited (the root as "."), SHA-1 of the relative path and, for a file, its bytes; the first 8 bytes of each XORed
/// onto eight ASCII zeros. The same folder therefore maps to the package Ray's own CLI would upload, and an unchanged
/// folder is found on the cluster instead of being sent again.
/// </summary>
public sealed class WorkingDirectoryPackage
{
    /// <summary>Ray's limit on a package (GCS_STORAGE_MAX_SIZE, the gRPC message limit): 500 MiB.</summary>
    public const long DefaultMaxBytes = 500L * 1024 * 1024;

    /// <summary>The variable Ray's CLI reads to change the limit; honoured the same way here.</summary>
    public const string MaxSizeVariable = "RAY_max_grpc_message_size";

    private WorkingDirectoryPackage(string directory, string name, IReadOnlyList<Entry> entries, long contentBytes)
    {
        Directory = directory;
        Name = name;
        Entries = entries;
        ContentBytes = contentBytes;
    }

    public string Directory { get; }

    /// <summary>The package name, e.g. <c>_ray_pkg_5c1f0e8a9b2d4c6e.zip</c>.</summary>
    public string Name { get; }

    /// <summary>The runtime_env working_dir value: <c>gcs://_ray_pkg_....zip</c>.</summary>
    public string Uri => "gcs://" + Name;

    public IReadOnlyList<Entry> Entries { get; }

    public int FileCount => Entries.Count(e => !e.IsDirectory);

    /// <summary>The bytes of the files packed.</summary>
    public long ContentBytes { get; }

    public sealed record Entry(string RelativePath, string FullPath, bool IsDirectory, long Length);

    /// <summary>What newer Ray CLIs leave out of every working_dir unless told otherwise (ray_constants' default excludes).</summary>
    public static readonly IReadOnlyList<string> BuiltInExcludes = [".git", ".venv", "venv", "__pycache__"];

    /// <summary>The variable that replaces <see cref="BuiltInExcludes"/> (comma-separated; empty: none), as for Ray's CLI.</summary>
    public const string DefaultExcludesVariable = "RAY_OVERRIDE_RUNTIME_ENV_DEFAULT_EXCLUDES";

    /// <summary>The default excludes in force: <see cref="DefaultExcludesVariable"/> when set, else <see cref="BuiltInExcludes"/>.</summary>
    public static IReadOnlyList<string> DefaultExcludes() =>
        Environment.GetEnvironmentVariable(DefaultExcludesVariable) is { } overridden
            ? overridden.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : BuiltInExcludes;

    /// <summary>The limit in force: <see cref="MaxSizeVariable"/> when set to a positive number, else 500 MiB.</summary>
    public static long MaxBytes()
    {
        var text = Environment.GetEnvironmentVariable(MaxSizeVariable);
        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : DefaultMaxBytes;
    }

    /// <summary>The folder's full path; WorkingDirectoryNotFound when it is missing or a file.</summary>
    public static string EnsureExists(string directory)
    {
        var root = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(root))
        {
            throw new RayPSException(ErrorIds.WorkingDirectoryNotFound, RayErrorCategory.ObjectNotFound,
                File.Exists(root)
                    ? $"The working directory '{root}' is a file. Pass a folder to -WorkingDirectory (its content is uploaded and becomes the job's current directory)."
                    : $"The working directory '{root}' does not exist. Pass an existing folder to -WorkingDirectory.",
                directory);
        }
        return root;
    }

    /// <summary>Scans and names the folder. WorkingDirectoryNotFound when it is missing; WorkingDirectoryTooLarge when its files alone exceed the limit.</summary>
    public static WorkingDirectoryPackage Scan(string directory, IEnumerable<string>? excludes, long maxBytes)
    {
        var root = EnsureExists(directory);
        var hash = Encoding.ASCII.GetBytes("00000000");
        var entries = new List<Entry>();
        var rules = new List<(string Base, GitWildMatch Match)>();
        var excludeRules = new GitWildMatch(excludes ?? []);
        if (!excludeRules.IsEmpty)
        {
            rules.Add(("", excludeRules));
        }
        long bytes = 0;
        Visit(root, ".", isDirectory: true);

        void Visit(string full, string relative, bool isDirectory)
        {
            var pushed = false;
            if (isDirectory && File.Exists(Path.Combine(full, ".gitignore")))
            {
                rules.Add((relative == "." ? "" : relative, new GitWildMatch(File.ReadAllLines(Path.Combine(full, ".gitignore")))));
                pushed = true;
            }
            if (!rules.Any(r => r.Match.Matches(RelativeTo(r.Base, relative))))
            {
                Mix(hash, relative, isDirectory ? null : full);
                if (isDirectory)
                {
                    var children = new DirectoryInfo(full).EnumerateFileSystemInfos().Where(c => !c.Attributes.HasFlag(FileAttributes.ReparsePoint) || c is FileInfo).ToList();
                    if (children.Count == 0 && relative != ".")
                    {
                        entries.Add(new Entry(relative, full, true, 0));
                    }
                    foreach (var child in children.OrderBy(c => c.Name, StringComparer.Ordinal))
                    {
                        Visit(child.FullName, relative == "." ? child.Name : relative + "/" + child.Name, child is DirectoryInfo);
                    }
                }
                else
                {
                    var length = new FileInfo(full).Length;
                    bytes += length;
                    entries.Add(new Entry(relative, full, false, length));
                }
            }
            if (pushed)
            {
                rules.RemoveAt(rules.Count - 1);
            }
        }

        var package = new WorkingDirectoryPackage(root, "_ray_pkg_" + Convert.ToHexString(hash).ToLowerInvariant() + ".zip", entries, bytes);
        if (bytes >= maxBytes)
        {
            throw package.TooLarge(bytes, maxBytes);
        }
        return package;
    }

    private static string RelativeTo(string baseDir, string relative) =>
        baseDir.Length == 0 ? relative : relative == baseDir ? "." : relative[(baseDir.Length + 1)..];

    private static void Mix(byte[] hash, string relative, string? file)
    {
        using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        sha1.AppendData(Encoding.UTF8.GetBytes(relative));
        if (file is not null)
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
            var buffer = new byte[1 << 16];
            int read;
            while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
            {
                sha1.AppendData(buffer, 0, read);
            }
        }
        var digest = sha1.GetHashAndReset();
        for (var i = 0; i < hash.Length; i++)
        {
            hash[i] ^= digest[i];
        }
    }

    /// <summary>The zip (stored, as Ray's CLI writes it). WorkingDirectoryTooLarge when it reaches the limit.</summary>
    public byte[] Zip(long maxBytes)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var entry in Entries)
            {
                if (entry.IsDirectory)
                {
                    zip.CreateEntry(entry.RelativePath + "/", CompressionLevel.NoCompression);
                    continue;
                }
                var item = zip.CreateEntry(entry.RelativePath, CompressionLevel.NoCompression);
                item.LastWriteTime = File.GetLastWriteTime(entry.FullPath) is var t && t.Year >= 1980 ? t : new DateTime(1980, 1, 1);
                using var target = item.Open();
                using var source = new FileStream(entry.FullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                source.CopyTo(target);
            }
        }
        if (buffer.Length >= maxBytes)
        {
            throw TooLarge(buffer.Length, maxBytes);
        }
        return buffer.ToArray();
    }

    private RayPSException TooLarge(long size, long maxBytes) =>
        new(ErrorIds.WorkingDirectoryTooLarge, RayErrorCategory.LimitsExceeded,
            $"The working directory '{Directory}' packs to {Mib(size)}, over Ray's package limit of {Mib(maxBytes)}. Nothing was uploaded. "
            + "Leave large files out with -Exclude (gitignore patterns, e.g. -Exclude 'data/', '*.ckpt') or a .gitignore, or put them in remote storage.",
            Directory);

    private static string Mib(long bytes) => (bytes / 1024.0 / 1024.0).ToString("0.00", CultureInfo.InvariantCulture) + " MiB";
}
