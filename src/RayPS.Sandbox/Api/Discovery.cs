using System.Text.Json.Nodes;
using RayPS.Sandbox.Resources;

namespace RayPS.Sandbox.Api;

/// <summary>
/// Discovery documents: /version, /api, /apis, /apis/GROUP, the per-version APIResourceLists, and
/// aggregated discovery (apidiscovery.k8s.io v2/v2beta1) that kubectl asks for first.
/// </summary>
internal sealed class Discovery(ResourceRegistry registry, Func<int> port)
{
    public const string AggregatedV2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
    public const string AggregatedV2Beta1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";

    public static JsonObject Version() => new()
    {
        ["major"] = "1",
        ["minor"] = "36",
        ["emulationMajor"] = "1",
        ["emulationMinor"] = "36",
        ["minCompatibilityMajor"] = "1",
        ["minCompatibilityMinor"] = "35",
        ["gitVersion"] = "v1.36.2",
        ["gitCommit"] = "0b6e4bd8c0ad33bce06ee55290d81fe5a4d5e417",
        ["gitTreeState"] = "clean",
        ["buildDate"] = "2026-06-11T10:22:51Z",
        ["goVersion"] = "go1.26.10",
        ["compiler"] = "gc",
        ["platform"] = "linux/amd64",
    };

    /// <summary>Which aggregated-discovery media type (if any) the Accept header asks for.</summary>
    public static string? AggregatedMediaType(string? accept)
    {
        if (accept is null)
        {
            return null;
        }
        foreach (var part in accept.Split(','))
        {
            var media = part.Replace(" ", "", StringComparison.Ordinal);
            if (!media.Contains("as=APIGroupDiscoveryList", StringComparison.Ordinal) || !media.Contains("g=apidiscovery.k8s.io", StringComparison.Ordinal))
            {
                continue;
            }
            if (media.Contains("v=v2;", StringComparison.Ordinal) || media.EndsWith("v=v2", StringComparison.Ordinal))
            {
                return AggregatedV2;
            }
            if (media.Contains("v=v2beta1", StringComparison.Ordinal))
            {
                return AggregatedV2Beta1;
            }
        }
        return null;
    }

