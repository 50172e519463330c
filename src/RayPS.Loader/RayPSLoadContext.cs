using System.Management.Automation;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace RayPS.Loader;

/// <summary>
/// The module's private AssemblyLoadContext. RayPS.dll, the cmdlets, loads in the default context (PowerShell imports it
/// as the manifest's second nested module); everything it depends on that could clash with another module's copy
/// (RayPS.Client with KubernetesClient, YamlDotNet, Fractions; RayPS.Sandbox) loads here from the module's lib folder,
/// so a session that already holds another version of any of them keeps working. Assemblies not found in lib
/// (System.*, System.Management.Automation) come from the default context, which keeps PowerShell's own types shared.
/// </summary>
/// <remarks>
/// lib holds the IL assemblies, which run everywhere. The package may also carry ReadyToRun images of them for a
/// platform in lib/r2r/&lt;os&gt;-&lt;arch&gt;/, compiled against the .NET major version written in that folder's
/// runtime.txt; they are preferred only on that platform and runtime major version. Elsewhere the IL copies load.
/// RAYPS_READYTORUN=0 forces the IL copies (to compare, or to rule the images out).
/// </remarks>
public sealed class RayPSLoadContext : AssemblyLoadContext
{
    private static readonly object Gate = new();
    private static RayPSLoadContext? _instance;
    private static string[] _registeredAccelerators = [];
    private readonly string[] _probeDirectories;

    private RayPSLoadContext(string moduleRoot, string libDirectory, string? readyToRunDirectory)
        : base("RayPS", isCollectible: false)
    {
        ModuleRoot = moduleRoot;
        _probeDirectories = readyToRunDirectory is null ? [libDirectory] : [readyToRunDirectory, libDirectory];
    }

    private string ModuleRoot { get; }

    /// <summary>
    /// The assemblies of lib that RayPS.dll references itself. The default context cannot find them (they are not
    /// PowerShell's and not beside RayPS.dll), so it asks its Resolving event, which hands over the copies loaded here.
    /// Only these: another module's request for, say, YamlDotNet must not receive ours.
    /// </summary>
    public static readonly string[] DefaultContextDependencies = ["RayPS.Client", "RayPS.Sandbox"];

    /// <summary>The folder of ReadyToRun images this process uses, or null when it runs the IL assemblies.</summary>
    public static string? ReadyToRunDirectory { get; private set; }

    /// <summary>
    /// Creates the private context for the module in <paramref name="moduleRoot"/> (once per process; later calls keep
    /// the first) and has the default context resolve <see cref="DefaultContextDependencies"/> from it.
    /// </summary>
    public static void Initialize(string moduleRoot)
    {
        lock (Gate)
        {
            if (_instance is not null)
            {
                return;
            }

            var libDirectory = Path.Combine(moduleRoot, "lib");
            ReadyToRunDirectory = FindReadyToRunDirectory(libDirectory);
            _instance = new RayPSLoadContext(moduleRoot, libDirectory, ReadyToRunDirectory);
            Default.Resolving += ResolveForDefaultContext;
        }
    }

    private static Assembly? ResolveForDefaultContext(AssemblyLoadContext context, AssemblyName name) =>
        _instance is { } instance && DefaultContextDependencies.Contains(name.Name, StringComparer.OrdinalIgnoreCase)
            ? instance.LoadFromAssemblyName(name)
            : null;

    private static RayPSLoadContext Instance => _instance ?? throw new InvalidOperationException("Initialize must run first.");

    /// <summary>
    /// An assembly with public output types: RayPS.dll from the module folder in the default context (the same assembly
    /// PowerShell imports as the manifest's nested module: a load of the same path returns the one already loaded), or a
    /// lib assembly from this context.
    /// </summary>
    private static Assembly PublicTypeAssembly(string name) =>
        string.Equals(name, "RayPS", StringComparison.OrdinalIgnoreCase)
            ? Default.LoadFromAssemblyPath(Path.Combine(Instance.ModuleRoot, "RayPS.dll"))
            : Instance.LoadFromAssemblyName(new AssemblyName(name));

    /// <summary>
    /// Registers the public output types listed in the module's RayPS.Types.txt (lines "Assembly TypeFullName", written
    /// at build time) as PowerShell type accelerators, so [RayPS.RayCluster] resolves although the type lives in a
    /// private load context. Without the list (a build that did not write it) it falls back to sweeping the exported
    /// types of RayPS and RayPS.Client in namespace RayPS, which costs a reflection pass over both assemblies.
    /// </summary>
    public static void RegisterTypeAccelerators()
    {
        var listPath = Path.Combine(Instance.ModuleRoot, "RayPS.Types.txt");
        var types = new List<Type>();
        if (File.Exists(listPath))
        {
            foreach (var line in File.ReadLines(listPath))
            {
                var parts = line.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                if (parts.Length != 2)
                {
                    continue;
                }

                var type = PublicTypeAssembly(parts[0]).GetType(parts[1], throwOnError: true)!;
                types.Add(type);
            }
        }
        else
        {
            types.AddRange(SweepPublicTypes().Select(entry => entry.Type));
        }

        var accelerators = TypeAccelerators();
        var add = accelerators.GetMethod("Add", [typeof(string), typeof(Type)])!;
        foreach (var type in types)
        {
            add.Invoke(null, [type.FullName!, type]);
        }

        _registeredAccelerators = types.Select(t => t.FullName!).ToArray();
    }

