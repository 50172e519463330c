using System.Collections.Concurrent;

namespace RayPS.Sandbox;

/// <summary>The sandboxes this process runs; they live until stopped or until the process exits.</summary>
internal static class SandboxRegistry
{
    private static readonly ConcurrentDictionary<int, RaySandbox> Running = new();

    public static void Add(RaySandbox sandbox) => Running[sandbox.Id] = sandbox;

    public static IReadOnlyList<RaySandbox> All => Running.Values.OrderBy(s => s.Id).ToList();

    public static bool TryRemove(int id, out RaySandbox? sandbox) => Running.TryRemove(id, out sandbox);
}
