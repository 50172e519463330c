using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace RayPS.Completers;

/// <summary>Completes -Kind with the two kinds of worker group.</summary>
public sealed class WorkerGroupKindCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        CompletionHelpers.Match(Enum.GetNames<WorkerGroupKind>(), wordToComplete);
}
