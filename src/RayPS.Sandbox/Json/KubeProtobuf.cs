using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace RayPS.Sandbox.Json;

/// <summary>
/// Decodes the Kubernetes protobuf envelope (<c>k8s\0</c> + runtime.Unknown) for the kinds kubectl sends as
/// protobuf from its typed clients (<c>create deployment|service|namespace|secret|configmap|serviceaccount</c>,
/// <c>auth</c>): Deployment, Service, Namespace, ConfigMap, Secret, ServiceAccount, the self-subject reviews and the RBAC kinds.
/// Field numbers follow k8s.io/api's generated.proto. Go's encoder writes every non-pointer field, so zero values of
/// those are dropped (what its JSON encoder would omit); fields it writes only when set (<see cref="Field.Pointer"/>)
/// are kept as sent. Other kinds are reported as unsupported; fields the tables do not list (status, which a create ignores, and
/// fields kubectl's generators never set) are skipped.
/// </summary>
public static class KubeProtobuf
{
    public const string MediaType = "application/vnd.kubernetes.protobuf";

    private enum Kind { String, Bytes, Bool, Int, Time, Message, MapString, MapBytes, MapQuantity, RepeatedString, RepeatedMessage, IntOrString, Skip }

    private sealed record Field(string Name, Kind Kind, Dictionary<int, Field>? Message = null, bool Pointer = false);

    private static Field Ptr(string name, Kind kind, Dictionary<int, Field>? message = null) => new(name, kind, message, Pointer: true);

    private static readonly Dictionary<int, Field> OwnerReference = new()
    {
        [1] = new("kind", Kind.String), [3] = new("name", Kind.String), [4] = new("uid", Kind.String), [5] = new("apiVersion", Kind.String),
        [6] = Ptr("controller", Kind.Bool), [7] = Ptr("blockOwnerDeletion", Kind.Bool),
    };

    private static readonly Dictionary<int, Field> ObjectMetaFields = new()
    {
        [1] = new("name", Kind.String), [2] = new("generateName", Kind.String), [3] = new("namespace", Kind.String), [4] = new("selfLink", Kind.String),
        [5] = new("uid", Kind.String), [6] = new("resourceVersion", Kind.String), [7] = new("generation", Kind.Int), [8] = new("creationTimestamp", Kind.Time),
        [9] = new("deletionTimestamp", Kind.Time), [10] = Ptr("deletionGracePeriodSeconds", Kind.Int), [11] = new("labels", Kind.MapString),
        [12] = new("annotations", Kind.MapString), [13] = new("ownerReferences", Kind.RepeatedMessage, OwnerReference),
        [14] = new("finalizers", Kind.RepeatedString), [17] = new("managedFields", Kind.Skip),
    };

    private static readonly Field Metadata = new("metadata", Kind.Message, ObjectMetaFields);

    private static readonly Dictionary<int, Field> LabelSelector = new()
    {
        [1] = new("matchLabels", Kind.MapString),
        [2] = new("matchExpressions", Kind.RepeatedMessage, new()
        {
            [1] = new("key", Kind.String), [2] = new("operator", Kind.String), [3] = new("values", Kind.RepeatedString),
        }),
    };

    private static readonly Dictionary<int, Field> Container = new()
    {
        [1] = new("name", Kind.String), [2] = new("image", Kind.String), [3] = new("command", Kind.RepeatedString), [4] = new("args", Kind.RepeatedString),
        [5] = new("workingDir", Kind.String),
        [6] = new("ports", Kind.RepeatedMessage, new()
        {
            [1] = new("name", Kind.String), [2] = new("hostPort", Kind.Int), [3] = new("containerPort", Kind.Int), [4] = new("protocol", Kind.String),
            [5] = new("hostIP", Kind.String),
        }),
        [7] = new("env", Kind.RepeatedMessage, new() { [1] = new("name", Kind.String), [2] = new("value", Kind.String) }),
        // ResourceRequirements is a struct, so Go's JSON always shows it ({} when empty).
        [8] = Ptr("resources", Kind.Message, new() { [1] = new("limits", Kind.MapQuantity), [2] = new("requests", Kind.MapQuantity) }),
        [13] = new("terminationMessagePath", Kind.String), [14] = new("imagePullPolicy", Kind.String),
        [16] = new("stdin", Kind.Bool), [17] = new("stdinOnce", Kind.Bool), [18] = new("tty", Kind.Bool),
        [20] = new("terminationMessagePolicy", Kind.String),
    };