    public JsonObject CoreVersions() => new()
    {
        ["kind"] = "APIVersions",
        ["versions"] = new JsonArray("v1"),
        ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject
        {
            ["clientCIDR"] = "0.0.0.0/0",
            ["serverAddress"] = "127.0.0.1:" + port().ToString(System.Globalization.CultureInfo.InvariantCulture),
        }),
    };

    public JsonObject GroupList()
    {
        var groups = new JsonArray();
        foreach (var group in registry.Groups())
        {
            groups.Add(GroupEntry(group));
        }
        return new JsonObject { ["kind"] = "APIGroupList", ["apiVersion"] = "v1", ["groups"] = groups };
    }

    public JsonObject? Group(string group)
    {
        if (!registry.Groups().Contains(group))
        {
            return null;
        }
        var entry = GroupEntry(group);
        var result = new JsonObject { ["kind"] = "APIGroup", ["apiVersion"] = "v1" };
        foreach (var (key, value) in entry)
        {
            result[key] = value?.DeepClone();
        }
        return result;
    }

    private JsonObject GroupEntry(string group)
    {
        var versions = registry.VersionsOf(group);
        var list = new JsonArray();
        foreach (var v in versions)
        {
            list.Add(new JsonObject { ["groupVersion"] = group + "/" + v, ["version"] = v });
        }
        return new JsonObject
        {
            ["name"] = group,
            ["versions"] = list,
            ["preferredVersion"] = new JsonObject { ["groupVersion"] = group + "/" + versions[0], ["version"] = versions[0] },
        };
    }

    /// <summary>The APIResourceList of a group version, or null when it is not served.</summary>
    public JsonObject? ResourceList(string group, string version)
    {
        var types = registry.InGroupVersion(group, version).ToList();
        if (types.Count == 0)
        {
            return null;
        }
        var entries = new List<JsonObject>();
        foreach (var t in types)
        {
            var main = new JsonObject
            {
                ["name"] = t.Resource,
                ["singularName"] = t.Singular,
                ["namespaced"] = t.Namespaced,
                ["kind"] = t.Kind,
                ["verbs"] = Strings(t.Verbs),
            };
            if (t.ShortNames.Count > 0)
            {
                main["shortNames"] = Strings(t.ShortNames);
            }
            if (t.Categories.Count > 0)
            {
                main["categories"] = Strings(t.Categories);
            }
            if (t.Verbs.Contains("list") || t.Verbs.Contains("get"))
            {
                main["storageVersionHash"] = t.StorageVersionHash;
            }
            entries.Add(main);
            foreach (var sub in t.Subresources)
            {
                var entry = new JsonObject
                {
                    ["name"] = t.Resource + "/" + sub.Name,
                    ["singularName"] = "",
                    ["namespaced"] = t.Namespaced,
                };
                if (sub.Group is not null)
                {
                    entry["group"] = sub.Group;
                    entry["version"] = sub.Version;
                }
                entry["kind"] = sub.Kind ?? t.Kind;
                entry["verbs"] = Strings(sub.VerbList);
                entries.Add(entry);
            }
        }
        var result = new JsonObject { ["kind"] = "APIResourceList" };
        if (group.Length > 0)
        {
            result["apiVersion"] = "v1";
        }
        result["groupVersion"] = group.Length == 0 ? version : group + "/" + version;
        result["resources"] = new JsonArray(entries.OrderBy(e => (string?)e["name"], StringComparer.Ordinal).Select(e => (JsonNode?)e).ToArray());
        return result;
    }

    /// <summary>APIGroupDiscoveryList for /api (core) or /apis (all groups).</summary>
    public JsonObject Aggregated(bool core, string mediaType)
    {
        var items = new JsonArray();
        var groups = core ? [""] : registry.Groups();
        foreach (var group in groups)
        {
            var versions = new JsonArray();
            foreach (var version in core ? ["v1"] : registry.VersionsOf(group))
            {
                var resources = new JsonArray();
                foreach (var t in registry.InGroupVersion(group, version).OrderBy(t => t.Resource, StringComparer.Ordinal))
                {
                    // Built-in kinds leave group/version empty (same as the resource's); CRDs spell them out.
                    var own = new JsonObject { ["group"] = t.IsCustom ? group : "", ["version"] = t.IsCustom ? version : "", ["kind"] = t.Kind };
                    var entry = new JsonObject
                    {
                        ["resource"] = t.Resource,
                        ["responseKind"] = own,
                        ["scope"] = t.Namespaced ? "Namespaced" : "Cluster",
                        ["singularResource"] = t.Singular,
                        ["verbs"] = Strings(t.Verbs),
                    };
                    if (t.ShortNames.Count > 0)
                    {
                        entry["shortNames"] = Strings(t.ShortNames);
                    }
                    if (t.Categories.Count > 0)
                    {
                        entry["categories"] = Strings(t.Categories);
                    }
                    if (t.Subresources.Count > 0)
                    {
                        var subs = new JsonArray();
                        foreach (var sub in t.Subresources)
                        {
                            subs.Add(new JsonObject
                            {
                                ["subresource"] = sub.Name,
                                ["responseKind"] = sub.Kind is null ? own.DeepClone() : new JsonObject { ["group"] = sub.Group ?? "", ["version"] = sub.Version ?? "", ["kind"] = sub.Kind },
                                ["verbs"] = Strings(sub.VerbList),
                            });
                        }
                        entry["subresources"] = subs;
                    }
                    resources.Add(entry);
                }
                versions.Add(new JsonObject { ["version"] = version, ["resources"] = resources, ["freshness"] = "Current" });
            }
            var metadata = new JsonObject();
            if (group.Length > 0)
            {
                metadata["name"] = group;
            }
            metadata["creationTimestamp"] = null;
            items.Add(new JsonObject { ["metadata"] = metadata, ["versions"] = versions });
        }
        var apiVersion = mediaType == AggregatedV2Beta1 ? "apidiscovery.k8s.io/v2beta1" : "apidiscovery.k8s.io/v2";
        return new JsonObject { ["kind"] = "APIGroupDiscoveryList", ["apiVersion"] = apiVersion, ["metadata"] = new JsonObject(), ["items"] = items };
    }

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
}
