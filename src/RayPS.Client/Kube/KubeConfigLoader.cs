using k8s;
using k8s.KubeConfigModels;
using RayPS.Errors;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace RayPS.Kube;

/// <summary>
/// Finds and merges kubeconfig files the way kubectl does, or falls back to the in-cluster service account.
/// Never echoes file contents: kubeconfigs hold tokens and keys.
/// </summary>
public static class KubeConfigLoader
{
    public const string InClusterMarker = "<in-cluster>";

    /// <summary>The kubeconfig files that apply, in precedence order (explicit value, then $KUBECONFIG, then ~/.kube/config).</summary>
    public static IReadOnlyList<string> ResolvePaths(string? explicitKubeConfig) => Resolve(explicitKubeConfig, OsFacts.Current).Existing;

    /// <summary>
    /// Which kubeconfig files apply, as kubectl's loading rules pick them: an explicit value must exist; else every entry of
    /// $KUBECONFIG (Go's filepath.SplitList: quotes stripped on Windows, duplicates dropped) that exists, with missing ones
    /// skipped and no fallback to the home file when all are missing; else the home folder's .kube/config (client-go's
    /// homedir rules).
    /// </summary>
    public static KubeConfigSources Resolve(string? explicitKubeConfig, OsFacts facts)
    {
        if (!string.IsNullOrWhiteSpace(explicitKubeConfig))
        {
            var explicitPaths = SplitList(explicitKubeConfig, facts)
                .Where(p => p.Trim().Length > 0)
                .Select(p => FullPath(ExpandHome(p.Trim(), facts), facts))
                .Distinct(StringComparer.Ordinal)
                .ToList();
            foreach (var p in explicitPaths)
            {
                if (!facts.FileExists(p))
                {
                    throw new RayPSException(ErrorIds.KubeConfigNotFound, RayErrorCategory.ObjectNotFound,
                        $"The kubeconfig file '{p}' does not exist. Pass an existing file to -KubeConfig, or omit it to use $env:KUBECONFIG or ~/.kube/config.",
                        p);
                }
            }
            return new KubeConfigSources(explicitPaths, Array.Empty<string>(), KubeConfigOrigin.Explicit);
        }

        var env = facts.GetEnvironmentVariable("KUBECONFIG");
        if (!string.IsNullOrEmpty(env))
        {
            // kubectl skips the entries of $KUBECONFIG that do not exist (it warns "Config not found"), and then uses
            // what remains, even nothing: it never falls back to the home file while KUBECONFIG is set.
            var listed = SplitList(env, facts).Where(p => p.Length > 0).Select(p => FullPath(p, facts)).Distinct(StringComparer.Ordinal).ToList();
            return new KubeConfigSources(listed.Where(facts.FileExists).ToList(), listed.Where(p => !facts.FileExists(p)).ToList(), KubeConfigOrigin.Environment);
        }

        var home = HomeDirectory(facts);
        var defaultPath = home is null ? null : facts.Join(home, ".kube", "config");
        return defaultPath is not null && facts.FileExists(defaultPath)
            ? new KubeConfigSources(new[] { defaultPath }, Array.Empty<string>(), KubeConfigOrigin.Home)
            : new KubeConfigSources(Array.Empty<string>(), defaultPath is null ? Array.Empty<string>() : new[] { defaultPath }, KubeConfigOrigin.Home);
    }

    /// <summary>Go's filepath.SplitList: on Windows ';' outside double quotes, with the quotes removed; elsewhere ':'. Empty entries are kept.</summary>
    public static IReadOnlyList<string> SplitList(string value, OsFacts facts)
    {
        if (value.Length == 0)
        {
            return Array.Empty<string>();
        }
        if (!facts.IsWindows)
        {
            return value.Split(':');
        }
        var result = new List<string>();
        var current = new System.Text.StringBuilder();
        var quoted = false;
        foreach (var c in value)
        {
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == ';' && !quoted)
            {
                result.Add(current.ToString());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }
        result.Add(current.ToString());
        return result;
    }

