using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Schema;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.Resources;

/// <summary>Builds the served <see cref="ResourceType"/> of a CustomResourceDefinition.</summary>
internal static partial class CustomResourceTypes
{
    private static readonly string[] Verbs = ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"];

    public static ResourceType Build(JsonObject crd)
    {
        var spec = crd["spec"] as JsonObject ?? new JsonObject();
        var names = spec["names"] as JsonObject ?? new JsonObject();
        var versions = (spec["versions"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        var served = versions.Where(v => JsonNodes.GetBool(v["served"]) == true).Select(v => JsonNodes.GetString(v["name"]) ?? "").ToList();
        var storage = versions.FirstOrDefault(v => JsonNodes.GetBool(v["storage"]) == true);
        var schemas = new Dictionary<string, StructuralSchema>(StringComparer.Ordinal);
        var columns = new Dictionary<string, JsonArray>(StringComparer.Ordinal);
        var subresources = new List<Subresource>();
        ScalePaths? scale = null;
        var selectable = new List<string>();
        foreach (var v in versions)
        {
            var name = JsonNodes.GetString(v["name"]) ?? "";
            if (JsonNodes.ObjectAt(v, "schema", "openAPIV3Schema") is { } schema)
            {
                schemas[name] = StructuralSchema.Parse(schema);
            }
            if (v["additionalPrinterColumns"] is JsonArray printer)
            {
                columns[name] = printer;
            }
            if (v["selectableFields"] is JsonArray fields)
            {
                selectable.AddRange(fields.Select(f => (JsonNodes.StringAt(f, "jsonPath") ?? "").TrimStart('.')));
            }
            if (JsonNodes.ObjectAt(v, "subresources") is { } sub && subresources.Count == 0)
            {
                if (sub.ContainsKey("scale") && sub["scale"] is JsonObject scaleSpec)
                {
                    scale = new ScalePaths(
                        JsonNodes.GetString(scaleSpec["specReplicasPath"]) ?? ".spec.replicas",
                        JsonNodes.GetString(scaleSpec["statusReplicasPath"]) ?? ".status.replicas",
                        JsonNodes.GetString(scaleSpec["labelSelectorPath"]));
                    subresources.Add(new Subresource("scale", "get patch update", "Scale", "autoscaling", "v1"));
                }
                if (sub.ContainsKey("status"))
                {
                    subresources.Add(new Subresource("status", "get patch update"));
                }
            }
        }
        var kind = JsonNodes.GetString(names["kind"]) ?? "";
        return new ResourceType
        {
            Group = JsonNodes.GetString(spec["group"]) ?? "",
            Resource = JsonNodes.GetString(names["plural"]) ?? "",
            Kind = kind,
            Singular = JsonNodes.GetString(names["singular"]) ?? kind.ToLowerInvariant(),
            Namespaced = JsonNodes.GetString(spec["scope"]) != "Cluster",
            Versions = SortByPriority(served),
            StorageVersion = JsonNodes.GetString(storage?["name"]) ?? served.FirstOrDefault() ?? "v1",
            Verbs = Verbs,
            ShortNames = StringList(names["shortNames"]),
            Categories = StringList(names["categories"]),
            Subresources = subresources,
            Strategy = CustomResourceStrategy.Instance,
            IsCustom = true,
            Schemas = schemas,
            PrinterColumns = columns,
            CustomScale = scale,
            SelectableFields = selectable,
            Terminating = ObjectMeta.DeletionTimestamp(crd) is not null,
        };
    }

    private static List<string> StringList(JsonNode? node) =>
        (node as JsonArray)?.Select(n => JsonNodes.GetString(n) ?? "").ToList() ?? [];

    [GeneratedRegex(@"^v(\d+)(?:(alpha|beta)(\d+))?$")]
    private static partial Regex KubeVersion();

    /// <summary>Kube-aware version priority: GA before beta before alpha, higher numbers first, others last alphabetically.</summary>
    public static List<string> SortByPriority(IEnumerable<string> versions) =>
        versions.OrderBy(v => Rank(v).Tier).ThenByDescending(v => Rank(v).Major).ThenByDescending(v => Rank(v).Minor)
            .ThenBy(v => v, StringComparer.Ordinal).ToList();

    private static (int Tier, int Major, int Minor) Rank(string version)
    {
        var m = KubeVersion().Match(version);
        if (!m.Success)
        {
            return (3, 0, 0);
        }
        var major = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        var minor = m.Groups[3].Success ? int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture) : 0;
        return (m.Groups[2].Value switch { "" => 0, "beta" => 1, _ => 2 }, major, minor);
    }
}
