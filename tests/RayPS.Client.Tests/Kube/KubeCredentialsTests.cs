using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;
using RayPS.Client.Tests.Support;
using RayPS.Errors;
using RayPS.Kube;
using Xunit;

namespace RayPS.Client.Tests.Kube;

/// <summary>
/// The connection builds its own HTTP client (not KubernetesClient's Kubernetes class): the credentials it sends must be
/// the ones that class would send for the same configuration, on API requests and on WebSocket upgrades alike.
/// </summary>
public class KubeCredentialsTests
{
    public static TheoryData<string> Users => new() { "token", "basic", "basic-unicode", "provider", "none" };

    private static KubernetesClientConfiguration Config(string user) => user switch
    {
        "token" => new() { Host = "https://fake.example:6443", AccessToken = "tok-123" },
        "basic" => new() { Host = "https://fake.example:6443", Username = "admin", Password = "p:ss" },
        "basic-unicode" => new() { Host = "https://fake.example:6443", Username = "ädmin", Password = "pässwörd" },
        "provider" => new() { Host = "https://fake.example:6443", TokenProvider = new CountingProvider(), AccessToken = "ignored-when-a-provider-is-set" },
        _ => new() { Host = "https://fake.example:6443" },
    };

    [Theory]
    [MemberData(nameof(Users))]
    public async Task Sends_the_header_KubernetesClient_would_send(string user)
    {
        var config = Config(user);
        var server = new FakeApiServer();
        var connection = KubeConnection.Create(config, "ctx", server);
        await connection.Api.GetAsync("/version", CancellationToken.None);

        // What KubernetesClient's own credentials put on a request, for a fresh configuration of the same user.
        var expected = new HttpRequestMessage(HttpMethod.Get, "https://fake.example:6443/version");
        if (Kubernetes.CreateCredentials(Config(user)) is { } credentials)
        {
            await credentials.ProcessHttpRequestAsync(expected, CancellationToken.None);
        }
        Assert.Equal(expected.Headers.Authorization?.ToString(), server.Requests.Single().Headers.Authorization?.ToString());
        if (user != "provider")
        {
            // A provider answers anew each time (see the next test).
            Assert.Equal(expected.Headers.Authorization?.ToString(), await connection.AuthorizationAsync(CancellationToken.None));
        }
        if (user == "none")
        {
            Assert.Null(server.Requests.Single().Headers.Authorization);
        }
    }

    [Fact]
    public async Task A_token_provider_is_asked_on_every_request_so_a_rotated_token_is_used()
    {
        var provider = new CountingProvider();
        var server = new FakeApiServer();
        var connection = KubeConnection.Create(new KubernetesClientConfiguration { Host = "https://fake.example:6443", TokenProvider = provider }, "ctx", server);
        await connection.Api.GetAsync("/version", CancellationToken.None);
        await connection.Api.GetAsync("/version", CancellationToken.None);
        Assert.Equal(new[] { "Bearer rotated-1", "Bearer rotated-2" }, server.Requests.Select(r => r.Headers.Authorization!.ToString()));
        Assert.Equal("Bearer rotated-3", await connection.AuthorizationAsync(CancellationToken.None));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a url")]
    [InlineData("/relative/path")]
    public void A_server_that_is_not_an_absolute_url_is_KubeConfigInvalid(string host)
    {
        var error = Assert.Throws<RayPSException>(() => KubeConnection.Create(new KubernetesClientConfiguration { Host = host, AccessToken = "secret-tok" }, "broken-ctx"));
        Assert.Equal(ErrorIds.KubeConfigInvalid, error.ErrorId);
        Assert.Contains("broken-ctx", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-tok", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_client_key_that_does_not_load_is_KubeConfigInvalid_without_quoting_it()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=user", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var certificatePem = certificate.ExportCertificatePem();
        const string brokenKey = "-----BEGIN PRIVATE KEY-----\nTUlJQnJva2VuS2V5TWF0ZXJpYWw=\n-----END PRIVATE KEY-----\n";
        var config = new KubernetesClientConfiguration
        {
            Host = "https://fake.example:6443",
            ClientCertificateData = Convert.ToBase64String(Encoding.UTF8.GetBytes(certificatePem)),
            ClientCertificateKeyData = Convert.ToBase64String(Encoding.UTF8.GetBytes(brokenKey)),
        };
        var error = Assert.Throws<RayPSException>(() => KubeConnection.Create(config, "cert-ctx"));
        Assert.Equal(ErrorIds.KubeConfigInvalid, error.ErrorId);
        Assert.Contains("client-key", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("TUlJQnJva2Vu", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_certificate_pair_that_loads_gives_a_working_connection()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=user", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var config = new KubernetesClientConfiguration
        {
            Host = "https://fake.example:6443",
            ClientCertificateData = Convert.ToBase64String(Encoding.UTF8.GetBytes(certificate.ExportCertificatePem())),
            ClientCertificateKeyData = Convert.ToBase64String(Encoding.UTF8.GetBytes(key.ExportPkcs8PrivateKeyPem())),
        };
        var server = new FakeApiServer();
        var connection = KubeConnection.Create(config, "cert-ctx", server);
        await connection.Api.GetAsync("/version", CancellationToken.None);
        Assert.Null(server.Requests.Single().Headers.Authorization);
    }

    private sealed class CountingProvider : k8s.Authentication.ITokenProvider
    {
        private int _calls;

        public Task<AuthenticationHeaderValue> GetAuthenticationHeaderAsync(CancellationToken cancellationToken) =>
            Task.FromResult(new AuthenticationHeaderValue("Bearer", "rotated-" + Interlocked.Increment(ref _calls)));
    }
}
