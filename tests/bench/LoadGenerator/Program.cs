// Load generator for tests/bench/10-SandboxLoad.Bench.ps1: N concurrent clients run LoadClient's script against a
// Kubernetes API server and the figures go to stdout as one JSON document.
//
//   dotnet LoadGenerator.dll --clients 200 --cycles 4 [--prefix load]
//
// The server comes from the environment, as the bench reads it from the sandbox's kubeconfig (the token stays off
// the command line): RAYPS_LOAD_SERVER (https://127.0.0.1:PORT), RAYPS_LOAD_CA_DATA (the kubeconfig's
// certificate-authority-data: base64 of the CA's PEM) and RAYPS_LOAD_TOKEN (a bearer token).
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using LoadGenerator;

var clients = IntOption("--clients", 200);
var cycles = IntOption("--cycles", 4);
var prefix = Option("--prefix") ?? "load";
var server = new Uri(Required("RAYPS_LOAD_SERVER"));
var token = Required("RAYPS_LOAD_TOKEN");
using var ca = X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(Convert.FromBase64String(Required("RAYPS_LOAD_CA_DATA"))));

var loadClients = Enumerable.Range(1, clients)
    .Select(i => new LoadClient(server, token, ca, $"{prefix}-{i.ToString("D3", CultureInfo.InvariantCulture)}"))
    .ToList();
// Every client waits at the gate so that all of them start, and connect, at the same moment.
var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
var runs = loadClients.Select(client => Task.Run(async () =>
{
    await gate.Task;
    await client.RunAsync(cycles);
})).ToArray();

var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
var clock = Stopwatch.StartNew();
gate.SetResult();
await Task.WhenAll(runs);
clock.Stop();
var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;

var samples = loadClients.SelectMany(c => c.Samples).ToList();
var errors = samples.Where(s => s.Error is not null).ToList();
var report = new
{
    clients,
    requestsPerClient = LoadClient.RequestsOutsideCycles + cycles * LoadClient.RequestsPerCycle,
    requests = samples.Count,
    seconds = clock.Elapsed.TotalSeconds,
    requestsPerSecond = samples.Count / clock.Elapsed.TotalSeconds,
    generatorCpuSeconds = cpu.TotalSeconds,
    errors = errors.Count,
    overall = Stats("all", samples),
    verbs = samples.GroupBy(s => s.Verb).Select(g => Stats(g.Key, g)).OrderBy(s => s.name, StringComparer.Ordinal).ToList(),
    operations = samples.GroupBy(s => s.Operation).Select(g => Stats(g.Key, g)).ToList(),
    statuses = samples.GroupBy(s => s.Status).OrderBy(g => g.Key).ToDictionary(g => g.Key.ToString(CultureInfo.InvariantCulture), g => g.Count()),
    errorSamples = errors.GroupBy(e => (e.Operation, e.Status)).Take(10)
        .Select(g => new { operation = g.Key.Operation, status = g.Key.Status, count = g.Count(), example = g.First().Error }).ToList(),
};
Console.WriteLine(JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
foreach (var client in loadClients)
{
    client.Dispose();
}
return 0;

static LatencyStats Stats(string name, IEnumerable<Sample> samples)
{
    var sorted = samples.Select(s => s.Milliseconds).Order().ToArray();
    return new LatencyStats(name, sorted.Length, samples.Count(s => s.Error is not null),
        Percentile(sorted, 50), Percentile(sorted, 95), Percentile(sorted, 99), sorted[^1], sorted.Average());
}

// Nearest rank, as Get-Percentile in BenchHelpers.psm1.
static double Percentile(double[] sorted, double percent) =>
    sorted[Math.Clamp((int)Math.Ceiling(percent / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];

string? Option(string name)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}

int IntOption(string name, int fallback) => Option(name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

static string Required(string variable) =>
    Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value ? value : throw new InvalidOperationException($"set {variable}");

internal sealed record LatencyStats(string name, int count, int errors, double p50, double p95, double p99, double max, double mean);
