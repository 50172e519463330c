using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using RayPS.Kube;

namespace RayPS.Completers;

/// <summary>Completes -Context from the kubeconfig (local file only, no network).</summary>
public sealed class KubeContextCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var kubeConfig = fakeBoundParameters["KubeConfig"] as string;
        return CompletionHelpers.Match(KubeConfigLoader.ListContexts(kubeConfig), wordToComplete);
    }
}