    private static readonly Dictionary<int, Field> PodTemplateSpec = new()
    {
        [1] = Metadata,
        [2] = new("spec", Kind.Message, new()
        {
            [2] = new("containers", Kind.RepeatedMessage, Container), [3] = new("restartPolicy", Kind.String),
            [4] = Ptr("terminationGracePeriodSeconds", Kind.Int), [5] = Ptr("activeDeadlineSeconds", Kind.Int), [6] = new("dnsPolicy", Kind.String),
            [7] = new("nodeSelector", Kind.MapString), [8] = new("serviceAccountName", Kind.String), [9] = new("serviceAccount", Kind.String),
            [10] = new("nodeName", Kind.String), [16] = new("hostname", Kind.String), [17] = new("subdomain", Kind.String),
            [19] = new("schedulerName", Kind.String), [20] = new("initContainers", Kind.RepeatedMessage, Container),
            [21] = Ptr("automountServiceAccountToken", Kind.Bool), [24] = new("priorityClassName", Kind.String), [30] = Ptr("enableServiceLinks", Kind.Bool),
        }),
    };

    private static readonly Dictionary<int, Field> PolicyRule = new()
    {
        [1] = new("verbs", Kind.RepeatedString), [2] = new("apiGroups", Kind.RepeatedString), [3] = new("resources", Kind.RepeatedString),
        [4] = new("resourceNames", Kind.RepeatedString), [5] = new("nonResourceURLs", Kind.RepeatedString),
    };

    private static readonly Dictionary<int, Field> RoleFields = new()
    {
        [1] = Metadata, [2] = new("rules", Kind.RepeatedMessage, PolicyRule),
        [3] = Ptr("aggregationRule", Kind.Message, new() { [1] = new("clusterRoleSelectors", Kind.RepeatedMessage, LabelSelector) }),
    };

    private static readonly Dictionary<int, Field> BindingFields = new()
    {
        [1] = Metadata,
        [2] = new("subjects", Kind.RepeatedMessage, new()
        {
            [1] = new("kind", Kind.String), [2] = new("apiGroup", Kind.String), [3] = new("name", Kind.String), [4] = new("namespace", Kind.String),
        }),
        [3] = new("roleRef", Kind.Message, new() { [1] = new("apiGroup", Kind.String), [2] = new("kind", Kind.String), [3] = new("name", Kind.String) }),
    };

    private static readonly Dictionary<string, Dictionary<int, Field>> Kinds = new(StringComparer.Ordinal)
    {
        ["Role"] = RoleFields,
        ["ClusterRole"] = RoleFields,
        ["RoleBinding"] = BindingFields,
        ["ClusterRoleBinding"] = BindingFields,
        ["Namespace"] = new()
        {
            [1] = Metadata,
            [2] = new("spec", Kind.Message, new() { [1] = new("finalizers", Kind.RepeatedString) }),
            [3] = new("status", Kind.Message, new() { [1] = new("phase", Kind.String) }),
        },
        ["ConfigMap"] = new()
        {
            [1] = Metadata, [2] = new("data", Kind.MapString), [3] = new("binaryData", Kind.MapBytes), [4] = Ptr("immutable", Kind.Bool),
        },
        ["Secret"] = new()
        {
            [1] = Metadata, [2] = new("data", Kind.MapBytes), [3] = new("type", Kind.String), [4] = new("stringData", Kind.MapString), [5] = Ptr("immutable", Kind.Bool),
        },
        ["SelfSubjectReview"] = new() { [1] = Metadata },
        ["SelfSubjectAccessReview"] = new()
        {
            [1] = Metadata,
            [2] = new("spec", Kind.Message, new()
            {
                [1] = new("resourceAttributes", Kind.Message, new()
                {
                    [1] = new("namespace", Kind.String), [2] = new("verb", Kind.String), [3] = new("group", Kind.String), [4] = new("version", Kind.String),
                    [5] = new("resource", Kind.String), [6] = new("subresource", Kind.String), [7] = new("name", Kind.String),
                }),
                [2] = new("nonResourceAttributes", Kind.Message, new() { [1] = new("path", Kind.String), [2] = new("verb", Kind.String) }),
            }),
        },
        ["SelfSubjectRulesReview"] = new() { [1] = Metadata, [2] = new("spec", Kind.Message, new() { [1] = new("namespace", Kind.String) }) },
        ["ServiceAccount"] = new()
        {
            [1] = Metadata,
            [2] = new("secrets", Kind.RepeatedMessage, new()
            {
                [1] = new("kind", Kind.String), [2] = new("namespace", Kind.String), [3] = new("name", Kind.String), [4] = new("uid", Kind.String),
                [5] = new("apiVersion", Kind.String), [6] = new("resourceVersion", Kind.String), [7] = new("fieldPath", Kind.String),
            }),
            [3] = new("imagePullSecrets", Kind.RepeatedMessage, new() { [1] = new("name", Kind.String) }),
            [4] = Ptr("automountServiceAccountToken", Kind.Bool),
        },
        ["Deployment"] = new()
        {
            [1] = Metadata,
            [2] = new("spec", Kind.Message, new()
            {
                [1] = Ptr("replicas", Kind.Int), [2] = Ptr("selector", Kind.Message, LabelSelector), [3] = new("template", Kind.Message, PodTemplateSpec),
                [4] = new("strategy", Kind.Message, new()
                {
                    [1] = new("type", Kind.String),
                    [2] = Ptr("rollingUpdate", Kind.Message, new() { [1] = Ptr("maxUnavailable", Kind.IntOrString), [2] = Ptr("maxSurge", Kind.IntOrString) }),
                }),
                [5] = new("minReadySeconds", Kind.Int), [6] = Ptr("revisionHistoryLimit", Kind.Int), [7] = new("paused", Kind.Bool),
                [9] = Ptr("progressDeadlineSeconds", Kind.Int),
            }),
            [3] = new("status", Kind.Skip),
        },
        ["Service"] = new()
        {
            [1] = Metadata,
            [2] = new("spec", Kind.Message, new()
            {
                [1] = new("ports", Kind.RepeatedMessage, new()
                {
                    [1] = new("name", Kind.String), [2] = new("protocol", Kind.String), [3] = new("port", Kind.Int),
                    [4] = new("targetPort", Kind.IntOrString), [5] = new("nodePort", Kind.Int), [6] = Ptr("appProtocol", Kind.String),
                }),
                [2] = new("selector", Kind.MapString), [3] = new("clusterIP", Kind.String), [4] = new("type", Kind.String),
                [5] = new("externalIPs", Kind.RepeatedString), [7] = new("sessionAffinity", Kind.String), [8] = new("loadBalancerIP", Kind.String),
                [9] = new("loadBalancerSourceRanges", Kind.RepeatedString), [10] = new("externalName", Kind.String),
                [11] = new("externalTrafficPolicy", Kind.String), [12] = new("healthCheckNodePort", Kind.Int),
                [13] = new("publishNotReadyAddresses", Kind.Bool), [17] = Ptr("ipFamilyPolicy", Kind.String), [18] = new("clusterIPs", Kind.RepeatedString),
                [19] = new("ipFamilies", Kind.RepeatedString), [20] = Ptr("allocateLoadBalancerNodePorts", Kind.Bool),
                [21] = Ptr("loadBalancerClass", Kind.String), [22] = Ptr("internalTrafficPolicy", Kind.String),
            }),
            [3] = new("status", Kind.Skip),
        },
    };

