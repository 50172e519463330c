using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.Resources;

/// <summary>
/// rbac.authorization.k8s.io/v1 Roles, ClusterRoles, RoleBindings and ClusterRoleBindings: names are path
/// segments (so "system:basic-user" is valid), rules need verbs and (for resources) API groups, a namespaced
/// Role cannot name non-resource URLs, a binding's roleRef is required and can never change.
/// </summary>
internal sealed class RbacStrategy : ResourceStrategy
{
    private const string RbacGroup = "rbac.authorization.k8s.io";

    private readonly bool _binding;

    private RbacStrategy(bool binding) => _binding = binding;

    public static RbacStrategy Role { get; } = new(binding: false);

    public static RbacStrategy Binding { get; } = new(binding: true);

    public override NameValidation.NameRule NameRule => NameValidation.NameRule.Any;

    /// <summary>SetDefaults_Subject: a User or Group subject without apiGroup gets rbac.authorization.k8s.io.</summary>
    public override void Default(JsonObject obj)
    {
        if (!_binding)
        {
            return;
        }
        foreach (var subject in (obj["subjects"] as JsonArray)?.OfType<JsonObject>() ?? [])
        {
            if (string.IsNullOrEmpty(JsonNodes.GetString(subject["apiGroup"])) && JsonNodes.GetString(subject["kind"]) is "User" or "Group")
            {
                subject["apiGroup"] = RbacGroup;
            }
        }
    }

    public override List<FieldError> Validate(StrategyContext ctx, JsonObject obj)
    {
        var errs = base.Validate(ctx, obj);
        var name = ObjectMeta.Name(obj);
        if (name.Length > 0)
        {
            foreach (var msg in PathSegmentName(name))
            {
                errs.Add(FieldError.Invalid("metadata.name", JsonValue.Create(name), msg));
            }
        }
        if (_binding)
        {
            ValidateBinding(ctx.Type.Namespaced, obj, errs);
        }
        else
        {
            ValidateRules(ctx.Type.Namespaced, obj, errs);
        }
        return errs;
    }

    public override List<FieldError> ValidateUpdate(StrategyContext ctx, JsonObject obj, JsonObject old)
    {
        var errs = base.ValidateUpdate(ctx, obj, old);
        if (_binding && !JsonNodes.DeepEquals(obj["roleRef"], old["roleRef"]))
        {
            errs.Add(FieldError.Invalid("roleRef", obj["roleRef"]?.DeepClone(), "cannot change roleRef"));
        }
        return errs;
    }

    private static IEnumerable<string> PathSegmentName(string name)
    {
        if (name is "." or "..")
        {
            yield return $"may not be '{name}'";
        }
        foreach (var illegal in new[] { "/", "%" })
        {
            if (name.Contains(illegal, StringComparison.Ordinal))
            {
                yield return $"may not contain '{illegal}'";
            }
        }
    }

    private static void ValidateRules(bool namespaced, JsonObject role, List<FieldError> errs)
    {
        var rules = (role["rules"] as JsonArray)?.ToList() ?? [];
        for (var i = 0; i < rules.Count; i++)
        {
            var path = $"rules[{i}]";
            if (rules[i] is not JsonObject rule)
            {
                errs.Add(FieldError.Required(path, ""));
                continue;
            }
            if (Count(rule["verbs"]) == 0)
            {
                errs.Add(FieldError.Required(path + ".verbs", "verbs must contain at least one value"));
            }
            var urls = Count(rule["nonResourceURLs"]);
            if (urls > 0)
            {
                if (namespaced)
                {
                    errs.Add(FieldError.Invalid(path + ".nonResourceURLs", rule["nonResourceURLs"]!.DeepClone(),
                        "namespaced rules cannot apply to non-resource URLs"));
                }
                if (Count(rule["apiGroups"]) > 0 || Count(rule["resources"]) > 0 || Count(rule["resourceNames"]) > 0)
                {
                    errs.Add(FieldError.Invalid(path + ".nonResourceURLs", rule["nonResourceURLs"]!.DeepClone(),
                        "rules cannot apply to both regular resources and non-resource URLs"));
                }
                continue;
            }
            if (Count(rule["apiGroups"]) == 0)
            {
                errs.Add(FieldError.Required(path + ".apiGroups", "resource rules must supply at least one api group"));
            }
            if (Count(rule["resources"]) == 0)
            {
                errs.Add(FieldError.Required(path + ".resources", "resource rules must supply at least one resource"));
            }
        }
    }

    private static void ValidateBinding(bool namespaced, JsonObject binding, List<FieldError> errs)
    {
        var roleRef = binding["roleRef"] as JsonObject;
        var apiGroup = JsonNodes.GetString(roleRef?["apiGroup"]) ?? "";
        if (apiGroup != RbacGroup)
        {
            errs.Add(FieldError.NotSupported("roleRef.apiGroup", JsonValue.Create(apiGroup), [RbacGroup]));
        }
        var kind = JsonNodes.GetString(roleRef?["kind"]) ?? "";
        string[] kinds = namespaced ? ["ClusterRole", "Role"] : ["ClusterRole"];
        if (!kinds.Contains(kind))
        {
            errs.Add(FieldError.NotSupported("roleRef.kind", JsonValue.Create(kind), kinds));
        }
        if (string.IsNullOrEmpty(JsonNodes.GetString(roleRef?["name"])))
        {
            errs.Add(FieldError.Required("roleRef.name", ""));
        }
        var subjects = (binding["subjects"] as JsonArray)?.ToList() ?? [];
        for (var i = 0; i < subjects.Count; i++)
        {
            var path = $"subjects[{i}]";
            var subject = subjects[i] as JsonObject ?? new JsonObject();
            var subjectKind = JsonNodes.GetString(subject["kind"]) ?? "";
            if (string.IsNullOrEmpty(JsonNodes.GetString(subject["name"])))
            {
                errs.Add(FieldError.Required(path + ".name", ""));
            }
            switch (subjectKind)
            {
                case "ServiceAccount":
                    if (JsonNodes.GetString(subject["apiGroup"]) is { Length: > 0 } saGroup)
                    {
                        errs.Add(FieldError.NotSupported(path + ".apiGroup", JsonValue.Create(saGroup), [""]));
                    }
                    if (!namespaced && string.IsNullOrEmpty(JsonNodes.GetString(subject["namespace"])))
                    {
                        errs.Add(FieldError.Required(path + ".namespace", ""));
                    }
                    break;
                case "User":
                case "Group":
                    if ((JsonNodes.GetString(subject["apiGroup"]) ?? "") != RbacGroup)
                    {
                        errs.Add(FieldError.NotSupported(path + ".apiGroup", JsonValue.Create(JsonNodes.GetString(subject["apiGroup"]) ?? ""), [RbacGroup]));
                    }
                    break;
                default:
                    errs.Add(FieldError.NotSupported(path + ".kind", JsonValue.Create(subjectKind), ["ServiceAccount", "User", "Group"]));
                    break;
            }
        }
    }

    private static int Count(JsonNode? list) => (list as JsonArray)?.Count ?? 0;
}
