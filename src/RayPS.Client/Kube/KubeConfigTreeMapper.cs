using k8s.KubeConfigModels;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace RayPS.Kube;

/// <summary>
/// Maps a kubeconfig already parsed into YAML's representation tree (the one <see cref="KubeConfigLoader"/> loads to check
/// the syntax) to KubernetesClient's kubeconfig model, with exactly the values <see cref="KubeConfigReader"/>'s deserializer
/// gives, but without building that reflection-driven deserializer: the largest cost of reading a kubeconfig in a fresh process.
/// </summary>
/// <remarks>
/// It is given only a file's single document (the deserializer fails on several). It maps only what it reproduces for
/// certain and returns null for everything else (an anchor, an alias, a merge key, a tag, a non-scalar key, a value of
/// another shape than the field's, a boolean that is not a plain true/false word, a loosely typed value it would have to
/// guess): the caller then reads the file with
/// <see cref="KubeConfigReader"/>, so the values and the errors stay the deserializer's. The deserializer's rules copied
/// here: keys match the models' YAML aliases exactly and unknown keys are skipped; a plain <c>""</c>, <c>~</c>,
/// <c>null</c>, <c>Null</c> or <c>NULL</c> value is null; any other scalar is its text for a string; a boolean is
/// <c>true|y|yes|on</c> or <c>false|n|no|off</c> in any case; collections are List and Dictionary; an untyped value
/// (preferences, extensions) is a Dictionary&lt;object, object&gt;, a List&lt;object&gt;, or a scalar typed from its text.
/// A test compares both readers field by field on every shape listed.
/// </remarks>
internal static class KubeConfigTreeMapper
{
    private sealed class Unmappable : Exception
    {
    }

    /// <summary>The model of a file's only document, FileName set; null when the deserializer must decide.</summary>
    public static K8SConfiguration? TryMap(YamlMappingNode root, string fullPath)
    {
        if (!IsPlainTree(root))
        {
            return null;
        }
        try
        {
            var config = Configuration(root);
            config.FileName = fullPath;
            return config;
        }
        catch (Unmappable)
        {
            return null;
        }
    }

    /// <summary>No anchor (so no alias), no tag, no merge key and only scalar keys anywhere in the tree.</summary>
    private static bool IsPlainTree(YamlNode node)
    {
        if (!node.Anchor.IsEmpty || !node.Tag.IsEmpty) return false;
        switch (node)
        {
            case YamlScalarNode:
                return true;
            case YamlSequenceNode sequence:
                foreach (var item in sequence.Children)
                {
                    if (!IsPlainTree(item)) return false;
                }
                return true;
            case YamlMappingNode mapping:
                foreach (var (key, value) in mapping.Children)
                {
                    if (key is not YamlScalarNode { Value: not "<<" } || !IsPlainTree(key) || !IsPlainTree(value)) return false;
                }
                return true;
            default:
                return false;
        }
    }

    private static K8SConfiguration Configuration(YamlMappingNode node)
    {
        var config = new K8SConfiguration();
        foreach (var (key, value) in Fields(node))
        {
            switch (key)
            {
                case "preferences": config.Preferences = Map<object>(value, Untyped); break;
                case "apiVersion": config.ApiVersion = String(value); break;
                case "kind": config.Kind = String(value); break;
                case "current-context": config.CurrentContext = String(value); break;
                case "contexts": config.Contexts = List(value, n => Mapping(n, Context)); break;
                case "clusters": config.Clusters = List(value, n => Mapping(n, Cluster)); break;
                case "users": config.Users = List(value, n => Mapping(n, User)); break;
                case "extensions": config.Extensions = List(value, n => Mapping(n, Extension)); break;
            }
        }
        return config;
    }

    private static Cluster Cluster(YamlMappingNode node)
    {
        var cluster = new Cluster();
        foreach (var (key, value) in Fields(node))
        {
            switch (key)
            {
                case "cluster": cluster.ClusterEndpoint = Mapping(value, ClusterEndpoint); break;
                case "name": cluster.Name = String(value); break;
            }
        }
        return cluster;
    }

    private static ClusterEndpoint ClusterEndpoint(YamlMappingNode node)
    {
        var endpoint = new ClusterEndpoint();
        foreach (var (key, value) in Fields(node))
        {
            switch (key)
            {
                case "certificate-authority": endpoint.CertificateAuthority = String(value); break;
                case "certificate-authority-data": endpoint.CertificateAuthorityData = String(value); break;
                case "server": endpoint.Server = String(value); break;
                case "tls-server-name": endpoint.TlsServerName = String(value); break;
                case "insecure-skip-tls-verify": endpoint.SkipTlsVerify = Boolean(value); break;
                case "extensions": endpoint.Extensions = List(value, n => Mapping(n, Extension)); break;
            }
        }
        return endpoint;
    }

