namespace RayPS.Sandbox.Tests.Infrastructure;

/// <summary>Small sandboxes for focused tests.</summary>
public static class Sandboxes
{
    /// <summary>No CRD and only the core controllers unless asked for.</summary>
    public static Task<KubeSandbox> StartAsync(bool crd = false, SandboxControllers controllers = SandboxControllers.None) =>
        KubeSandbox.StartAsync(new SandboxOptions { InstallKubeRayCrd = crd, Controllers = controllers });
}

/// <summary>Builders for plain objects used across tests.</summary>
public static class Objects
{
    public static JsonObject ConfigMap(string name, string ns = "default", Dictionary<string, string>? labels = null, JsonObject? ownerReference = null)
    {
        var meta = new JsonObject { ["name"] = name, ["namespace"] = ns };
        if (labels is not null)
        {
            meta["labels"] = new JsonObject(labels.Select(p => new KeyValuePair<string, JsonNode?>(p.Key, p.Value)));
        }
        if (ownerReference is not null)
        {
            meta["ownerReferences"] = new JsonArray(ownerReference);
        }
        return new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = meta, ["data"] = new JsonObject { ["k"] = "v" } };
    }

    public static JsonObject OwnerRef(JsonObject owner, bool blockOwnerDeletion = false) => new()
    {
        ["apiVersion"] = (string?)owner["apiVersion"],
        ["kind"] = (string?)owner["kind"],
        ["name"] = (string?)owner["metadata"]!["name"],
        ["uid"] = (string?)owner["metadata"]!["uid"],
        ["blockOwnerDeletion"] = blockOwnerDeletion,
    };

    public static JsonObject Pod(string name, string ns = "default", Dictionary<string, string>? labels = null)
    {
        var meta = new JsonObject { ["name"] = name, ["namespace"] = ns };
        if (labels is not null)
        {
            meta["labels"] = new JsonObject(labels.Select(p => new KeyValuePair<string, JsonNode?>(p.Key, p.Value)));
        }
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = meta,
            ["spec"] = new JsonObject
            {
                ["containers"] = new JsonArray(new JsonObject
                {
                    ["name"] = "main",
                    ["image"] = "busybox",
                    ["ports"] = new JsonArray(new JsonObject { ["name"] = "http", ["containerPort"] = 8265L }),
                }),
            },
        };
    }
}