    /// <summary>The public output types as the build lists them in RayPS.Types.txt: "Assembly TypeFullName" lines, sorted.</summary>
    public static string[] ListPublicTypes() =>
        SweepPublicTypes().Select(entry => entry.Assembly + " " + entry.Type.FullName).ToArray();

    private static IEnumerable<(string Assembly, Type Type)> SweepPublicTypes() =>
        PublicTypeAssemblies.SelectMany(name => PublicTypeAssembly(name).GetExportedTypes()
            .Where(t => t.Namespace == PublicNamespace)
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t => (name, t)));

    /// <summary>Removes the accelerators RegisterTypeAccelerators added (on Remove-Module).</summary>
    public static void UnregisterTypeAccelerators()
    {
        var remove = TypeAccelerators().GetMethod("Remove", [typeof(string)])!;
        foreach (var name in _registeredAccelerators)
        {
            remove.Invoke(null, [name]);
        }

        _registeredAccelerators = [];
    }

    /// <summary>The assemblies whose public types in namespace RayPS become accelerators.</summary>
    public static readonly string[] PublicTypeAssemblies = ["RayPS", "RayPS.Client"];

    /// <summary>The namespace of the module's public output types.</summary>
    public const string PublicNamespace = "RayPS";

    /// <summary>This process's platform as the package names its ReadyToRun folders: linux-x64, win-x64, osx-arm64, ...</summary>
    public static string PlatformName
    {
        get
        {
            var os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : OperatingSystem.IsLinux() ? "linux" : "other";
            return os + "-" + RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        }
    }

    private static string? FindReadyToRunDirectory(string libDirectory)
    {
        if (Environment.GetEnvironmentVariable("RAYPS_READYTORUN") == "0")
        {
            return null;
        }

        var directory = Path.Combine(libDirectory, "r2r", PlatformName);
        var marker = Path.Combine(directory, "runtime.txt");
        if (!File.Exists(marker) || !int.TryParse(File.ReadAllText(marker).Trim(), out var compiledFor))
        {
            return null;
        }

        // A runtime of another major version ignores the precompiled code (measured: .NET 10 JITs everything in
        // images compiled for .NET 8), so the images only pay on the runtime they were compiled for.
        return Environment.Version.Major == compiledFor && RunsHere(Path.Combine(directory, "RayPS.Client.dll")) ? directory : null;
    }

    /// <summary>
    /// Whether the runtime would load this image: a ReadyToRun image names its OS and architecture in the PE header's
    /// machine field (the architecture's machine XOR an OS constant), and one made for another platform fails to load
    /// ("incorrect format") rather than falling back to its IL, so a folder whose images were made elsewhere is skipped.
    /// An IL-only file (I386 machine) runs anywhere.
    /// </summary>
    internal static bool RunsHere(string image)
    {
        const ushort IlOnly = 0x014C;
        ushort machine;
        try
        {
            using var file = File.OpenRead(image);
            Span<byte> header = stackalloc byte[64];
            file.ReadExactly(header);
            file.Position = BitConverter.ToInt32(header[0x3C..]) + 4;
            Span<byte> field = stackalloc byte[2];
            file.ReadExactly(field);
            machine = BitConverter.ToUInt16(field);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return false;
        }

        ushort architecture = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 0x8664,
            Architecture.Arm64 => 0xAA64,
            Architecture.X86 => 0x014C,
            Architecture.Arm => 0x01C4,
            _ => 0,
        };
        ushort os = OperatingSystem.IsLinux() ? (ushort)0x7B79 : OperatingSystem.IsMacOS() ? (ushort)0x4644 : OperatingSystem.IsFreeBSD() ? (ushort)0xADC4 : (ushort)0;
        return machine == IlOnly || (architecture != 0 && machine == (ushort)(architecture ^ os));
    }

    private static Type TypeAccelerators() =>
        Type.GetType("System.Management.Automation.TypeAccelerators, System.Management.Automation", throwOnError: true)!;

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        foreach (var directory in _probeDirectories)
        {
            var path = Path.Combine(directory, assemblyName.Name + ".dll");
            if (File.Exists(path))
            {
                return LoadFromAssemblyPath(path);
            }
        }

        return null;
    }
}