    private static Context Context(YamlMappingNode node)
    {
        var context = new Context();
        foreach (var (key, value) in Fields(node))
        {
            switch (key)
            {
                case "context": context.ContextDetails = Mapping(value, ContextDetails); break;
                case "name": context.Name = String(value); break;
                case "extensions": context.Extensions = List(value, n => Mapping(n, Extension)); break;
#pragma warning disable CS0618 // the deserializer sets it from the YAML, obsolete or not
                case "namespace": context.Namespace = String(value); break;
#pragma warning restore CS0618
            }
        }
        return context;
    }

    private static ContextDetails ContextDetails(YamlMappingNode node)
    {
        var details = new ContextDetails();
        foreach (var (key, value) in Fields(node))
        {
            switch (key)
            {
                case "cluster": details.Cluster = String(value); break;
                case "user": details.User = String(value); break;
                case "namespace": details.Namespace = String(value); break;
                case "extensions": details.Extensions = List(value, n => Mapping(n, Extension)); break;
            }
        }
        return details;
    }

    private static User User(YamlMappingNode node)
    {
        var user = new User();
        foreach (var (key, value) in Fields(node))
        {
            switch (key)
            {
                case "user": user.UserCredentials = Mapping(value, UserCredentials); break;
                case "name": user.Name = String(value); break;
            }
        }
        return user;
    }

    private static UserCredentials UserCredentials(YamlMappingNode node)
    {
        var credentials = new UserCredentials();
        foreach (var (key, value) in Fields(node))
        {
            switch (key)
            {
                case "client-certificate-data": credentials.ClientCertificateData = String(value); break;
                case "client-certificate": credentials.ClientCertificate = String(value); break;
                case "client-key-data": credentials.ClientKeyData = String(value); break;
                case "client-key": credentials.ClientKey = String(value); break;
                case "token": credentials.Token = String(value); break;
                case "as": credentials.Impersonate = String(value); break;
                case "as-groups": credentials.ImpersonateGroups = List(value, String); break;
                case "as-user-extra": credentials.ImpersonateUserExtra = Map<string>(value, String); break;
                case "username": credentials.UserName = String(value); break;
                case "password": credentials.Password = String(value); break;
                case "auth-provider": credentials.AuthProvider = Mapping(value, AuthProvider); break;
                case "extensions": credentials.Extensions = List(value, n => Mapping(n, Extension)); break;
                case "exec": credentials.ExternalExecution = Mapping(value, ExternalExecution); break;
            }
        }
        return credentials;
    }

    private static AuthProvider AuthProvider(YamlMappingNode node)
    {
        var provider = new AuthProvider();
        foreach (var (key, value) in Fields(node))
        {
            switch (key)
            {
                case "name": provider.Name = String(value); break;
                case "config": provider.Config = Map<string>(value, String); break;
            }
        }
        return provider;
    }

    private static ExternalExecution ExternalExecution(YamlMappingNode node)
    {
        var exec = new ExternalExecution();
        foreach (var (key, value) in Fields(node))
        {
            switch (key)
            {
                case "apiVersion": exec.ApiVersion = String(value); break;
                case "command": exec.Command = String(value); break;
                case "env": exec.EnvironmentVariables = List(value, n => Map<string>(n, String)); break;
                case "args": exec.Arguments = List(value, String); break;
                case "installHint": exec.InstallHint = String(value); break;
                case "provideClusterInfo": exec.ProvideClusterInfo = Boolean(value); break;
            }
        }
        return exec;
    }

    private static NamedExtension Extension(YamlMappingNode node)
    {
        var extension = new NamedExtension();
        foreach (var (key, value) in Fields(node))
        {
            switch (key)
            {
                case "name": extension.Name = String(value); break;
                case "extension": extension.Extension = Untyped(value); break;
            }
        }
        return extension;
    }

    /// <summary>The mapping's keys (all scalars: <see cref="IsPlainTree"/>) with their values, in the file's order.</summary>
    private static IEnumerable<(string Key, YamlNode Value)> Fields(YamlMappingNode node)
    {
        foreach (var (key, value) in node.Children)
        {
            yield return (((YamlScalarNode)key).Value ?? "", value);
        }
    }

    /// <summary>The deserializer's null: a plain scalar that is empty or one of YAML's null words (never a quoted one).</summary>
    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    private static string? String(YamlNode node) =>
        IsNull(node) ? null : node is YamlScalarNode scalar ? scalar.Value ?? "" : throw new Unmappable();

