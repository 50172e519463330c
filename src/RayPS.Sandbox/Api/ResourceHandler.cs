using System.Text.Json.Nodes;
using RayPS.Sandbox.Faults;
using RayPS.Sandbox.Http;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Resources;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.Api;

/// <summary>The REST verbs on resources: get, list, watch, create, update, patch, delete, deletecollection.</summary>
internal sealed class ResourceHandler(ObjectStore store, SubresourceHandler subresources, WatchHandler watches)
{
    /// <summary>RBAC's escalation check for writes of Roles and bindings by anyone but system:masters.</summary>
    private Func<ResourceType, JsonObject, ApiException?>? Admission(UserInfo user) =>
        user.IsMaster ? null : (type, obj) => type.Group == "rbac.authorization.k8s.io" ? new Rbac(store).ConfirmNoEscalation(user, type, obj) : null;

    public async Task HandleAsync(HttpRequest request, HttpResponse response, RequestInfo info, UserInfo user, FaultRule? watchDrop)
    {
        var type = store.Registry.Find(info.Group, info.Version, info.Resource);
        if (type is null || (!type.Namespaced && info.Namespace.Length > 0 && info.Resource != "namespaces"))
        {
            await ApiResponses.WriteNotFoundPageAsync(response).ConfigureAwait(false);
            return;
        }
        var gvr = new Gvr(info.Group, info.Version, info.Resource);
        var ns = type.Namespaced && info.Namespace.Length > 0 ? info.Namespace : null;
        if (type.Namespaced && ns is null && info.Verb is not ("list" or "watch"))
        {
            throw ApiErrors.MethodNotAllowed();
        }
        if (type.Verbs.SequenceEqual(["create"]))
        {
            if (type.Resource == "bindings" && info.Verb == "create")
            {
                await subresources.BindAsync(request, response, ns!, null).ConfigureAwait(false);
            }
            else
            {
                await Reviews.HandleAsync(store, request, response, info, user, type).ConfigureAwait(false);
            }
            return;
        }
        if (info.Subresource.Length > 0)
        {
            await subresources.HandleAsync(request, response, info, type, gvr, ns).ConfigureAwait(false);
            return;
        }
        var table = TableConverter.Wanted(request.Headers["Accept"]);
        switch (info.Verb)
        {
            case "get":
                await RequestOptions.WaitForRequestedResourceVersionAsync(store, request).ConfigureAwait(false);
                RequireReachedResourceVersion(request);
                if (!table && info.Version == type.StorageVersion)
                {
                    await ApiResponses.WriteJsonAsync(response, 200, store.GetStored(type, ns, info.Name).Json).ConfigureAwait(false);
                    break;
                }
                var obj = store.Get(gvr, ns, info.Name);
                await WriteObjectAsync(response, 200, type, info.Version, obj, table, request).ConfigureAwait(false);
                break;
            case "list":
                var listOptions = RequestOptions.List(request);
                await RequestOptions.WaitForRequestedResourceVersionAsync(store, request).ConfigureAwait(false);
                var page = store.ListStored(gvr, ns, listOptions);
                if (table)
                {
                    var list = page.ToJson();
                    var items = ((JsonArray)list["items"]!).OfType<JsonObject>();
                    var rv = JsonNodes.StringAt(list, "metadata", "resourceVersion") ?? "";
                    var converted = TableConverter.Convert(type, info.Version, items, rv, request.QueryValue("includeObject"));
                    if (JsonNodes.StringAt(list, "metadata", "continue") is { } next)
                    {
                        ((JsonObject)converted["metadata"]!)["continue"] = next;
                    }
                    await ApiResponses.WriteJsonAsync(response, 200, converted, contentType: TableConverter.MediaType).ConfigureAwait(false);
                }
                else if (page.ToUtf8() is { } json)
                {
                    await ApiResponses.WriteJsonAsync(response, 200, json).ConfigureAwait(false);
                }
                else
                {
                    await ApiResponses.WriteJsonAsync(response, 200, page.ToJson()).ConfigureAwait(false);
                }
                break;
            case "watch":
                await watches.HandleAsync(request, response, type, gvr, ns, watchDrop).ConfigureAwait(false);
                break;
            case "create":
                {
                    var options = RequestOptions.Write(request, new WriteOptions(), "CreateOptions");
                    options.Admission = Admission(user);
                    var body = RequestOptions.Body(request, options);
                    var result = store.Create(gvr, ns, body, options);
                    await WriteResultAsync(response, 201, type, info.Version, result, options.Warnings).ConfigureAwait(false);
                    break;
                }
            case "update":
                {
                    var options = RequestOptions.Write(request, new WriteOptions(), "UpdateOptions");
                    options.Admission = Admission(user);
                    var body = RequestOptions.Body(request, options);
                    var result = store.Update(gvr, ns, info.Name, body, options, null);
                    await WriteResultAsync(response, result.Created ? 201 : 200, type, info.Version, result, options.Warnings).ConfigureAwait(false);
                    break;
                }
            case "patch":
                {
                    var patchType = RequestOptions.PatchTypeOf(request, type);
                    var options = RequestOptions.Write(request, new PatchOptions(), "PatchOptions", patchType);
                    options.Admission = Admission(user);
                    var result = store.Patch(gvr, ns, info.Name, patchType, request.Body, options, null);
                    await WriteResultAsync(response, result.Created ? 201 : 200, type, info.Version, result, options.Warnings).ConfigureAwait(false);
                    break;
                }
            case "delete":
                {
                    var deleted = store.DeleteCore(type, info.Version, ns, info.Name, RequestOptions.Delete(request));
                    await ApiResponses.WriteJsonAsync(response, 200, deleted).ConfigureAwait(false);
                    break;
                }
            case "deletecollection":
                {
                    var deleted = store.DeleteCollection(gvr, ns, RequestOptions.List(request), RequestOptions.Delete(request));
                    await ApiResponses.WriteJsonAsync(response, 200, deleted).ConfigureAwait(false);
                    break;
                }
            default:
                throw ApiErrors.MethodNotAllowed();
        }
    }

    /// <summary>A GET at a resourceVersion the store has not reached is the watch cache's 504.</summary>
    private void RequireReachedResourceVersion(HttpRequest request)
    {
        var current = store.ResourceVersion;
        if (RequestOptions.NumericResourceVersion(request) is { } rv && rv > current)
        {
            throw ApiErrors.TooLargeResourceVersion(rv, current);
        }
    }

    /// <summary>A write's answer: the committed version's own JSON when it is what this version returns, else the object.</summary>
    private static Task WriteResultAsync(HttpResponse response, int status, ResourceType type, string version, ObjectStore.WriteResult result, List<string> warnings) =>
        result.Stored is { } stored && version == type.StorageVersion
            ? ApiResponses.WriteJsonAsync(response, status, stored.Json, warnings)
            : ApiResponses.WriteJsonAsync(response, status, result.Object, warnings);

    private static Task WriteObjectAsync(HttpResponse response, int status, ResourceType type, string version, JsonObject obj, bool table, HttpRequest request)
    {
        if (!table)
        {
            return ApiResponses.WriteJsonAsync(response, status, obj);
        }
        var converted = TableConverter.Convert(type, version, [obj], ObjectMeta.ResourceVersion(obj), request.QueryValue("includeObject"));
        return ApiResponses.WriteJsonAsync(response, status, converted, contentType: TableConverter.MediaType);
    }
}
