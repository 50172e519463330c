using System.Net;
using System.Text;
using k8s;
using RayPS.Kube;

namespace RayPS.Client.Tests.Support;

/// <summary>
/// A handler at the end of the client's pipeline that answers instead of the network: each request is given
/// to <see cref="Respond"/>, and every request is recorded.
/// </summary>
internal sealed class FakeApiServer : DelegatingHandler
{
    public List<HttpRequestMessage> Requests { get; } = new();

    public Func<HttpRequestMessage, int, HttpResponseMessage> Respond { get; set; } = (_, _) => Json(200, "{}");

    /// <summary>How long the fake takes to answer the n-th request (default: at once); cancellation ends the wait.</summary>
    public Func<HttpRequestMessage, int, TimeSpan>? Delay { get; set; }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Requests.Add(request);
        var n = Requests.Count;
        if (Delay?.Invoke(request, n) is { } delay && delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }
        return Respond(request, n);
    }

    public static HttpResponseMessage Json(int status, string body) => new((HttpStatusCode)status)
    {
        Content = new StringContent(body, Encoding.UTF8, "application/json"),
    };

    public static HttpResponseMessage Text(int status, string body) => new((HttpStatusCode)status)
    {
        Content = new StringContent(body, Encoding.UTF8, "text/plain"),
    };

    /// <summary>A connection whose requests go through the real retry handler, then this fake.</summary>
    public KubeConnection Connect(RetryHandler? retry = null)
    {
        var config = new KubernetesClientConfiguration { Host = "https://fake.example:6443", AccessToken = "test-token-not-secret", Namespace = "default" };
        return KubeConnection.Create(config, "fake-context", retry ?? new RetryHandler { BaseDelay = TimeSpan.FromMilliseconds(1) }, this);
    }
}
