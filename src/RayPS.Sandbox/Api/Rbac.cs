using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.Api;

/// <summary>What a request (or an access review) asks to do.</summary>
internal sealed record AccessAttributes(string Verb, string Namespace, string Group, string Resource, string Subresource, string Name,
    string? Path = null)
{
    public bool IsResourceRequest => Path is null;
}

/// <summary>
/// RBAC from the stored Roles, ClusterRoles, RoleBindings and ClusterRoleBindings, as kube-apiserver's RBAC
/// authorizer evaluates them: ClusterRoleBindings grant everywhere, RoleBindings (to a Role of their namespace
/// or to a ClusterRole) only in their namespace; a rule matches on verbs, API groups, resources
/// ("resource/subresource", "*/subresource", "*"), resourceNames and non-resource URLs (a trailing "*" is a prefix).
/// </summary>
internal sealed class Rbac(ObjectStore store)
{
    private const string RbacGroup = "rbac.authorization.k8s.io";

    /// <summary>Whether some binding grants the request; the reason names the first one (as the RBAC authorizer says it).</summary>
    public (bool Allowed, string? Reason) Authorize(UserInfo user, AccessAttributes request)
    {
        string? reason = null;
        Visit(user, request.IsResourceRequest ? request.Namespace : "", (source, rule) =>
        {
            if (Allows(rule, request))
            {
                reason = "RBAC: allowed by " + source;
                return false;
            }
            return true;
        });
        return (reason is not null, reason);
    }

    /// <summary>Every rule that applies to the user in the namespace (SelfSubjectRulesReview), in the order bindings are visited.</summary>
    public (List<JsonObject> ResourceRules, List<JsonObject> NonResourceRules) RulesFor(UserInfo user, string ns)
    {
        var resourceRules = new List<JsonObject>();
        var nonResourceRules = new List<JsonObject>();
        Visit(user, ns, (_, rule) =>
        {
            var copy = new JsonObject { ["verbs"] = rule["verbs"]?.DeepClone() };
            if (rule["nonResourceURLs"] is JsonArray { Count: > 0 } urls)
            {
                copy["nonResourceURLs"] = urls.DeepClone();
                nonResourceRules.Add(copy);
            }
            else
            {
                foreach (var key in new[] { "apiGroups", "resources", "resourceNames" })
                {
                    if (rule[key] is JsonArray { Count: > 0 } values)
                    {
                        copy[key] = values.DeepClone();
                    }
                }
                resourceRules.Add(copy);
            }
            return true;
        });
        return (resourceRules, nonResourceRules);
    }