    /// <summary>Decodes an envelope to a JSON object; throws <see cref="NotSupportedException"/> for kinds it does not know.</summary>
    public static JsonObject Decode(byte[] body)
    {
        if (body.Length < 4 || body[0] != 'k' || body[1] != '8' || body[2] != 's' || body[3] != 0)
        {
            throw new FormatException("provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]");
        }
        var unknown = new Reader(body, 4, body.Length);
        string apiVersion = "", kind = "";
        byte[]? raw = null;
        while (unknown.More)
        {
            var (number, wire) = unknown.Tag();
            if (number == 1 && wire == 2)
            {
                var typeMeta = unknown.Sub();
                while (typeMeta.More)
                {
                    var (n, w) = typeMeta.Tag();
                    if (n == 1) apiVersion = typeMeta.String();
                    else if (n == 2) kind = typeMeta.String();
                    else typeMeta.Skip(w);
                }
            }
            else if (number == 2 && wire == 2)
            {
                raw = unknown.Bytes();
            }
            else
            {
                unknown.Skip(wire);
            }
        }
        if (!Kinds.TryGetValue(kind, out var fields))
        {
            throw new NotSupportedException($"protobuf bodies of kind {kind} are not supported");
        }
        var obj = new JsonObject { ["apiVersion"] = apiVersion, ["kind"] = kind };
        if (raw is not null)
        {
            ReadMessage(new Reader(raw, 0, raw.Length), fields, obj);
        }
        return obj;
    }

