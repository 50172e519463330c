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

    /// <summary>As KubernetesClient's BaseUri: a server behind a path prefix (Rancher, other proxies) keeps it.</summary>
    [Theory]
    [InlineData("https://rancher.example/k8s/clusters/c-1", "https://rancher.example/k8s/clusters/c-1/apis/ray.io/v1/rayclusters")]
    [InlineData("https://rancher.example/k8s/clusters/c-1/", "https://rancher.example/k8s/clusters/c-1/apis/ray.io/v1/rayclusters")]
    [InlineData("https://h.example:6443", "https://h.example:6443/apis/ray.io/v1/rayclusters")]
    public async Task Requests_go_below_the_servers_path(string host, string expected)
    {
        var server = new FakeApiServer();
        var connection = KubeConnection.Create(new KubernetesClientConfiguration { Host = host, AccessToken = "t" }, "ctx", server);
        await connection.Api.GetAsync("/apis/ray.io/v1/rayclusters", CancellationToken.None);
        Assert.Equal(expected, server.Requests.Single().RequestUri!.AbsoluteUri);
        Assert.Equal(new Kubernetes(new KubernetesClientConfiguration { Host = host, AccessToken = "t" }).BaseUri, connection.Server);
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

    /// <summary>kind, minikube and kubeadm write PKCS#1 RSA keys ("RSA PRIVATE KEY"), others SEC1 EC or PKCS#8 keys.</summary>
    [Theory]
    [InlineData("rsa-pkcs1")]
    [InlineData("rsa-pkcs8")]
    [InlineData("ec-sec1")]
    [InlineData("ec-pkcs8")]
    public async Task Every_PEM_key_form_kubeconfigs_carry_gives_a_client_certificate(string form)
    {
        using AsymmetricAlgorithm key = form.StartsWith("rsa", StringComparison.Ordinal) ? RSA.Create(2048) : ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = key is RSA rsa
            ? new CertificateRequest("CN=kind-user", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest("CN=kind-user", (ECDsa)key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var keyPem = form switch
        {
            "rsa-pkcs1" => ((RSA)key).ExportRSAPrivateKeyPem(),
            "ec-sec1" => ((ECDsa)key).ExportECPrivateKeyPem(),
            _ => key.ExportPkcs8PrivateKeyPem(),
        };
        Assert.Contains(form switch { "rsa-pkcs1" => "RSA PRIVATE KEY", "ec-sec1" => "EC PRIVATE KEY", _ => "BEGIN PRIVATE KEY" }, keyPem, StringComparison.Ordinal);
        var config = new KubernetesClientConfiguration
        {
            Host = "https://fake.example:6443",
            ClientCertificateData = Convert.ToBase64String(Encoding.UTF8.GetBytes(certificate.ExportCertificatePem())),
            ClientCertificateKeyData = Convert.ToBase64String(Encoding.UTF8.GetBytes(keyPem)),
        };
        var server = new FakeApiServer();
        var connection = KubeConnection.Create(config, "cert-ctx", server);
        await connection.Api.GetAsync("/version", CancellationToken.None);
        Assert.Single(server.Requests);
        using var loaded = ClientCertificateOf(config);
        Assert.True(loaded.HasPrivateKey);
        Assert.Equal(certificate.Thumbprint, loaded.Thumbprint);
    }

    private static X509Certificate2 ClientCertificateOf(KubernetesClientConfiguration config)
    {
        using var handler = new SocketsHttpHandler();
        ClientCertificates.Use(handler, config, "cert-ctx");
        return (X509Certificate2)handler.SslOptions.ClientCertificates!.Cast<X509Certificate>().Single();
    }

    private sealed class CountingProvider : k8s.Authentication.ITokenProvider
    {
        private int _calls;

        public Task<AuthenticationHeaderValue> GetAuthenticationHeaderAsync(CancellationToken cancellationToken) =>
            Task.FromResult(new AuthenticationHeaderValue("Bearer", "rotated-" + Interlocked.Increment(ref _calls)));
    }
}
