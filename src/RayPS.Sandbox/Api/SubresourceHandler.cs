using System.Text.Json.Nodes;
using RayPS.Sandbox.Http;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Resources;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.Api;

/// <summary>
/// Subresources: status, scale, namespaces/finalize, pods/binding and pods/eviction here; pod logs,
/// port-forward and proxies in <see cref="PodTraffic"/>.
/// </summary>
internal sealed class SubresourceHandler(ObjectStore store, PodTraffic traffic)
{
    public async Task HandleAsync(HttpRequest request, HttpResponse response, RequestInfo info, ResourceType type, Gvr gvr, string? ns)
    {
        var declared = type.HasSubresource(info.Subresource);
        if (!declared)
        {
            if (type.IsCustom)
            {
                // The custom resource handler reports unknown subresources as the object not being found.
                throw ApiErrors.NotFound(type.Resource, type.Group, info.Name);
            }
            await ApiResponses.WriteNotFoundPageAsync(response).ConfigureAwait(false);
            return;
        }
        switch (info.Subresource)
        {
            case "status" or "finalize":
                await StatusAsync(request, response, info, type, gvr, ns).ConfigureAwait(false);
                return;
            case "scale":
                await ScaleAsync(request, response, info, type, gvr, ns).ConfigureAwait(false);
                return;
            case "binding" when info.Verb == "create":
                await BindAsync(request, response, ns!, info.Name).ConfigureAwait(false);
                return;
            case "eviction" when info.Verb == "create":
                store.Delete(gvr, ns, info.Name, new DeleteOptions());
                await ApiResponses.WriteJsonAsync(response, 201, new JsonObject
                {
                    ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = "Success", ["code"] = 201,
                }).ConfigureAwait(false);
                return;
            case "log" when type.Resource == "pods":
                await traffic.LogAsync(request, response, ns!, info.Name).ConfigureAwait(false);
                return;
            case "portforward" when type.Resource == "pods":
                await traffic.PortForwardAsync(request, response, ns!, info.Name).ConfigureAwait(false);
                return;
            case "proxy" when type.Resource is "pods" or "services":
                await traffic.ProxyAsync(request, response, info, ns!).ConfigureAwait(false);
                return;
            case "exec" or "attach" when type.Resource == "pods":
                var pod = store.Get(gvr, ns, info.Name);
                if (string.IsNullOrEmpty(JsonNodes.StringAt(pod, "spec", "nodeName")))
                {
                    throw ApiErrors.BadRequest($"pod {info.Name} does not have a host assigned");
                }
                throw ApiErrors.ServiceUnavailable($"{info.Subresource} is not available in the RayPS sandbox");
            default:
                throw ApiErrors.MethodNotAllowed();
        }
    }

    private async Task StatusAsync(HttpRequest request, HttpResponse response, RequestInfo info, ResourceType type, Gvr gvr, string? ns)
    {
        var subresource = info.Subresource;
        switch (info.Verb)
        {
            case "get" when subresource == "status":
                await ApiResponses.WriteJsonAsync(response, 200, store.Get(gvr, ns, info.Name)).ConfigureAwait(false);
                return;
            case "update":
                {
                    var options = RequestOptions.Write(request, new WriteOptions(), "UpdateOptions");
                    var body = RequestOptions.Body(request, options);
                    if (subresource == "finalize")
                    {
                        // finalize only changes spec.finalizers of a namespace.
                        var current = store.Get(gvr, ns, info.Name);
                        current["spec"] = body["spec"]?.DeepClone() ?? new JsonObject();
                        ObjectMeta.Meta(current)["resourceVersion"] = ObjectMeta.ResourceVersion(body) is { Length: > 0 } rv ? rv : ObjectMeta.ResourceVersion(current);
                        body = current;
                    }
                    var result = store.Update(gvr, ns, info.Name, body, options, subresource == "status" ? "status" : null);
                    await ApiResponses.WriteJsonAsync(response, 200, result.Object, options.Warnings).ConfigureAwait(false);
                    return;
                }
            case "patch" when subresource == "status":
                {
                    var patchType = RequestOptions.PatchTypeOf(request, type);
                    var options = RequestOptions.Write(request, new PatchOptions(), "PatchOptions", patchType);
                    var result = store.Patch(gvr, ns, info.Name, patchType, request.Body, options, "status");
                    await ApiResponses.WriteJsonAsync(response, 200, result.Object, options.Warnings).ConfigureAwait(false);
                    return;
                }
            default:
                throw ApiErrors.MethodNotAllowed();
        }
    }

    private async Task ScaleAsync(HttpRequest request, HttpResponse response, RequestInfo info, ResourceType type, Gvr gvr, string? ns)
    {
        switch (info.Verb)
        {
            case "get":
                await ApiResponses.WriteJsonAsync(response, 200, ScaleView.Of(type, store.Get(gvr, ns, info.Name))).ConfigureAwait(false);
                return;
            case "update" or "patch":
                {
                    PatchType? patchType = info.Verb == "patch" ? RequestOptions.PatchTypeOf(request, type) : null;
                    var options = info.Verb == "patch"
                        ? RequestOptions.Write(request, new PatchOptions(), "PatchOptions", patchType)
                        : RequestOptions.Write(request, new PatchOptions(), "UpdateOptions");
                    var current = store.Get(gvr, ns, info.Name);
                    var scale = ScaleView.Of(type, current);
                    JsonObject desired;
                    if (info.Verb == "update")
                    {
                        desired = RequestOptions.Body(request, options);
                        var bodyRv = ObjectMeta.ResourceVersion(desired);
                        if (bodyRv.Length > 0 && bodyRv != ObjectMeta.ResourceVersion(current))
                        {
                            throw ApiErrors.Conflict(type.Resource, type.Group, info.Name, ApiErrors.ModifiedConflict);
                        }
                    }
                    else
                    {
                        desired = ScaleView.Patch(scale, patchType!.Value, request.Body);
                    }
                    var replicas = JsonNodes.At(desired, "spec", "replicas");
                    if (JsonNodes.GetInteger(replicas) is not { } count || count < 0)
                    {
                        throw ApiErrors.Invalid("Scale", "autoscaling", info.Name,
                            [FieldError.Invalid("spec.replicas", replicas?.DeepClone(), "must be greater than or equal to 0")]);
                    }
                    var updated = ScaleView.WithReplicas(type, current, count);
                    var result = store.Update(gvr, ns, info.Name, updated, options, "scale");
                    await ApiResponses.WriteJsonAsync(response, 200, ScaleView.Of(type, result.Object), options.Warnings).ConfigureAwait(false);
                    return;
                }
            default:
                throw ApiErrors.MethodNotAllowed();
        }
    }

    /// <summary>POST pods/NAME/binding or bindings (the pod named by the Binding's metadata.name).</summary>
    public async Task BindAsync(HttpRequest request, HttpResponse response, string ns, string? name)
    {
        var options = RequestOptions.Write(request, new WriteOptions(), "CreateOptions");
        var binding = RequestOptions.Body(request, options);
        name ??= ObjectMeta.Name(binding);
        var node = JsonNodes.StringAt(binding, "target", "name") ?? "";
        if (node.Length == 0)
        {
            throw ApiErrors.Invalid("Binding", "", name, [FieldError.Required("target.name")]);
        }
        PodBinding.Bind(store, ns, name, node, options.FieldManager ?? ObjectStore.DefaultManager);
        await ApiResponses.WriteJsonAsync(response, 201, new JsonObject
        {
            ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = "Success", ["code"] = 201,
        }).ConfigureAwait(false);
    }
}