    /// <summary>
    /// YamlDotNet's boolean words (^(true|y|yes|on)$ and ^(false|n|no|off)$, ignoring case, where $ also matches before a
    /// final newline); anything else (null, another word) makes the deserializer fail or decide, so it is left to it.
    /// </summary>
    private static bool Boolean(YamlNode node)
    {
        if (IsNull(node) || node is not YamlScalarNode { Value: { } text }) throw new Unmappable();
        if (text.EndsWith('\n')) text = text[..^1];
        foreach (var c in text)
        {
            if (c > 127) throw new Unmappable();
        }
        if (text.Equals("true", StringComparison.OrdinalIgnoreCase) || text.Equals("y", StringComparison.OrdinalIgnoreCase) ||
            text.Equals("yes", StringComparison.OrdinalIgnoreCase) || text.Equals("on", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        if (text.Equals("false", StringComparison.OrdinalIgnoreCase) || text.Equals("n", StringComparison.OrdinalIgnoreCase) ||
            text.Equals("no", StringComparison.OrdinalIgnoreCase) || text.Equals("off", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        throw new Unmappable();
    }

    private static T? Mapping<T>(YamlNode node, Func<YamlMappingNode, T> read) where T : class =>
        IsNull(node) ? null : node is YamlMappingNode mapping ? read(mapping) : throw new Unmappable();

    private static List<T>? List<T>(YamlNode node, Func<YamlNode, T> item)
    {
        if (IsNull(node)) return null;
        if (node is not YamlSequenceNode sequence) throw new Unmappable();
        var list = new List<T>(sequence.Children.Count);
        foreach (var child in sequence.Children)
        {
            list.Add(item(child));
        }
        return list;
    }

    /// <summary>A dictionary keyed by the keys' text (a key is never null, whatever it says); its values may be null.</summary>
    private static Dictionary<string, TValue>? Map<TValue>(YamlNode node, Func<YamlNode, TValue?> value)
    {
        if (IsNull(node)) return null;
        if (node is not YamlMappingNode mapping) throw new Unmappable();
        var map = new Dictionary<string, TValue>();
        foreach (var (key, child) in Fields(mapping))
        {
            map[key] = value(child)!;
        }
        return map;
    }

    /// <summary>
    /// A value of no declared type, as the deserializer types it: a mapping is a Dictionary&lt;object, object&gt; keyed by
    /// text, a sequence a List&lt;object&gt;, a quoted or folded scalar its text, a null word null, true/True/TRUE and
    /// false/False/FALSE booleans, and other scalars their text when no number parser could read them (<see cref="IsText"/>);
    /// one that could be a number of some width is left to the deserializer.
    /// </summary>
    private static object? Untyped(YamlNode node)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                var map = new Dictionary<object, object?>();
                foreach (var (key, child) in Fields(mapping))
                {
                    map[key] = Untyped(child);
                }
                return map;
            case YamlSequenceNode sequence:
                var list = new List<object?>(sequence.Children.Count);
                foreach (var child in sequence.Children)
                {
                    list.Add(Untyped(child));
                }
                return list;
            case YamlScalarNode { Value: var value } scalar:
                var text = value ?? "";
                if (scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Folded) return text;
                switch (text)
                {
                    case "" or "~" or "null" or "Null" or "NULL": return null;
                    case "true" or "True" or "TRUE": return true;
                    case "false" or "False" or "FALSE": return false;
                }
                return IsText(text) ? text : throw new Unmappable();
            default:
                throw new Unmappable();
        }
    }

    /// <summary>
    /// Whether the deserializer keeps an untyped plain scalar as text: it tries hexadecimal, octal, integer and floating-point
    /// parsers (with '.' decimals, '_' groups, exponents, signs, blanks, and .inf/.nan) and keeps the text when all fail. That
    /// is certain without a digit, or with a letter none of them reads (g-z but o and x, in either case), unless the text
    /// could spell an infinity or not-a-number symbol.
    /// </summary>
    private static bool IsText(string text)
    {
        if (text.Contains("inf", StringComparison.OrdinalIgnoreCase) || text.Contains("nan", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        if (text.AsSpan().IndexOfAnyInRange('0', '9') < 0)
        {
            return true;
        }
        foreach (var c in text)
        {
            var lower = (char)(c | 0x20);
            if (lower is >= 'g' and <= 'z' && lower is not 'o' and not 'x')
            {
                return true;
            }
        }
        return false;
    }
}
