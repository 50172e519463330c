using System.Globalization;
using System.Text.Json.Nodes;
using RayPS.Sandbox.Faults;
using RayPS.Sandbox.Http;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Resources;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.Api;

/// <summary>
/// Streams watch events as newline-delimited JSON over a chunked response until timeoutSeconds,
/// the client leaving, the sandbox stopping, or an injected watch-drop fault.
/// </summary>
internal sealed class WatchHandler(ObjectStore store, CancellationToken shutdown)
{
    public async Task HandleAsync(HttpRequest request, HttpResponse response, ResourceType type, Gvr gvr, string? ns, FaultRule? drop)
    {
        var options = RequestOptions.Watch(request);
        var timeout = request.QueryValue("timeoutSeconds") is { } t && long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? TimeSpan.FromSeconds(seconds)
            : TimeSpan.FromSeconds(1800 + Random.Shared.Next(1800));
        var table = TableConverter.Wanted(request.Headers["Accept"]);
        using var stream = store.StartWatch(gvr, ns, options);

        response.StatusCode = 200;
        response.Headers["Cache-Control"] = "no-cache, private";
        response.Headers["Content-Type"] = table ? TableConverter.MediaType : ApiResponses.Json;
        var body = await response.StartChunkedAsync().ConfigureAwait(false);

        using var timedOut = new CancellationTokenSource(timeout);
        using var dropTimer = drop?.AfterTime is { } dropAfter ? new CancellationTokenSource(dropAfter) : new CancellationTokenSource();
        using var gone = new CancellationTokenSource();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(shutdown, request.Aborted, timedOut.Token, dropTimer.Token, gone.Token);
        _ = response.ClientClosedAsync().ContinueWith(closed =>
        {
            if (closed.Result)
            {
                try
                {
                    gone.Cancel();
                }
                catch (ObjectDisposedException)
                {
                }
            }
        }, TaskScheduler.Default);

        var sent = 0;
        var headersSent = false;
        async Task<bool> SendAsync(WatchEvent e)
        {
            if (drop?.AfterEvents is { } limit && sent >= limit)
            {
                return false;
            }
            var obj = e.Object;
            if (table && e.Type is not (WatchEvent.Error or WatchEvent.Bookmark))
            {
                obj = TableConverter.Convert(type, gvr.Version, [obj], ObjectMeta.ResourceVersion(obj), request.QueryValue("includeObject"), headers: !headersSent);
                headersSent = true;
            }
            await body.WriteAsync(JsonText.SerializeToUtf8(new JsonObject { ["type"] = e.Type, ["object"] = obj }), stop.Token).ConfigureAwait(false);
            sent++;
            return true;
        }

        var dropped = false;
        try
        {
            foreach (var e in stream.Initial)
            {
                if (!await SendAsync(e).ConfigureAwait(false))
                {
                    dropped = true;
                    break;
                }
            }
            if (!dropped && stream.Subscription is not null)
            {
                while (await stream.Subscription.Reader.WaitToReadAsync(stop.Token).ConfigureAwait(false))
                {
                    while (stream.Subscription.Reader.TryRead(out var change))
                    {
                        if (stream.Transform(change) is { } visible && !await SendAsync(visible).ConfigureAwait(false))
                        {
                            dropped = true;
                            break;
                        }
                    }
                    if (dropped)
                    {
                        break;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            dropped = dropTimer.IsCancellationRequested && !timedOut.IsCancellationRequested;
        }
        catch (IOException)
        {
            body.Break();
            return;
        }
        if (dropped || shutdown.IsCancellationRequested || gone.IsCancellationRequested)
        {
            body.Break();
            return;
        }
        await body.CompleteAsync().ConfigureAwait(false);
    }
}
