using System.Runtime.InteropServices;

namespace RayPS.Kube;

/// <summary>
/// The operating-system facts that kubeconfig loading, exec plugins and proxies depend on (environment, path rules,
/// files). Production uses <see cref="Current"/>; tests inject other facts so the Windows rules run on Linux too.
/// </summary>
public sealed class OsFacts
{
    public static OsFacts Current { get; } = new();

    public bool IsWindows { get; init; } = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

    /// <summary>Reads one environment variable (null when unset). Windows' names are case-insensitive; the default handles that.</summary>
    public Func<string, string?> GetEnvironmentVariable { get; init; } = Environment.GetEnvironmentVariable;

    /// <summary>The whole environment, for child processes.</summary>
    public Func<IReadOnlyDictionary<string, string>> GetEnvironment { get; init; } = ReadEnvironment;

    public Func<string, bool> FileExists { get; init; } = File.Exists;
    public Func<string, bool> DirectoryExists { get; init; } = Directory.Exists;

    /// <summary>Whether a file may be run (on Unix: any execute bit, as Go's LookPath checks).</summary>
    public Func<string, bool> IsExecutable { get; init; } = path =>
        OperatingSystem.IsWindows() || (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;

    /// <summary>Whether a directory exists and is not read-only (client-go's homedir rule 2 on Windows checks the owner-write bit).</summary>
    public Func<string, bool> DirectoryWritable { get; init; } = IsDirectoryWritable;

    /// <summary>The user's home as the OS account database knows it (Go's os/user; used when $HOME is unset on Unix).</summary>
    public Func<string?> AccountHome { get; init; } = () => Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    public Func<string> CurrentDirectory { get; init; } = () => Environment.CurrentDirectory;

    /// <summary>Whether standard input is a terminal (decides an exec plugin's interactive mode, as client-go does).</summary>
    public Func<bool> StdinIsTerminal { get; init; } = () => !Console.IsInputRedirected && Environment.UserInteractive;

    public char PathListSeparator => IsWindows ? ';' : ':';
    public char DirectorySeparator => IsWindows ? '\\' : '/';

    public string? Env(string name) => GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;

    /// <summary>Joins path parts with this OS's separator (Path.Combine would use the host's).</summary>
    public string Join(params string[] parts)
    {
        var result = parts[0];
        foreach (var part in parts.Skip(1))
        {
            result = result.Length > 0 && IsSeparator(result[^1]) ? result + part : result + DirectorySeparator + part;
        }
        return result;
    }

    public bool IsSeparator(char c) => c == '/' || (IsWindows && c == '\\');

    public bool ContainsSeparator(string path) => path.Any(IsSeparator);

    public bool IsPathRooted(string path) =>
        IsWindows
            ? path.StartsWith(@"\\", StringComparison.Ordinal) || path.StartsWith("//", StringComparison.Ordinal) ||
              (path.Length >= 3 && char.IsAsciiLetter(path[0]) && path[1] == ':' && IsSeparator(path[2])) ||
              (path.Length >= 1 && IsSeparator(path[0]))
            : path.StartsWith('/');

    /// <summary>The folder part of a file path under this OS's rules (Path.GetDirectoryName would use the host's).</summary>
    public string DirectoryOf(string path)
    {
        var i = path.Length - 1;
        while (i >= 0 && !IsSeparator(path[i])) i--;
        return i <= 0 ? (i == 0 ? path[..1] : ".") : path[..i];
    }

    /// <summary>Makes a path absolute against <paramref name="baseDirectory"/> (Go's filepath.Join(base, p) for relative p).</summary>
    public string Rebase(string path, string baseDirectory) => IsPathRooted(path) ? path : Join(baseDirectory, path);

    private static IReadOnlyDictionary<string, string> ReadEnvironment()
    {
        var result = new Dictionary<string, string>(RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            result[(string)entry.Key] = entry.Value as string ?? "";
        }
        return result;
    }

    private static bool IsDirectoryWritable(string path)
    {
        try
        {
            var info = new DirectoryInfo(path);
            return info.Exists && !info.Attributes.HasFlag(FileAttributes.ReadOnly) &&
                   (OperatingSystem.IsWindows() || info.UnixFileMode.HasFlag(UnixFileMode.UserWrite));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
