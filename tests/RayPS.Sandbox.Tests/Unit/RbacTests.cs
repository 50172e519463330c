namespace RayPS.Sandbox.Tests.Unit;

/// <summary>Roles, ClusterRoles and their bindings: stored, validated, watched, collected, and enforced for every caller but the admin.</summary>
public sealed class RbacTests() : SandboxTest(crd: true)
{
    private const string Rbac = "/apis/rbac.authorization.k8s.io/v1";

    private static string Json(string text) => text;

    private async Task<JsonNode?> CreateAsync(string path, string body)
    {
        var (status, created, _) = await Client.SendAsync(HttpMethod.Post, path, body);
        Assert.True(status == 201, $"POST {path}: {status} {created?.ToJsonString()}");
        return created;
    }

    [Fact]
    public async Task TheViewerGetsWhatARoleBindingGrantsInItsNamespaceOnly()
    {
        var viewer = Sandbox.ViewerToken;
        Assert.Equal(403, (await Client.SendAsync(HttpMethod.Get, "/api/v1/namespaces/default/pods", token: viewer)).Status);

        await CreateAsync(Rbac + "/namespaces/default/roles", Json("""
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"pod-reader","namespace":"default"},
             "rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["get","list","watch"]}]}
            """));
        Assert.Equal(403, (await Client.SendAsync(HttpMethod.Get, "/api/v1/namespaces/default/pods", token: viewer)).Status);
        await CreateAsync(Rbac + "/namespaces/default/rolebindings", Json("""
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"viewer-reads-pods","namespace":"default"},
             "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"pod-reader"},
             "subjects":[{"kind":"User","name":"viewer"}]}
            """));

        Assert.Equal(200, (await Client.SendAsync(HttpMethod.Get, "/api/v1/namespaces/default/pods", token: viewer)).Status);
        var elsewhere = await Client.SendAsync(HttpMethod.Get, "/api/v1/namespaces/kube-system/pods", token: viewer);
        Assert.Equal(403, elsewhere.Status);
        Assert.Equal("pods is forbidden: User \"viewer\" cannot list resource \"pods\" in API group \"\" in the namespace \"kube-system\"",
            JsonNodes.GetString(elsewhere.Body!["message"]));
        Assert.Equal(403, (await Client.SendAsync(HttpMethod.Get, "/api/v1/pods", token: viewer)).Status);
        var create = await Client.SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/pods", Objects.Pod("p").ToJsonString(), token: viewer);
        Assert.Equal(403, create.Status);

        // Taking the binding away takes the right away.
        Assert.Equal(200, (await Client.SendAsync(HttpMethod.Delete, Rbac + "/namespaces/default/rolebindings/viewer-reads-pods")).Status);
        Assert.Equal(403, (await Client.SendAsync(HttpMethod.Get, "/api/v1/namespaces/default/pods", token: viewer)).Status);
    }