    private static void ReadMessage(Reader reader, Dictionary<int, Field> fields, JsonObject target)
    {
        while (reader.More)
        {
            var (number, wire) = reader.Tag();
            if (!fields.TryGetValue(number, out var field) || field.Kind == Kind.Skip)
            {
                reader.Skip(wire);
                continue;
            }
            switch (field.Kind)
            {
                case Kind.String:
                    target[field.Name] = reader.String();
                    break;
                case Kind.Bytes:
                    target[field.Name] = Convert.ToBase64String(reader.Bytes());
                    break;
                case Kind.Bool:
                    target[field.Name] = reader.Varint() != 0;
                    break;
                case Kind.Int:
                    target[field.Name] = (long)reader.Varint();
                    break;
                case Kind.Time:
                    var time = reader.Sub();
                    long seconds = 0;
                    while (time.More)
                    {
                        var (n, w) = time.Tag();
                        if (n == 1) seconds = (long)time.Varint();
                        else time.Skip(w);
                    }
                    if (seconds != 0)
                    {
                        target[field.Name] = DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
                    }
                    break;
                case Kind.Message:
                    var nested = new JsonObject();
                    ReadMessage(reader.Sub(), field.Message!, nested);
                    target[field.Name] = nested;
                    break;
                case Kind.MapString or Kind.MapBytes or Kind.MapQuantity:
                    var map = JsonNodes.EnsureObject(target, field.Name);
                    var entry = reader.Sub();
                    string key = "";
                    JsonNode? value = "";
                    while (entry.More)
                    {
                        var (n, w) = entry.Tag();
                        if (n == 1) key = entry.String();
                        else if (n == 2) value = field.Kind switch
                        {
                            Kind.MapString => entry.String(),
                            Kind.MapBytes => Convert.ToBase64String(entry.Bytes()),
                            _ => ReadQuantity(entry.Sub()),
                        };
                        else entry.Skip(w);
                    }
                    map[key] = value;
                    break;
                case Kind.IntOrString:
                    target[field.Name] = ReadIntOrString(reader.Sub());
                    break;
                case Kind.RepeatedString:
                    JsonNodes.EnsureArray(target, field.Name).Add(reader.String());
                    break;
                case Kind.RepeatedMessage:
                    var item = new JsonObject();
                    ReadMessage(reader.Sub(), field.Message!, item);
                    JsonNodes.EnsureArray(target, field.Name).Add(item);
                    break;
            }
        }
        foreach (var field in fields.Values)
        {
            if (!field.Pointer && target[field.Name] is { } value && IsZero(value))
            {
                target.Remove(field.Name);
            }
        }
    }

    /// <summary>What Go's JSON encoder omits (omitempty) or a create would treat as unset.</summary>
    private static bool IsZero(JsonNode value) => value switch
    {
        JsonObject o => o.Count == 0,
        JsonArray a => a.Count == 0,
        _ => JsonNodes.KindOf(value) switch
        {
            JsonKind.String => JsonNodes.GetString(value)!.Length == 0,
            JsonKind.Boolean => JsonNodes.GetBool(value) == false,
            JsonKind.Integer => JsonNodes.GetInteger(value) == 0,
            _ => false,
        },
    };

    private static string ReadQuantity(Reader reader)
    {
        var text = "";
        while (reader.More)
        {
            var (n, w) = reader.Tag();
            if (n == 1) text = reader.String();
            else reader.Skip(w);
        }
        return text;
    }

    // intstr.IntOrString: type 0 = int (intVal), 1 = string (strVal).
    private static JsonNode ReadIntOrString(Reader reader)
    {
        long type = 0, intValue = 0;
        var text = "";
        while (reader.More)
        {
            var (n, w) = reader.Tag();
            switch (n)
            {
                case 1: type = (long)reader.Varint(); break;
                case 2: intValue = (long)reader.Varint(); break;
                case 3: text = reader.String(); break;
                default: reader.Skip(w); break;
            }
        }
        return type == 1 ? JsonValue.Create(text) : JsonValue.Create(intValue);
    }

    private sealed class Reader(byte[] data, int start, int end)
    {
        private int _pos = start;

        public bool More => _pos < end;

        public ulong Varint()
        {
            ulong result = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (_pos >= end)
                {
                    throw new FormatException("truncated protobuf varint");
                }
                var b = data[_pos++];
                result |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0)
                {
                    return result;
                }
            }
            throw new FormatException("protobuf varint too long");
        }

        public (int Number, int Wire) Tag()
        {
            var tag = Varint();
            return ((int)(tag >> 3), (int)(tag & 7));
        }

        private (int Offset, int Length) Delimited()
        {
            var length = (int)Varint();
            if (length < 0 || _pos + length > end)
            {
                throw new FormatException("truncated protobuf field");
            }
            var offset = _pos;
            _pos += length;
            return (offset, length);
        }

        public byte[] Bytes()
        {
            var (offset, length) = Delimited();
            return data.AsSpan(offset, length).ToArray();
        }

        public string String()
        {
            var (offset, length) = Delimited();
            return Encoding.UTF8.GetString(data, offset, length);
        }

        public Reader Sub()
        {
            var (offset, length) = Delimited();
            return new Reader(data, offset, offset + length);
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case 0: Varint(); break;
                case 1: _pos += 8; break;
                case 2: Delimited(); break;
                case 5: _pos += 4; break;
                default: throw new FormatException("unsupported protobuf wire type " + wire);
            }
        }
    }
}
