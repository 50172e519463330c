using System.Text.Json.Nodes;
using RayPS.Sandbox.Faults;
using RayPS.Sandbox.Http;
using RayPS.Sandbox.Net;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.Api;

/// <summary>
/// The apiserver request pipeline: accounting, injected faults, authentication, authorization,
/// then discovery/openapi/health or the resource handlers. Errors become Status responses.
/// </summary>
internal sealed class ApiServer
{
    private readonly Authorization _auth;
    private readonly SandboxFaults _faults;
    private readonly RequestLog _log;
    private readonly Discovery _discovery;
    private readonly OpenApiDocuments _openApi;
    private readonly ResourceHandler _resources;

    public ApiServer(ObjectStore store, Authorization auth, SandboxFaults faults, RequestLog log, Func<int> port,
        Func<IPodNetwork> network, Func<IPodLogSource?> logs, CancellationToken shutdown)
    {
        _auth = auth;
        _faults = faults;
        _log = log;
        _discovery = new Discovery(store.Registry, port);
        _openApi = new OpenApiDocuments(store.Registry);
        var traffic = new PodTraffic(store, network, logs);
        _resources = new ResourceHandler(store, new SubresourceHandler(store, traffic), new WatchHandler(store, shutdown));
    }

    public async Task HandleAsync(HttpRequest request, HttpResponse response)
    {
        response.Headers["Audit-Id"] = Guid.NewGuid().ToString();
        var info = RequestInfo.Parse(request);
        var resourceKey = info.IsResourceRequest ? info.ResourceKey : info.Path;
        _log.Record(info.Verb, resourceKey);

        var faults = _faults.Evaluate(info.Verb, resourceKey, info.Path);
        if (faults.Delay > TimeSpan.Zero)
        {
            // Timers tick on a coarse clock and may fire a little early: a latency fault delays at least its latency.
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            for (var left = faults.Delay; left > TimeSpan.Zero; left = faults.Delay - System.Diagnostics.Stopwatch.GetElapsedTime(started))
            {
                await Task.Delay(left < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : left).ConfigureAwait(false);
            }
        }
        if (faults.Terminal is { } fault)
        {
            if (fault.Kind == FaultKind.DropConnection)
            {
                response.Abort();
                return;
            }
            var injected = fault.StatusCode == 403
                ? Authorization.Forbid(_auth.Authenticate(request) ?? Authorization.Anonymous, info)
                : InjectedError(fault);
            await ApiResponses.WriteStatusAsync(response, injected).ConfigureAwait(false);
            return;
        }

        try
        {
            var user = _auth.Authenticate(request) ?? throw ApiErrors.Unauthorized();
            if (_auth.Authorize(user, info) is { } forbidden)
            {
                throw forbidden;
            }
            if (info.IsResourceRequest)
            {
                await _resources.HandleAsync(request, response, info, user, faults.WatchDrop).ConfigureAwait(false);
            }
            else
            {
                await NonResourceAsync(request, response, info).ConfigureAwait(false);
            }
        }
        catch (ApiException error) when (!response.HasStarted)
        {
            await ApiResponses.WriteStatusAsync(response, error).ConfigureAwait(false);
        }
    }

    private static ApiException InjectedError(FaultRule fault)
    {
        var retry = fault.RetryAfter ?? (fault.StatusCode == 429 ? TimeSpan.FromSeconds(1) : null);
        var retrySeconds = retry is { } r ? (int)Math.Max(1, Math.Ceiling(r.TotalSeconds)) : (int?)null;
        return fault.StatusCode switch
        {
            429 => new ApiException(429, "TooManyRequests", "Too many requests, please try again later.", new StatusDetails(RetryAfterSeconds: retrySeconds)),
            503 => new ApiException(503, "ServiceUnavailable", "the server is currently unable to handle the request", retrySeconds is null ? null : new StatusDetails(RetryAfterSeconds: retrySeconds)),
            500 => new ApiException(500, "InternalError", "Internal error occurred: injected fault",
                new StatusDetails(Causes: [new StatusCause("", "injected fault", "")], RetryAfterSeconds: retrySeconds)),
            var code => new ApiException(code, code >= 500 ? "InternalError" : "BadRequest",
                $"the server responded with the status code {code} but did not return more information",
                new StatusDetails(RetryAfterSeconds: retrySeconds)),
        };
    }

    private async Task NonResourceAsync(HttpRequest request, HttpResponse response, RequestInfo info)
    {
        var path = info.Path.TrimEnd('/');
        var segments = path.Trim('/').Split('/');
        var accept = request.Headers["Accept"];
        switch (path)
        {
            case "/version":
                await ApiResponses.WriteJsonAsync(response, 200, Discovery.Version()).ConfigureAwait(false);
                return;
            case "/healthz" or "/livez" or "/readyz":
                response.Headers["Cache-Control"] = "no-cache, private";
                response.Headers["X-Content-Type-Options"] = "nosniff";
                await response.WriteAsync("ok", "text/plain; charset=utf-8").ConfigureAwait(false);
                return;
            case "/api" or "/apis":
                var aggregated = Discovery.AggregatedMediaType(accept);
                response.Headers["Vary"] = "Accept";
                if (aggregated is not null)
                {
                    await ApiResponses.WriteJsonAsync(response, 200, _discovery.Aggregated(path == "/api", aggregated), contentType: aggregated).ConfigureAwait(false);
                }
                else
                {
                    await ApiResponses.WriteJsonAsync(response, 200, path == "/api" ? _discovery.CoreVersions() : _discovery.GroupList()).ConfigureAwait(false);
                }
                return;
            case "/openapi/v3":
                await ApiResponses.WriteJsonAsync(response, 200, _openApi.Index()).ConfigureAwait(false);
                return;
        }
        JsonObject? document = null;
        if (segments.Length == 2 && segments[0] == "api")
        {
            document = _discovery.ResourceList("", segments[1]);
        }
        else if (segments.Length == 2 && segments[0] == "apis")
        {
            document = _discovery.Group(segments[1]);
        }
        else if (segments.Length == 3 && segments[0] == "apis")
        {
            document = _discovery.ResourceList(segments[1], segments[2]);
        }
        else if (path.StartsWith("/openapi/v3/", StringComparison.Ordinal))
        {
            document = _openApi.Document(path["/openapi/v3/".Length..]);
        }
        if (document is null)
        {
            await ApiResponses.WriteNotFoundPageAsync(response).ConfigureAwait(false);
            return;
        }
        await ApiResponses.WriteJsonAsync(response, 200, document).ConfigureAwait(false);
    }
}