    [Fact]
    public async Task AClusterRoleBindingGrantsEverywhereRuleBySubresourceAndName()
    {
        Sandbox.Store.Create(Gvr.RayClusters, Manifests.RayCluster("mine"));
        Sandbox.Store.Create(Gvr.RayClusters, Manifests.RayCluster("theirs"));
        await CreateAsync(Rbac + "/clusterroles", Json("""
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"rayps:status-of-mine"},
             "rules":[{"apiGroups":["ray.io"],"resources":["rayclusters/status"],"resourceNames":["mine"],"verbs":["get"]}]}
            """));
        await CreateAsync(Rbac + "/clusterrolebindings", Json("""
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"everyone-sees-mine"},
             "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"rayps:status-of-mine"},
             "subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"Group","name":"system:authenticated"}]}
            """));
        var viewer = Sandbox.ViewerToken;
        Assert.Equal(200, (await Client.SendAsync(HttpMethod.Get, "/apis/ray.io/v1/namespaces/default/rayclusters/mine/status", token: viewer)).Status);
        Assert.Equal(403, (await Client.SendAsync(HttpMethod.Get, "/apis/ray.io/v1/namespaces/default/rayclusters/theirs/status", token: viewer)).Status);
        Assert.Equal(403, (await Client.SendAsync(HttpMethod.Get, "/apis/ray.io/v1/namespaces/default/rayclusters/mine", token: viewer)).Status);

        var review = await Client.SendAsync(HttpMethod.Post, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", Json("""
            {"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview",
             "spec":{"resourceAttributes":{"namespace":"default","verb":"get","group":"ray.io","resource":"rayclusters","subresource":"status","name":"mine"}}}
            """), token: viewer);
        Assert.Equal(201, review.Status);
        Assert.True(JsonNodes.GetBool(JsonNodes.At(review.Body, "status", "allowed")));
        Assert.Equal("RBAC: allowed by ClusterRoleBinding \"everyone-sees-mine\" of ClusterRole \"rayps:status-of-mine\" to Group \"system:authenticated\"",
            JsonNodes.StringAt(review.Body, "status", "reason"));
    }

    [Fact]
    public async Task RulesReviewListsTheBoundRulesAfterTheDefaultPolicy()
    {
        await CreateAsync(Rbac + "/clusterroles", Json("""
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"raycluster-editor"},
             "rules":[{"apiGroups":["ray.io"],"resources":["rayclusters"],"verbs":["get","list","watch","create","patch"]}]}
            """));
        await CreateAsync(Rbac + "/namespaces/default/rolebindings", Json("""
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"viewer-edits","namespace":"default"},
             "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"raycluster-editor"},
             "subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"viewer"}]}
            """));
        var (status, body, _) = await Client.SendAsync(HttpMethod.Post, "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
            """{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectRulesReview","spec":{"namespace":"default"}}""", token: Sandbox.ViewerToken);
        Assert.Equal(201, status);
        var rules = ((JsonArray)JsonNodes.At(body, "status", "resourceRules")!).Select(r => r!.ToJsonString()).ToList();
        Assert.Equal(
        [
            """{"verbs":["create"],"apiGroups":["authorization.k8s.io"],"resources":["selfsubjectaccessreviews","selfsubjectrulesreviews"]}""",
            """{"verbs":["create"],"apiGroups":["authentication.k8s.io"],"resources":["selfsubjectreviews"]}""",
            """{"verbs":["get","list","watch","create","patch"],"apiGroups":["ray.io"],"resources":["rayclusters"]}""",
        ], rules);
        Assert.Equal(["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/"],
            ((JsonArray)JsonNodes.At(body, "status", "nonResourceRules")![0]!["nonResourceURLs"]!).Select(u => JsonNodes.GetString(u)));
        Assert.False(JsonNodes.GetBool(JsonNodes.At(body, "status", "incomplete")));
    }

    [Fact]
    public async Task NobodyButTheAdminGrantsMoreThanTheyHold()
    {
        // The viewer may manage Roles and RoleBindings in default, and read pods there, nothing more.
        await CreateAsync(Rbac + "/namespaces/default/roles", """
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"rbac-manager","namespace":"default"},
             "rules":[{"apiGroups":["rbac.authorization.k8s.io"],"resources":["roles","rolebindings"],"verbs":["create","get","list"]},
                      {"apiGroups":[""],"resources":["pods"],"verbs":["get","list"]}]}
            """);
        await CreateAsync(Rbac + "/namespaces/default/rolebindings", """
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"viewer-manages-rbac","namespace":"default"},
             "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"rbac-manager"},"subjects":[{"kind":"User","name":"viewer"}]}
            """);
        var viewer = Sandbox.ViewerToken;
        var within = await Client.SendAsync(HttpMethod.Post, Rbac + "/namespaces/default/roles", """
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"pod-reader"},"rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["get"]}]}
            """, token: viewer);
        Assert.Equal(201, within.Status);

        var beyond = await Client.SendAsync(HttpMethod.Post, Rbac + "/namespaces/default/roles", """
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"pod-deleter"},"rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["get","delete","deletecollection"]}]}
            """, token: viewer);
        Assert.Equal(403, beyond.Status);
        Assert.Equal("roles.rbac.authorization.k8s.io \"pod-deleter\" is forbidden: user \"viewer\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC "
            + "permissions not currently held:\n{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"delete\" \"deletecollection\"]}",
            JsonNodes.GetString(beyond.Body!["message"]));
        Assert.Null(Sandbox.Store.TryGet(Gvr.Roles, "default", "pod-deleter"));

        var toAdmin = await Client.SendAsync(HttpMethod.Post, Rbac + "/namespaces/default/rolebindings", """
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"viewer-is-admin"},
             "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"},"subjects":[{"kind":"User","name":"viewer"}]}
            """, token: viewer);
        Assert.Equal(403, toAdmin.Status);
        var toReader = await Client.SendAsync(HttpMethod.Post, Rbac + "/namespaces/default/rolebindings", """
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"group-reads"},
             "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"pod-reader"},"subjects":[{"kind":"Group","name":"readers"}]}
            """, token: viewer);
        Assert.Equal(201, toReader.Status);
    }

    [Fact]
    public async Task RolesAndBindingsAreValidatedLikeTheApiserver()
    {
        var missingRef = await Client.SendAsync(HttpMethod.Post, Rbac + "/namespaces/default/rolebindings",
            """{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"b"},"subjects":[{"kind":"Robot","name":"r"}]}""");
        Assert.Equal(422, missingRef.Status);
        var causes = ((JsonArray)JsonNodes.At(missingRef.Body, "details", "causes")!).Select(c => JsonNodes.GetString(c!["field"])).ToList();
        Assert.Contains("roleRef.apiGroup", causes);
        Assert.Contains("roleRef.kind", causes);
        Assert.Contains("roleRef.name", causes);
        Assert.Contains("subjects[0].kind", causes);

        var namespacedUrls = await Client.SendAsync(HttpMethod.Post, Rbac + "/namespaces/default/roles",
            """{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"r"},"rules":[{"nonResourceURLs":["/healthz"],"verbs":["get"]}]}""");
        Assert.Equal(422, namespacedUrls.Status);
        Assert.Contains("namespaced rules cannot apply to non-resource URLs", JsonNodes.GetString(namespacedUrls.Body!["message"]));

        await CreateAsync(Rbac + "/namespaces/default/rolebindings", """
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"fixed"},
             "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},"subjects":[{"kind":"Group","name":"g"}]}
            """);
        var changed = await Client.PatchAsync(Rbac + "/namespaces/default/rolebindings/fixed", "application/merge-patch+json", """{"roleRef":{"name":"edit"}}""");
        Assert.Equal(422, changed.Status);
        Assert.Contains("cannot change roleRef", JsonNodes.GetString(changed.Body!["message"]));
        var (_, fixedBinding, _) = await Client.GetAsync(Rbac + "/namespaces/default/rolebindings/fixed");
        Assert.Equal("rbac.authorization.k8s.io", JsonNodes.GetString(fixedBinding!["subjects"]![0]!["apiGroup"]));
    }

    [Fact]
    public async Task RbacObjectsAreListedWatchedAndCollectedWithTheirOwner()
    {
        var (status, bootstrap, _) = await Client.GetAsync(Rbac + "/clusterroles/cluster-admin");
        Assert.Equal(200, status);
        Assert.Equal("rbac-defaults", JsonNodes.StringAt(bootstrap, "metadata", "labels", "kubernetes.io/bootstrapping"));
        var (_, discovery, _) = await Client.GetAsync(Rbac);
        Assert.Equal(["clusterrolebindings", "clusterroles", "rolebindings", "roles"],
            ((JsonArray)discovery!["resources"]!).Select(r => JsonNodes.GetString(r!["name"])).Order(StringComparer.Ordinal));

        var owner = Sandbox.Store.Create(Gvr.ConfigMaps, Objects.ConfigMap("owner"));
        var from = Sandbox.Store.ResourceVersion.ToString();
        await CreateAsync(Rbac + "/namespaces/default/roles", $$"""
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"owned","namespace":"default",
              "ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","name":"owner","uid":"{{ObjectMeta.Uid(owner)}}"}]},
             "rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["get"]}]}
            """);
        Assert.Single(Sandbox.Store.ListItems(Gvr.Roles, "default"));
        Sandbox.Store.Delete(Gvr.ConfigMaps, "default", "owner");
        await Sandbox.WaitForIdleAsync();
        Assert.Empty(Sandbox.Store.ListItems(Gvr.Roles, "default"));

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var seen = new List<string>();
        await foreach (var e in Sandbox.Store.WatchAsync(Gvr.Roles, "default", new WatchOptions { ResourceVersion = from }).WithCancellation(cts.Token))
        {
            seen.Add(e.Type);
            if (e.Type == "DELETED")
            {
                break;
            }
        }
        Assert.Equal("ADDED", seen[0]);
        Assert.Equal("DELETED", seen[^1]);
    }

    [Fact]
    public async Task APodNamingAMissingServiceAccountIsRefused()
    {
        var pod = Objects.Pod("", labels: null);
        var meta = (JsonObject)pod["metadata"]!;
        meta.Remove("name");
        meta["generateName"] = "worker-";
        pod["spec"]!["serviceAccountName"] = "autoscaler";
        var refused = await Client.SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/pods", pod.ToJsonString());
        Assert.Equal(403, refused.Status);
        Assert.Equal("pods \"worker-\" is forbidden: error looking up service account default/autoscaler: serviceaccount \"autoscaler\" not found",
            JsonNodes.GetString(refused.Body!["message"]));
        Assert.Empty(Sandbox.Store.ListItems(Gvr.Pods, "default"));

        Sandbox.Store.Create(Gvr.ServiceAccounts, new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ServiceAccount",
            ["metadata"] = new JsonObject { ["name"] = "autoscaler", ["namespace"] = "default" },
        });
        Assert.Equal(201, (await Client.SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/pods", pod.ToJsonString())).Status);
    }
}