    /// <summary>
    /// client-go's homedir.HomeDir. Windows: the first of %HOME%, %HOMEDRIVE%%HOMEPATH%, %USERPROFILE% holding .kube\config;
    /// else the first of %HOME%, %USERPROFILE%, %HOMEDRIVE%%HOMEPATH% that exists and is writable; else that exists; else that
    /// is set. Elsewhere: $SNAP_REAL_HOME when it holds .kube/config, else $HOME, else the account's home.
    /// </summary>
    public static string? HomeDirectory(OsFacts facts)
    {
        if (facts.IsWindows)
        {
            var home = facts.Env("HOME");
            var drive = facts.Env("HOMEDRIVE");
            var path = facts.Env("HOMEPATH");
            var homeDrivePath = drive is not null && path is not null ? drive + path : null;
            var userProfile = facts.Env("USERPROFILE");

            var withConfig = new[] { home, homeDrivePath, userProfile }.OfType<string>();
            foreach (var candidate in withConfig)
            {
                if (facts.FileExists(facts.Join(candidate, ".kube", "config"))) return candidate;
            }
            var preferred = new[] { home, userProfile, homeDrivePath }.OfType<string>().ToList();
            foreach (var candidate in preferred)
            {
                if (facts.DirectoryExists(candidate) && facts.DirectoryWritable(candidate)) return candidate;
            }
            foreach (var candidate in preferred)
            {
                if (facts.DirectoryExists(candidate)) return candidate;
            }
            return preferred.FirstOrDefault();
        }

        if (facts.Env("SNAP_REAL_HOME") is { } snapHome && facts.FileExists(facts.Join(snapHome, ".kube", "config")))
        {
            return snapHome;
        }
        return facts.Env("HOME") ?? (facts.AccountHome() is { Length: > 0 } account ? account : null);
    }

    private static string FullPath(string path, OsFacts facts) =>
        ReferenceEquals(facts, OsFacts.Current) || facts.IsWindows == OperatingSystem.IsWindows()
            ? Path.GetFullPath(path, facts.CurrentDirectory())
            : facts.Rebase(path, facts.CurrentDirectory());

