using k8s.Exceptions;
using k8s.KubeConfigModels;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace RayPS.Kube;

/// <summary>
/// Reads one kubeconfig file into KubernetesClient's kubeconfig model exactly as
/// <c>KubernetesClientConfiguration.LoadKubeConfig(file, useRelativePaths: true)</c> does: the same YamlDotNet deserializer
/// settings (camelCase names under the models' YAML aliases, unquoted scalars typed, unknown fields ignored, merge keys),
/// the same exceptions (a missing file, YAML errors, an empty file), and <c>FileName</c> set to the full path.
/// </summary>
/// <remarks>
/// It does not go through KubernetesYaml: that class's type initializer reflects over every Kubernetes API model in
/// KubernetesClient (thousands of types, for JSON-name overrides and a kind-to-type map the kubeconfig model never uses)
/// before it reads a line, which was the largest single cost of a session's first cmdlet (docs/benchmarks.md, 05-FirstCall).
/// Those overrides only touch types in k8s.Models, so leaving them out changes nothing for k8s.KubeConfigModels (a test
/// compares both readers on the same files).
/// </remarks>
internal static class KubeConfigReader
{
    private static readonly object Gate = new();
    private static IDeserializer? _deserializer;

    public static K8SConfiguration Load(string path)
    {
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            throw new KubeConfigException($"kubeconfig file not found at {file.FullName}");
        }

        string text;
        using (var reader = new StreamReader(file.OpenRead()))
        {
            text = reader.ReadToEnd();
        }

        K8SConfiguration? config;
        lock (Gate)
        {
            _deserializer ??= new DeserializerBuilder()
                .WithNamingConvention(CamelCaseNamingConvention.Instance)
                .WithAttemptingUnquotedStringTypeDeserialization()
                .IgnoreUnmatchedProperties()
                .Build();
            using var reader = new StringReader(text);
            config = _deserializer.Deserialize<K8SConfiguration>(new MergingParser(new Parser(reader)));
        }

        // An empty file deserializes to nothing; KubernetesClient then fails setting FileName with this exception type.
        return config is null
            ? throw new NullReferenceException("The kubeconfig file is empty.")
            : SetFileName(config, file.FullName);
    }

    private static K8SConfiguration SetFileName(K8SConfiguration config, string fullName)
    {
        config.FileName = fullName;
        return config;
    }
}
