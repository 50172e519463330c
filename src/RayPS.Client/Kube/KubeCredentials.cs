using System.Net.Http.Headers;
using System.Text;
using k8s;

namespace RayPS.Kube;

/// <summary>
/// The Authorization header a kubeconfig user's own credentials give, chosen as KubernetesClient chooses them: its token
/// provider (in-cluster token file, auth-provider plugins; asked on every request, so rotated tokens are picked up), else a
/// bearer token, else basic auth. An exec plugin's credential is added by <see cref="ExecCredentialHandler"/> instead.
/// </summary>
internal sealed class KubeCredentials
{
    private readonly k8s.Authentication.ITokenProvider? _provider;
    private readonly AuthenticationHeaderValue? _fixed;

    private KubeCredentials(k8s.Authentication.ITokenProvider? provider, AuthenticationHeaderValue? fixedHeader)
    {
        _provider = provider;
        _fixed = fixedHeader;
    }

    /// <summary>The credentials of this configuration, or null when it sends none (client certificates, exec plugins, anonymous).</summary>
    public static KubeCredentials? For(KubernetesClientConfiguration config)
    {
        if (config.TokenProvider is { } provider)
        {
            return new KubeCredentials(provider, null);
        }
        if (!string.IsNullOrEmpty(config.AccessToken))
        {
            return new KubeCredentials(null, new AuthenticationHeaderValue("Bearer", config.AccessToken));
        }
        if (!string.IsNullOrEmpty(config.Username))
        {
            var pair = Encoding.UTF8.GetBytes(config.Username + ":" + config.Password);
            return new KubeCredentials(null, new AuthenticationHeaderValue("Basic", Convert.ToBase64String(pair)));
        }
        return null;
    }

    // Fixed credentials complete at once without an async state machine: on a first call every async method is code the
    // JIT compiles (docs/benchmarks.md, 05-FirstCall).
    public ValueTask<AuthenticationHeaderValue?> HeaderAsync(CancellationToken ct) =>
        _provider is null ? new ValueTask<AuthenticationHeaderValue?>(_fixed) : ProviderHeaderAsync(ct);

    private async ValueTask<AuthenticationHeaderValue?> ProviderHeaderAsync(CancellationToken ct) =>
        await _provider!.GetAuthenticationHeaderAsync(ct).ConfigureAwait(false);

    public ValueTask ApplyAsync(HttpRequestMessage request, CancellationToken ct)
    {
        if (_provider is not null)
        {
            return ApplyProviderHeaderAsync(request, ct);
        }
        if (_fixed is not null)
        {
            request.Headers.Authorization = _fixed;
        }
        return ValueTask.CompletedTask;
    }

    private async ValueTask ApplyProviderHeaderAsync(HttpRequestMessage request, CancellationToken ct)
    {
        if (await _provider!.GetAuthenticationHeaderAsync(ct).ConfigureAwait(false) is { } header)
        {
            request.Headers.Authorization = header;
        }
    }
}