    private static string ExpandHome(string path, OsFacts facts) =>
        path == "~" || path.StartsWith("~/", StringComparison.Ordinal) || (facts.IsWindows && path.StartsWith(@"~\", StringComparison.Ordinal))
            ? (HomeDirectory(facts) ?? "~") + path[1..]
            : path;

    /// <summary>Loads and merges the files; the first file to define a name or current-context wins, as in kubectl.</summary>
    public static K8SConfiguration LoadMerged(IReadOnlyList<string> paths) => LoadMergedWithExtras(paths).Config;

    /// <summary>
    /// Loads and merges the files like <see cref="LoadMerged"/>, with each file's relative paths (certificate-authority,
    /// client-certificate, client-key, and an exec command that names a path) made absolute against that file's folder
    /// first, as client-go's ResolveLocalPaths does; also reads the fields the KubernetesClient model lacks.
    /// </summary>
    internal static (K8SConfiguration Config, KubeConfigExtras Extras) LoadMergedWithExtras(IReadOnlyList<string> paths, bool deserializerOnly = false)
    {
        K8SConfiguration? merged = null;
        var extras = new KubeConfigExtras();
        string? emptyFile = null;
        foreach (var path in paths)
        {
            if (ReadFile(path, deserializerOnly) is not { } file)
            {
                // Like kubectl, an empty file in a list contributes nothing; only a list of nothing but empty files is an error.
                emptyFile ??= path;
                continue;
            }
            var config = file.Config;
            RebaseRelativePaths(config, Path.GetDirectoryName(Path.GetFullPath(path))!);
            extras.Add(file.Root);

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

        if (merged is null && emptyFile is not null)
        {
            throw new RayPSException(ErrorIds.KubeConfigInvalid, RayErrorCategory.InvalidData,
                $"The kubeconfig file '{emptyFile}' is empty: it defines no cluster, user or context. Point -KubeConfig (or $env:KUBECONFIG) at a kubeconfig that does " +
                "(your cluster's tools write one, e.g. az aks get-credentials, gcloud container clusters get-credentials, aws eks update-kubeconfig), or start a local sandbox with Start-RaySandbox.",
                emptyFile);
        }
        return (merged ?? new K8SConfiguration { Clusters = new List<Cluster>(), Users = new List<User>(), Contexts = new List<Context>() }, extras);
    }

    /// <summary>
    /// Reads one kubeconfig file, parsing it once: null when it holds no document. The model comes from the parsed tree
    /// (<see cref="KubeConfigTreeMapper"/>) when that reproduces the deserializer's values for certain, else from
    /// <see cref="KubeConfigReader"/> (<paramref name="deserializerOnly"/> forces that, for tests comparing both).
    /// </summary>
    internal static KubeConfigFileRead? ReadFile(string path, bool deserializerOnly = false)
    {
        if (Parse(path) is not var (root, singleDocument))
        {
            return null;
        }
        if (!deserializerOnly && singleDocument && KubeConfigTreeMapper.TryMap(root, Path.GetFullPath(path)) is { } mapped)
        {
            return new KubeConfigFileRead(mapped, root, ByDeserializer: false);
        }
        try
        {
            return new KubeConfigFileRead(KubeConfigReader.Load(path), root, ByDeserializer: true);
        }
        catch (YamlException ex)
        {
            // A value of the wrong shape (a list where a mapping belongs, ...). The parser's message can quote file
            // content (tokens): give the place, not the text.
            throw new RayPSException(ErrorIds.KubeConfigInvalid, RayErrorCategory.InvalidData,
                $"The kubeconfig file '{path}' is not a valid kubeconfig: line {ex.Start.Line}, column {ex.Start.Column}: this value does not fit the kubeconfig format (clusters, users and contexts are lists of named entries). " +
                $"Fix the file (kubectl config view --kubeconfig '{path}' shows what kubectl makes of it).",
                path);
        }
        catch (Exception ex)
        {
            // The parser's message can quote file content (tokens); report only the file and the exception type.
            throw new RayPSException(ErrorIds.KubeConfigInvalid, RayErrorCategory.InvalidData,
                $"The kubeconfig file '{path}' could not be read ({ex.GetType().Name}). Check that it is a valid kubeconfig (kubectl config view --kubeconfig '{path}').",
                path);
        }
    }

    /// <summary>
    /// Parses the file as YAML into its first document's root mapping: null when it holds no document (empty, or only
    /// blanks and comments); a syntax error, or a document that is not a mapping, is KubeConfigInvalid with the line and
    /// column. Never quotes the file's text. Plain block YAML as kubectl writes it is read by <see cref="BlockYamlReader"/>,
    /// everything else by YamlStream.
    /// </summary>
    private static (YamlMappingNode Root, bool SingleDocument)? Parse(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new RayPSException(ErrorIds.KubeConfigInvalid, RayErrorCategory.ReadError,
                $"The kubeconfig file '{path}' cannot be read: {ex.Message} Check its permissions, or pass another file with -KubeConfig.", path, ex);
        }
        if (BlockYamlReader.TryRead(text) is { } simple)
        {
            return (simple, true);
        }
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            throw new RayPSException(ErrorIds.KubeConfigInvalid, RayErrorCategory.InvalidData,
                $"The kubeconfig file '{path}' is not valid YAML: {Place(ex)}: {WithoutQuotedText(Manifests.YamlJson.Reason(ex))}. " +
                "Fix the file there (a tab in the indentation, an unclosed quote or bracket, and a missing ':' are the usual causes).",
                path);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or NullReferenceException or IndexOutOfRangeException)
        {
            // YamlDotNet's scanner throws these instead of a YamlException on some broken input (a '{' inside a block
            // mapping's value lines, ...): still a file to fix, never a crash. Its message says nothing of the place.
            throw new RayPSException(ErrorIds.KubeConfigInvalid, RayErrorCategory.InvalidData,
                $"The kubeconfig file '{path}' is not valid YAML: the YAML parser gave up on it ({ex.GetType().Name}). " +
                $"Check its syntax (kubectl config view --kubeconfig '{path}' shows where kubectl stops), or point -KubeConfig at another file.",
                path);
        }
        var root = stream.Documents.Count > 0 ? stream.Documents[0].RootNode : null;
        if (root is null || (root is YamlScalarNode { Value: null or "" } && root.Tag.IsEmpty))
        {
            return null;
        }
        if (root is not YamlMappingNode)
        {
            throw new RayPSException(ErrorIds.KubeConfigInvalid, RayErrorCategory.InvalidData,
                $"The kubeconfig file '{path}' is not a kubeconfig: line {root.Start.Line}, column {root.Start.Column}: expected a mapping (apiVersion, kind: Config, clusters, users, contexts, current-context). " +
                "Point -KubeConfig at a kubeconfig file.",
                path);
        }
        return ((YamlMappingNode)root, stream.Documents.Count == 1);
    }

    /// <summary>Where a YAML error is: its line and column, and where the parser noticed it when that is on a later line (a tab, a bad indentation).</summary>
    private static string Place(YamlException ex) =>
        ex.End.Line > ex.Start.Line
            ? $"line {ex.Start.Line}, column {ex.Start.Column} (noticed at line {ex.End.Line}, column {ex.End.Column})"
            : $"line {ex.Start.Line}, column {ex.Start.Column}";

    /// <summary>The parser's reason with anything it quotes from the file (longer than a few characters) left out: a kubeconfig holds tokens.</summary>
    private static string WithoutQuotedText(string reason) =>
        System.Text.RegularExpressions.Regex.Replace(reason, "'[^']{4,}'|\"[^\"]{4,}\"", "'...'");

    private static void RebaseRelativePaths(K8SConfiguration config, string directory)
    {
        string? Rebase(string? value) =>
            string.IsNullOrEmpty(value) || Path.IsPathRooted(value) ? value : Path.GetFullPath(Path.Combine(directory, value));

        foreach (var cluster in config.Clusters ?? Enumerable.Empty<Cluster>())
        {
            if (cluster.ClusterEndpoint is { } endpoint)
            {
                endpoint.CertificateAuthority = Rebase(endpoint.CertificateAuthority);
            }
        }
        foreach (var user in config.Users ?? Enumerable.Empty<User>())
        {
            if (user.UserCredentials is not { } credentials) continue;
            credentials.ClientCertificate = Rebase(credentials.ClientCertificate);
            credentials.ClientKey = Rebase(credentials.ClientKey);
            // A bare command name is looked up on PATH; one that names a path is relative to the kubeconfig file.
            if (credentials.ExternalExecution is { Command: { Length: > 0 } command } exec &&
                command.IndexOfAny(OperatingSystem.IsWindows() ? new[] { '/', '\\' } : new[] { '/' }) >= 0)
            {
                exec.Command = Rebase(command);
            }
        }
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
        var target = Prepare(options, OsFacts.Current);
        return (target.Config, target.ContextName, target.SourceKey);
    }

    /// <summary>
    /// Identifies what <see cref="Prepare"/> would build, without reading or parsing the files: the resolved files with their
    /// modification times, and the context asked for. Cheap enough for every cmdlet call and every Tab press.
    /// </summary>
    public static string CacheKey(KubeConnectionOptions options, OsFacts facts)
    {
        var sources = Resolve(options.KubeConfig, facts);
        if (sources.Existing.Count == 0)
        {
            return InClusterMarker + "#" + options.Context;
        }
        return string.Join("|", sources.Existing.Select(p => p + "@" + File.GetLastWriteTimeUtc(p).Ticks)) + "#" + options.Context;
    }

    /// <summary>
    /// Builds everything a connection needs for the requested context. An exec credential plugin is not run here: the
    /// connection asks <see cref="ExecCredentialSource"/> on its first request, and reuses that credential until it expires.
    /// </summary>
    public static KubeTarget Prepare(KubeConnectionOptions options, OsFacts facts)
    {
        var sources = Resolve(options.KubeConfig, facts);
        var paths = sources.Existing;
        if (paths.Count == 0)
        {
            if (InClusterAvailable() && string.IsNullOrEmpty(options.Context))
            {
                var inCluster = KubernetesClientConfiguration.InClusterConfig();
                return new KubeTarget(inCluster, InClusterMarker, InClusterMarker, null, KubeProxy.For(null, facts));
            }

            if (sources.Origin == KubeConfigOrigin.Environment)
            {
                throw new RayPSException(ErrorIds.KubeConfigNotFound, RayErrorCategory.ObjectNotFound,
                    $"Config not found: {string.Join(", ", sources.Missing)}. $env:KUBECONFIG names no existing file, and like kubectl RayPS does not fall back to ~/.kube/config while it is set. " +
                    "Fix or clear $env:KUBECONFIG, pass -KubeConfig <path>, or start a local sandbox with Start-RaySandbox.",
                    string.Join(facts.PathListSeparator, sources.Missing));
            }
            throw new RayPSException(ErrorIds.KubeConfigNotFound, RayErrorCategory.ObjectNotFound,
                "No kubeconfig was found: -KubeConfig was not given, $env:KUBECONFIG names no existing file, and ~/.kube/config does not exist (and this is not a pod with a service account). " +
                "Pass -KubeConfig <path>, set $env:KUBECONFIG, or start a local sandbox with Start-RaySandbox.",
                options.KubeConfig);
        }

        var (merged, extras) = LoadMergedWithExtras(paths);
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

        var context = merged.Contexts.First(c => c.Name == contextName);
        var clusterName = context.ContextDetails?.Cluster;
        var userName = context.ContextDetails?.User;
        var user = merged.Users.FirstOrDefault(u => u.Name == userName);
        var cluster = merged.Clusters.FirstOrDefault(c => c.Name == clusterName);
        var proxyUrl = extras.ProxyUrl(clusterName);

        ExecPluginSpec? exec = null;
        var placeholderToken = false;
        if (user?.UserCredentials?.ExternalExecution is { } execution)
        {
            exec = ToSpec(execution, user.Name, extras.InteractiveMode(user.Name), cluster, extras.ExecExtension(clusterName), proxyUrl);
            // The plugin runs later, on the connection's first request; KubernetesClient must not run it now.
            user.UserCredentials.ExternalExecution = null;
            if (!HasOtherCredentials(user.UserCredentials))
            {
                user.UserCredentials.Token = "exec-plugin-placeholder";
                placeholderToken = true;
            }
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
        if (placeholderToken)
        {
            config.AccessToken = null;
        }

        var key = string.Join("|", paths.Select(p => p + "@" + File.GetLastWriteTimeUtc(p).Ticks)) + "#" + contextName;
        return new KubeTarget(config, contextName, key, exec, KubeProxy.For(proxyUrl, facts));
    }

    private static bool HasOtherCredentials(UserCredentials c) =>
        !string.IsNullOrEmpty(c.Token) || !string.IsNullOrEmpty(c.UserName) || !string.IsNullOrEmpty(c.ClientCertificate) ||
        !string.IsNullOrEmpty(c.ClientCertificateData) || c.AuthProvider is not null;

    private static ExecPluginSpec ToSpec(ExternalExecution execution, string userName, string? interactiveMode, Cluster? cluster,
        System.Text.Json.Nodes.JsonNode? extension, string? proxyUrl)
    {
        if (string.IsNullOrWhiteSpace(execution.Command))
        {
            throw new RayPSException(ErrorIds.KubeConfigInvalid, RayErrorCategory.InvalidData,
                $"The exec credential plugin of kubeconfig user '{userName}' has no command. Fix the user's exec section in the kubeconfig.",
                userName);
        }
        var env = (execution.EnvironmentVariables ?? Enumerable.Empty<IDictionary<string, string>>())
            .Select(e => new KeyValuePair<string, string>(
                e.TryGetValue("name", out var n) ? n : "", e.TryGetValue("value", out var v) ? v : ""))
            .Where(e => e.Key.Length > 0)
            .ToList();
        var endpoint = cluster?.ClusterEndpoint;
        var clusterInfo = endpoint is null ? null : new ExecClusterInfo(endpoint.Server ?? "", endpoint.TlsServerName, endpoint.SkipTlsVerify,
            CertificateAuthorityData(endpoint), proxyUrl, extension);
        return new ExecPluginSpec(execution.Command, (execution.Arguments ?? new List<string>()).ToList(), env,
            execution.ApiVersion ?? "", interactiveMode ?? "", execution.InstallHint, execution.ProvideClusterInfo, clusterInfo, userName);
    }

    private static string? CertificateAuthorityData(ClusterEndpoint endpoint)
    {
        if (!string.IsNullOrEmpty(endpoint.CertificateAuthorityData)) return endpoint.CertificateAuthorityData;
        if (string.IsNullOrEmpty(endpoint.CertificateAuthority) || !File.Exists(endpoint.CertificateAuthority)) return null;
        return Convert.ToBase64String(File.ReadAllBytes(endpoint.CertificateAuthority));
    }

    private static string Redact(string message) =>
        message.Length > 200 ? message[..200] : message;
}

/// <summary>One kubeconfig file read: its model, its parsed root (for the extras), and whether the deserializer had to read it.</summary>
internal sealed record KubeConfigFileRead(K8SConfiguration Config, YamlMappingNode Root, bool ByDeserializer);
