using k8s;
using k8s.KubeConfigModels;
using RayPS.Errors;

namespace RayPS.Kube;

/// <summary>
/// Finds and merges kubeconfig files the way kubectl does, or falls back to the in-cluster service account.
/// Never echoes file contents: kubeconfigs hold tokens and keys.
/// </summary>
public static class KubeConfigLoader
{
    public const string InClusterMarker = "<in-cluster>";

    /// <summary>The kubeconfig files that apply, in precedence order (explicit value, then $KUBECONFIG, then ~/.kube/config).</summary>
    public static IReadOnlyList<string> ResolvePaths(string? explicitKubeConfig)
    {
        if (!string.IsNullOrWhiteSpace(explicitKubeConfig))
        {
            var explicitPaths = Split(explicitKubeConfig);
            foreach (var p in explicitPaths)
            {
                if (!File.Exists(p))
                {
                    throw new RayPSException(ErrorIds.KubeConfigNotFound, RayErrorCategory.ObjectNotFound,
                        $"The kubeconfig file '{p}' does not exist. Pass an existing file to -KubeConfig, or omit it to use $env:KUBECONFIG or ~/.kube/config.",
                        p);
                }
            }
            return explicitPaths;
        }

        var env = Environment.GetEnvironmentVariable("KUBECONFIG");
        if (!string.IsNullOrWhiteSpace(env))
        {
            // kubectl ignores entries of $KUBECONFIG that do not exist.
            var existing = Split(env).Where(File.Exists).ToList();
            if (existing.Count > 0)
            {
                return existing;
            }
        }

        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var defaultPath = Path.Combine(home, ".kube", "config");
        return File.Exists(defaultPath) ? new[] { defaultPath } : Array.Empty<string>();
    }

    private static List<string> Split(string value) =>
        value.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
             .Select(p => Path.GetFullPath(ExpandHome(p)))
             .Distinct(StringComparer.Ordinal)
             .ToList();

    private static string ExpandHome(string path) =>
        path.StartsWith("~", StringComparison.Ordinal)
            ? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) + path[1..]
            : path;

    /// <summary>Loads and merges the files; the first file to define a name or current-context wins, as in kubectl.</summary>
    public static K8SConfiguration LoadMerged(IReadOnlyList<string> paths)
    {
        K8SConfiguration? merged = null;
        foreach (var path in paths)
        {
            K8SConfiguration config;
            try
            {
                config = KubernetesClientConfiguration.LoadKubeConfig(new FileInfo(path), useRelativePaths: true);
            }
            catch (Exception ex)
            {
                // The parser's message can quote file content (tokens); report only the file and the exception type.
                throw new RayPSException(ErrorIds.KubeConfigInvalid, RayErrorCategory.InvalidData,
                    $"The kubeconfig file '{path}' could not be read ({ex.GetType().Name}). Check that it is a valid kubeconfig (kubectl config view --kubeconfig '{path}').",
                    path);
            }

            if (merged is null)
            {
                merged = config;
                merged.Clusters = (config.Clusters ?? Enumerable.Empty<Cluster>()).ToList();
                merged.Users = (config.Users ?? Enumerable.Empty<User>()).ToList();
                merged.Contexts = (config.Contexts ?? Enumerable.Empty<Context>()).ToList();
                continue;
            }

            merged.CurrentContext ??= config.CurrentContext;
            merged.Clusters = MergeByName(merged.Clusters, config.Clusters, c => c.Name);
            merged.Users = MergeByName(merged.Users, config.Users, u => u.Name);
            merged.Contexts = MergeByName(merged.Contexts, config.Contexts, c => c.Name);
        }

        return merged ?? new K8SConfiguration { Clusters = new List<Cluster>(), Users = new List<User>(), Contexts = new List<Context>() };
    }

    private static List<T> MergeByName<T>(IEnumerable<T>? first, IEnumerable<T>? second, Func<T, string> name)
    {
        var result = (first ?? Enumerable.Empty<T>()).ToList();
        var seen = new HashSet<string>(result.Select(name), StringComparer.Ordinal);
        result.AddRange((second ?? Enumerable.Empty<T>()).Where(item => seen.Add(name(item))));
        return result;
    }

    /// <summary>Context names available in the resolved kubeconfig; empty when there is none. Never throws (used by completers).</summary>
    public static IReadOnlyList<string> ListContexts(string? explicitKubeConfig)
    {
        try
        {
            var merged = LoadMerged(ResolvePaths(explicitKubeConfig));
            return merged.Contexts.Select(c => c.Name).ToList();
        }
        catch (RayPSException)
        {
            return Array.Empty<string>();
        }
    }

    public static bool InClusterAvailable() =>
        !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST")) && KubernetesClientConfiguration.IsInCluster();

    /// <summary>Builds a client configuration for the requested context (or in-cluster when no kubeconfig exists).</summary>
    public static (KubernetesClientConfiguration Config, string ContextName, string SourceKey) Build(KubeConnectionOptions options)
    {
        var paths = ResolvePaths(options.KubeConfig);
        if (paths.Count == 0)
        {
            if (InClusterAvailable() && string.IsNullOrEmpty(options.Context))
            {
                var inCluster = KubernetesClientConfiguration.InClusterConfig();
                return (inCluster, InClusterMarker, InClusterMarker);
            }

            throw new RayPSException(ErrorIds.KubeConfigNotFound, RayErrorCategory.ObjectNotFound,
                "No kubeconfig was found: -KubeConfig was not given, $env:KUBECONFIG names no existing file, and ~/.kube/config does not exist (and this is not a pod with a service account). " +
                "Pass -KubeConfig <path>, set $env:KUBECONFIG, or start a local sandbox with Start-RaySandbox.",
                options.KubeConfig);
        }

        var merged = LoadMerged(paths);
        var contextName = string.IsNullOrEmpty(options.Context) ? merged.CurrentContext : options.Context;
        var known = merged.Contexts.Select(c => c.Name).ToList();
        if (string.IsNullOrEmpty(contextName) || !known.Contains(contextName, StringComparer.Ordinal))
        {
            var list = known.Count == 0 ? "(none)" : string.Join(", ", known);
            var what = string.IsNullOrEmpty(contextName) ? "No current context is set" : $"The context '{contextName}' does not exist";
            throw new RayPSException(ErrorIds.KubeContextNotFound, RayErrorCategory.ObjectNotFound,
                $"{what} in kubeconfig {string.Join(Path.PathSeparator, paths)}. Available contexts: {list}. Pass one with -Context.",
                contextName);
        }

        KubernetesClientConfiguration config;
        try
        {
            config = KubernetesClientConfiguration.BuildConfigFromConfigObject(merged, contextName);
        }
        catch (Exception ex) when (ex is not RayPSException)
        {
            throw new RayPSException(ErrorIds.KubeConfigInvalid, RayErrorCategory.InvalidData,
                $"The kubeconfig context '{contextName}' is incomplete or invalid ({ex.GetType().Name}: {Redact(ex.Message)}). Check its cluster and user entries.",
                contextName);
        }

        var key = string.Join("|", paths.Select(p => p + "@" + File.GetLastWriteTimeUtc(p).Ticks)) + "#" + contextName;
        return (config, contextName, key);
    }

    private static string Redact(string message) =>
        message.Length > 200 ? message[..200] : message;
}
