using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using RayPS.Sandbox.Json;

namespace RayPS.Sandbox.Store;

/// <summary>Name, label and ObjectMeta validation with the messages of k8s.io/apimachinery/pkg/util/validation.</summary>
public static partial class NameValidation
{
    private const string SubdomainFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
    private const string LabelFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
    private const string Dns1035Fmt = "[a-z]([-a-z0-9]*[a-z0-9])?";
    private const string QualifiedNameFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
    private const string LabelValueFmt = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";

    private const string SubdomainMsg =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '" + SubdomainFmt + "')";
    private const string LabelMsg =
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '" + LabelFmt + "')";
    private const string Dns1035Msg =
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '" + Dns1035Fmt + "')";
    private const string QualifiedNameMsg =
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '" + QualifiedNameFmt + "')";
    private const string LabelValueMsg =
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '" + LabelValueFmt + "')";

    [GeneratedRegex("^" + SubdomainFmt + "$")]
    private static partial Regex SubdomainRegex();

    [GeneratedRegex("^" + LabelFmt + "$")]
    private static partial Regex LabelRegex();

    [GeneratedRegex("^" + Dns1035Fmt + "$")]
    private static partial Regex Dns1035Regex();

    [GeneratedRegex("^" + QualifiedNameFmt + "$")]
    private static partial Regex QualifiedNameRegex();

    [GeneratedRegex("^" + LabelValueFmt + "$")]
    private static partial Regex LabelValueRegex();

    public static IReadOnlyList<string> Dns1123Subdomain(string value)
    {
        var errs = new List<string>();
        if (value.Length > 253) errs.Add("must be no more than 253 characters");
        if (!SubdomainRegex().IsMatch(value)) errs.Add(SubdomainMsg);
        return errs;
    }

    public static IReadOnlyList<string> Dns1123Label(string value)
    {
        var errs = new List<string>();
        if (value.Length > 63) errs.Add("must be no more than 63 characters");
        if (!LabelRegex().IsMatch(value)) errs.Add(LabelMsg);
        return errs;
    }

    public static IReadOnlyList<string> Dns1035Label(string value)
    {
        var errs = new List<string>();
        if (value.Length > 63) errs.Add("must be no more than 63 characters");
        if (!Dns1035Regex().IsMatch(value)) errs.Add(Dns1035Msg);
        return errs;
    }

    /// <summary>Validates a label/annotation key; returns the first problem or null.</summary>
    public static string? QualifiedName(string value)
    {
        var parts = value.Split('/');
        string name;
        if (parts.Length == 1)
        {
            name = parts[0];
        }
        else if (parts.Length == 2)
        {
            if (parts[0].Length == 0)
            {
                return "prefix part must be non-empty";
            }
            var prefixErrs = Dns1123Subdomain(parts[0]);
            if (prefixErrs.Count > 0)
            {
                return "prefix part " + prefixErrs[0];
            }
            name = parts[1];
        }
        else
        {
            return "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '" + QualifiedNameFmt + "') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')";
        }
        if (name.Length == 0) return "name part must be non-empty";
        if (name.Length > 63) return "name part must be no more than 63 characters";
        if (!QualifiedNameRegex().IsMatch(name)) return QualifiedNameMsg;
        return null;
    }

    public static string? LabelValue(string value)
    {
        if (value.Length > 63) return "must be no more than 63 characters";
        if (!LabelValueRegex().IsMatch(value)) return LabelValueMsg;
        return null;
    }

    /// <summary>How a resource validates metadata.name.</summary>
    public enum NameRule { Subdomain, Label, Dns1035, Any }

    /// <summary>ValidateObjectMeta: name/generateName, labels, annotations, ownerReferences, finalizers.</summary>
    public static List<FieldError> ValidateObjectMeta(JsonObject obj, NameRule rule, bool namespaced)
    {
        var errs = new List<FieldError>();
        var meta = obj["metadata"] as JsonObject ?? new JsonObject();
        var name = JsonNodes.GetString(meta["name"]) ?? "";
        var generateName = JsonNodes.GetString(meta["generateName"]) ?? "";
        if (name.Length == 0 && generateName.Length == 0)
        {
            errs.Add(FieldError.Required("metadata.name", "name or generateName is required"));
        }
        else if (name.Length > 0 && rule != NameRule.Any)
        {
            var nameErrs = rule switch
            {
                NameRule.Label => Dns1123Label(name),
                NameRule.Dns1035 => Dns1035Label(name),
                _ => Dns1123Subdomain(name),
            };
            foreach (var msg in nameErrs)
            {
                errs.Add(FieldError.Invalid("metadata.name", JsonValue.Create(name), msg));
            }
        }
        if (namespaced)
        {
            var ns = JsonNodes.GetString(meta["namespace"]) ?? "";
            if (ns.Length == 0)
            {
                errs.Add(FieldError.Required("metadata.namespace", ""));
            }
        }
        if (meta["labels"] is JsonObject labels)
        {
            foreach (var (key, value) in labels)
            {
                var keyErr = QualifiedName(key);
                if (keyErr is not null)
                {
                    errs.Add(FieldError.Invalid("metadata.labels", JsonValue.Create(key), keyErr));
                }
                var text = JsonNodes.GetString(value);
                if (text is null)
                {
                    continue;
                }
                var valueErr = LabelValue(text);
                if (valueErr is not null)
                {
                    errs.Add(FieldError.Invalid("metadata.labels", JsonValue.Create(text), valueErr));
                }
            }
        }
        if (meta["annotations"] is JsonObject annotations)
        {
            long total = 0;
            foreach (var (key, value) in annotations)
            {
                var keyErr = QualifiedName(key.ToLowerInvariant());
                if (keyErr is not null)
                {
                    errs.Add(FieldError.Invalid("metadata.annotations", JsonValue.Create(key), keyErr));
                }
                total += key.Length + (JsonNodes.GetString(value)?.Length ?? 0);
            }
            if (total > 256 * 1024)
            {
                errs.Add(FieldError.TooLong("metadata.annotations", 256 * 1024));
            }
        }
        var index = 0;
        foreach (var owner in ObjectMeta.OwnerReferences(obj))
        {
            var path = $"metadata.ownerReferences[{index}]";
            if (string.IsNullOrEmpty(JsonNodes.GetString(owner["apiVersion"])))
                errs.Add(FieldError.Invalid(path + ".apiVersion", owner["apiVersion"]?.DeepClone() ?? JsonValue.Create(""), "version must not be empty"));
            if (string.IsNullOrEmpty(JsonNodes.GetString(owner["kind"])))
                errs.Add(FieldError.Invalid(path + ".kind", JsonValue.Create(""), "kind must not be empty"));
            if (string.IsNullOrEmpty(JsonNodes.GetString(owner["name"])))
                errs.Add(FieldError.Invalid(path + ".name", JsonValue.Create(""), "name must not be empty"));
            if (string.IsNullOrEmpty(JsonNodes.GetString(owner["uid"])))
                errs.Add(FieldError.Invalid(path + ".uid", JsonValue.Create(""), "uid must not be empty"));
            index++;
        }
        var controllers = ObjectMeta.OwnerReferences(obj).Count(o => JsonNodes.GetBool(o["controller"]) == true);
        if (controllers > 1)
        {
            errs.Add(FieldError.InvalidRaw("metadata.ownerReferences", "[]", "Only one reference can have Controller set to true"));
        }
        return errs;
    }
}