    /// <summary>
    /// The RBAC escalation check: a Role or ClusterRole may only hold permissions its writer holds (where the role
    /// applies) unless the writer may "escalate" it; a binding may only grant a role whose permissions the writer
    /// holds unless the writer may "bind" it. Null when the write may go ahead.
    /// </summary>
    public ApiException? ConfirmNoEscalation(UserInfo user, Resources.ResourceType type, JsonObject obj)
    {
        var ns = type.Namespaced ? ObjectMeta.Namespace(obj) ?? "" : "";
        var name = ObjectMeta.Name(obj);
        List<JsonObject> rules;
        if (type.Resource is "roles" or "clusterroles")
        {
            if (Authorize(user, new AccessAttributes("escalate", ns, RbacGroup, type.Resource, "", name)).Allowed)
            {
                return null;
            }
            rules = (obj["rules"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        }
        else
        {
            var roleKind = JsonNodes.StringAt(obj, "roleRef", "kind") ?? "";
            var roleName = JsonNodes.StringAt(obj, "roleRef", "name") ?? "";
            var roleResource = roleKind == "Role" ? "roles" : "clusterroles";
            if (Authorize(user, new AccessAttributes("bind", roleKind == "Role" ? ns : "", RbacGroup, roleResource, "", roleName)).Allowed)
            {
                return null;
            }
            var role = roleKind == "Role" ? store.TryGet(Gvr.Roles, ns, roleName) : store.TryGet(Gvr.ClusterRoles, null, roleName);
            if (role is null)
            {
                // The referenced role cannot be checked: only "bind" would allow this.
                return ApiErrors.Forbidden(type.Resource, type.Group, name,
                    $"user {JsonNodes.Quote(user.Name)} (groups={GoQuoted(user.Groups)}) is attempting to grant RBAC permissions not currently held:\n"
                    + $"{roleResource}.{RbacGroup} {JsonNodes.Quote(roleName)} not found");
            }
            rules = (role["rules"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        }
        var missing = new List<(string Key, string Verb)>();
        foreach (var rule in rules)
        {
            foreach (var (key, attributes) in Breakdown(rule, ns))
            {
                if (!Authorize(user, attributes).Allowed)
                {
                    missing.Add((key, attributes.Verb));
                }
            }
        }
        if (missing.Count == 0)
        {
            return null;
        }
        // Like CompactRules: one line per group/resource/name (or URL) with the verbs missing for it, sorted.
        var lines = missing.GroupBy(m => m.Key, StringComparer.Ordinal)
            .Select(g => g.Key.Replace("\u0000", "Verbs:" + GoQuoted(g.Select(m => m.Verb).Distinct()), StringComparison.Ordinal) + "}")
            .Order(StringComparer.Ordinal);
        return ApiErrors.Forbidden(type.Resource, type.Group, name,
            $"user {JsonNodes.Quote(user.Name)} (groups={GoQuoted(user.Groups)}) is attempting to grant RBAC permissions not currently held:\n" + string.Join("\n", lines));
    }

    /// <summary>A rule split into single permissions, each with the compact text of what it is about ("\0" marks where the verbs go).</summary>
    private static IEnumerable<(string Key, AccessAttributes Attributes)> Breakdown(JsonObject rule, string ns)
    {
        var verbs = Strings(rule["verbs"]).ToList();
        var urls = Strings(rule["nonResourceURLs"]).ToList();
        if (urls.Count > 0)
        {
            foreach (var url in urls)
            {
                foreach (var verb in verbs)
                {
                    yield return ($"{{NonResourceURLs:{GoQuoted([url])}, \u0000", new AccessAttributes(verb, "", "", "", "", "", url));
                }
            }
            yield break;
        }
        var names = Strings(rule["resourceNames"]).DefaultIfEmpty("").ToList();
        foreach (var group in Strings(rule["apiGroups"]))
        {
            foreach (var resource in Strings(rule["resources"]))
            {
                var slash = resource.IndexOf('/', StringComparison.Ordinal);
                var (res, sub) = slash < 0 ? (resource, "") : (resource[..slash], resource[(slash + 1)..]);
                foreach (var name in names)
                {
                    var key = $"{{APIGroups:{GoQuoted([group])}, Resources:{GoQuoted([resource])}, "
                        + (name.Length > 0 ? $"ResourceNames:{GoQuoted([name])}, " : "") + "\u0000";
                    foreach (var verb in verbs)
                    {
                        yield return (key, new AccessAttributes(verb, ns, group, res, sub, name));
                    }
                }
            }
        }
    }

    /// <summary>Go's %q of a []string: ["a" "b"].</summary>
    private static string GoQuoted(IEnumerable<string> values) => "[" + string.Join(" ", values.Select(JsonNodes.Quote)) + "]";

    /// <summary>
    /// Calls <paramref name="visit"/> with each rule of each binding that applies to the user (cluster-wide
    /// bindings first, then the namespace's), and a description of where the rule comes from; stops when it returns false.
    /// </summary>
    private void Visit(UserInfo user, string ns, Func<string, JsonObject, bool> visit)
    {
        foreach (var binding in Items(Gvr.ClusterRoleBindings, null))
        {
            if (MatchingSubject(user, binding, "") is not { } subject || RoleRules(binding, null) is not { } role)
            {
                continue;
            }
            var source = $"ClusterRoleBinding {JsonNodes.Quote(ObjectMeta.Name(binding))} of {role.Kind} {JsonNodes.Quote(role.Name)} to {subject}";
            if (role.Rules.Any(rule => !visit(source, rule)))
            {
                return;
            }
        }
        if (ns.Length == 0)
        {
            return;
        }
        foreach (var binding in Items(Gvr.RoleBindings, ns))
        {
            if (MatchingSubject(user, binding, ns) is not { } subject || RoleRules(binding, ns) is not { } role)
            {
                continue;
            }
            var source = $"RoleBinding {JsonNodes.Quote(ObjectMeta.Name(binding) + "/" + ns)} of {role.Kind} {JsonNodes.Quote(role.Name)} to {subject}";
            if (role.Rules.Any(rule => !visit(source, rule)))
            {
                return;
            }
        }
    }

    private List<JsonObject> Items(Gvr gvr, string? ns)
    {
        try
        {
            return store.ListItems(gvr, ns).OrderBy(ObjectMeta.Name, StringComparer.Ordinal).ToList();
        }
        catch (ApiException)
        {
            return [];
        }
    }

    /// <summary>The binding's role and its rules, or null when the role does not exist (the binding grants nothing).</summary>
    private (string Kind, string Name, List<JsonObject> Rules)? RoleRules(JsonObject binding, string? ns)
    {
        var kind = JsonNodes.StringAt(binding, "roleRef", "kind") ?? "";
        var name = JsonNodes.StringAt(binding, "roleRef", "name") ?? "";
        var role = kind switch
        {
            "ClusterRole" => store.TryGet(Gvr.ClusterRoles, null, name),
            "Role" when ns is not null => store.TryGet(Gvr.Roles, ns, name),
            _ => null,
        };
        if (role is null)
        {
            return null;
        }
        return (kind, name, (role["rules"] as JsonArray)?.OfType<JsonObject>().ToList() ?? []);
    }

    /// <summary>How the RBAC authorizer names the subject that matched (User "x", Group "y", ServiceAccount "ns/z"), or null.</summary>
    private static string? MatchingSubject(UserInfo user, JsonObject binding, string bindingNamespace)
    {
        foreach (var subject in (binding["subjects"] as JsonArray)?.OfType<JsonObject>() ?? [])
        {
            var kind = JsonNodes.GetString(subject["kind"]);
            var name = JsonNodes.GetString(subject["name"]) ?? "";
            switch (kind)
            {
                case "User" when name == user.Name:
                    return "User " + JsonNodes.Quote(name);
                case "Group" when user.Groups.Contains(name):
                    return "Group " + JsonNodes.Quote(name);
                case "ServiceAccount":
                    var saNamespace = JsonNodes.GetString(subject["namespace"]) is { Length: > 0 } n ? n : bindingNamespace;
                    if (user.Name == "system:serviceaccount:" + saNamespace + ":" + name)
                    {
                        return "ServiceAccount " + JsonNodes.Quote(saNamespace + "/" + name);
                    }
                    break;
            }
        }
        return null;
    }

    private static bool Allows(JsonObject rule, AccessAttributes request)
    {
        if (!Contains(rule["verbs"], request.Verb))
        {
            return false;
        }
        if (!request.IsResourceRequest)
        {
            return Strings(rule["nonResourceURLs"]).Any(url => url == "*" || url == request.Path
                || (url.EndsWith('*') && request.Path!.StartsWith(url[..^1], StringComparison.Ordinal)));
        }
        if (!Contains(rule["apiGroups"], request.Group))
        {
            return false;
        }
        var combined = request.Subresource.Length == 0 ? request.Resource : request.Resource + "/" + request.Subresource;
        var resourceMatches = Strings(rule["resources"]).Any(r => r == "*" || r == combined
            || (request.Subresource.Length > 0 && r == "*/" + request.Subresource));
        if (!resourceMatches)
        {
            return false;
        }
        var names = Strings(rule["resourceNames"]).ToList();
        return names.Count == 0 || names.Contains(request.Name);
    }

    private static bool Contains(JsonNode? list, string value) => Strings(list).Any(v => v == "*" || v == value);

    private static IEnumerable<string> Strings(JsonNode? list) =>
        (list as JsonArray)?.Select(n => JsonNodes.GetString(n)).OfType<string>() ?? [];

    /// <summary>
    /// The default policy kube-apiserver bootstraps (the part a Ray cluster's users meet): cluster-admin for
    /// system:masters, discovery, basic-user (self reviews) and public-info-viewer for authenticated users,
    /// public-info-viewer for unauthenticated ones, and service-account issuer discovery for service accounts.
    /// </summary>
    public static IEnumerable<(Gvr Type, JsonObject Object)> BootstrapPolicy()
    {
        JsonObject Rule(string[] verbs, string[]? groups = null, string[]? resources = null, string[]? urls = null)
        {
            var rule = new JsonObject { ["verbs"] = Array(verbs) };
            if (urls is not null)
            {
                rule["nonResourceURLs"] = Array(urls);
            }
            else
            {
                rule["apiGroups"] = Array(groups!);
                rule["resources"] = Array(resources!);
            }
            return rule;
        }
        (Gvr, JsonObject) Role(string name, params JsonObject[] rules) => (Gvr.ClusterRoles, new JsonObject
        {
            ["apiVersion"] = RbacGroup + "/v1",
            ["kind"] = "ClusterRole",
            ["metadata"] = Meta(name),
            ["rules"] = new JsonArray(rules.Select(r => (JsonNode?)r).ToArray()),
        });
        (Gvr, JsonObject) Binding(string name, params string[] groups) => (Gvr.ClusterRoleBindings, new JsonObject
        {
            ["apiVersion"] = RbacGroup + "/v1",
            ["kind"] = "ClusterRoleBinding",
            ["metadata"] = Meta(name),
            ["roleRef"] = new JsonObject { ["apiGroup"] = RbacGroup, ["kind"] = "ClusterRole", ["name"] = name },
            ["subjects"] = new JsonArray(groups.Select(g => (JsonNode?)new JsonObject { ["apiGroup"] = RbacGroup, ["kind"] = "Group", ["name"] = g }).ToArray()),
        });
        string[] healthAndVersion = ["/healthz", "/livez", "/readyz", "/version", "/version/"];
        yield return Role("cluster-admin", Rule(["*"], ["*"], ["*"]), Rule(["*"], urls: ["*"]));
        yield return Binding("cluster-admin", "system:masters");
        yield return Role("system:basic-user",
            Rule(["create"], ["authorization.k8s.io"], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]),
            Rule(["create"], ["authentication.k8s.io"], ["selfsubjectreviews"]));
        yield return Binding("system:basic-user", "system:authenticated");
        yield return Role("system:discovery", Rule(["get"], urls: ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/"]));
        yield return Binding("system:discovery", "system:authenticated");
        yield return Role("system:public-info-viewer", Rule(["get"], urls: healthAndVersion));
        yield return Binding("system:public-info-viewer", "system:authenticated", "system:unauthenticated");
        yield return Role("system:service-account-issuer-discovery",
            Rule(["get"], urls: ["/.well-known/openid-configuration", "/.well-known/openid-configuration/", "/openid/v1/jwks", "/openid/v1/jwks/"]));
        yield return Binding("system:service-account-issuer-discovery", "system:serviceaccounts");
    }

    private static JsonObject Meta(string name) => new()
    {
        ["name"] = name,
        ["labels"] = new JsonObject { ["kubernetes.io/bootstrapping"] = "rbac-defaults" },
        ["annotations"] = new JsonObject { ["rbac.authorization.kubernetes.io/autoupdate"] = "true" },
    };

    private static JsonArray Array(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
}
