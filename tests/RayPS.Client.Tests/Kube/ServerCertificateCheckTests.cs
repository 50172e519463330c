using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;
using RayPS.Errors;
using RayPS.Kube;

namespace RayPS.Client.Tests.Kube;

/// <summary>
/// A loopback TLS server presents certificates that kubectl accepts or refuses; the API client and the streaming
/// (port-forward) handler must decide the same.
/// </summary>
public sealed class ServerCertificateCheckTests : IDisposable
{
    private readonly X509Certificate2 _clusterCa = Authority("CN=cluster-ca");
    private readonly X509Certificate2 _otherCa = Authority("CN=other-ca");

    public void Dispose()
    {
        _clusterCa.Dispose();
        _otherCa.Dispose();
    }

    public enum Path { ApiClient, Streaming }

    [Fact]
    public void The_import_time_warm_up_runs_the_whole_check_and_its_certificate_passes_it()
    {
        // The warm-up is only worth its time if it walks the path a real handshake takes to the end: a refused certificate
        // would stop before the chain is built.
        Assert.True(ServerCertificateCheck.WarmUp());
        TlsWarmUp.Run();
    }

    [Theory]
    [InlineData(Path.ApiClient)]
    [InlineData(Path.Streaming)]
    public async Task Accepts_a_certificate_for_the_server_address_signed_by_the_kubeconfig_ca(Path path)
    {
        using var leaf = Leaf("127.0.0.1", _clusterCa);
        await using var server = TlsServer.Start(leaf);

        Assert.Equal("ok", await Fetch(path, Config(server, _clusterCa)));
    }

    [Theory]
    [InlineData(Path.ApiClient)]
    [InlineData(Path.Streaming)]
    public async Task Refuses_a_certificate_for_another_host_even_when_the_kubeconfig_ca_signed_it(Path path)
    {
        using var leaf = Leaf("evil.example", _clusterCa);
        await using var server = TlsServer.Start(leaf);

        var error = await FetchFails(path, Config(server, _clusterCa));

        Assert.Equal(ErrorIds.KubeApiTlsFailure, error.ErrorId);
        Assert.Equal(RayErrorCategory.SecurityError, error.Category);
        Assert.Contains("tls-server-name", error.Message, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Path.ApiClient)]
    [InlineData(Path.Streaming)]
    public async Task Accepts_a_certificate_for_the_tls_server_name(Path path)
    {
        using var leaf = Leaf("evil.example", _clusterCa);
        await using var server = TlsServer.Start(leaf);
        var config = Config(server, _clusterCa);
        config.TlsServerName = "evil.example";

        Assert.Equal("ok", await Fetch(path, config));
    }

    [Theory]
    [InlineData(Path.ApiClient)]
    [InlineData(Path.Streaming)]
    public async Task Sends_tls_server_name_as_the_sni_name_and_keeps_the_url_host_in_the_host_header(Path path)
    {
        using var leaf = Leaf("evil.example", _clusterCa);
        await using var server = TlsServer.Start(leaf);
        var config = Config(server, _clusterCa);
        config.TlsServerName = "evil.example";

        Assert.Equal("ok", await Fetch(path, config));
        Assert.Equal("evil.example", server.LastServerName);
        Assert.Equal($"127.0.0.1:{server.Port}", server.LastHostHeader);
    }

    [Theory]
    [InlineData(Path.ApiClient)]
    [InlineData(Path.Streaming)]
    public async Task Refuses_a_certificate_for_the_server_address_when_tls_server_name_names_another_host(Path path)
    {
        using var leaf = Leaf("127.0.0.1", _clusterCa);
        await using var server = TlsServer.Start(leaf);
        var config = Config(server, _clusterCa);
        config.TlsServerName = "kubernetes.default.svc";

        Assert.Equal(ErrorIds.KubeApiTlsFailure, (await FetchFails(path, config)).ErrorId);
    }

    [Theory]
    [InlineData(Path.ApiClient)]
    [InlineData(Path.Streaming)]
    public async Task Refuses_a_certificate_signed_by_another_ca(Path path)
    {
        using var leaf = Leaf("127.0.0.1", _otherCa);
        await using var server = TlsServer.Start(leaf);

        Assert.Equal(ErrorIds.KubeApiTlsFailure, (await FetchFails(path, Config(server, _clusterCa))).ErrorId);
    }

    [Theory]
    [InlineData(Path.ApiClient)]
    [InlineData(Path.Streaming)]
    public async Task Refuses_a_certificate_the_system_does_not_trust_when_the_kubeconfig_has_no_ca(Path path)
    {
        using var leaf = Leaf("127.0.0.1", _clusterCa);
        await using var server = TlsServer.Start(leaf);

        Assert.Equal(ErrorIds.KubeApiTlsFailure, (await FetchFails(path, Config(server, authority: null))).ErrorId);
    }

    [Theory]
    [InlineData(Path.ApiClient)]
    [InlineData(Path.Streaming)]
    public async Task Insecure_skip_tls_verify_accepts_any_certificate(Path path)
    {
        using var leaf = Leaf("evil.example", _otherCa);
        await using var server = TlsServer.Start(leaf);
        var config = Config(server, authority: null);
        config.SkipTlsVerify = true;

        Assert.Equal("ok", await Fetch(path, config));
    }

    [Theory]
    [InlineData(Path.ApiClient)]
    [InlineData(Path.Streaming)]
    public async Task Accepts_a_chain_that_ends_at_an_intermediate_of_the_ca_bundle_as_go_does(Path path)
    {
        using var intermediate = Authority("CN=cluster-intermediate", _clusterCa);
        using var leaf = Leaf("127.0.0.1", intermediate);
        await using var server = TlsServer.Start(leaf);

        Assert.Equal("ok", await Fetch(path, Config(server, intermediate)));
    }

    [Theory]
    [InlineData(Path.ApiClient)]
    [InlineData(Path.Streaming)]
    public async Task Accepts_an_intermediate_the_server_sends_when_the_bundle_holds_its_root(Path path)
    {
        using var intermediate = Authority("CN=cluster-intermediate", _clusterCa);
        using var leaf = Leaf("127.0.0.1", intermediate);
        await using var server = TlsServer.Start(leaf, intermediate);

        Assert.Equal("ok", await Fetch(path, Config(server, _clusterCa)));
    }

    [Theory]
    [InlineData(Path.ApiClient)]
    [InlineData(Path.Streaming)]
    public async Task Refuses_an_intermediate_of_another_ca_that_the_server_sends(Path path)
    {
        using var intermediate = Authority("CN=other-intermediate", _otherCa);
        using var leaf = Leaf("127.0.0.1", intermediate);
        await using var server = TlsServer.Start(leaf, intermediate);

        Assert.Equal(ErrorIds.KubeApiTlsFailure, (await FetchFails(path, Config(server, _clusterCa))).ErrorId);
    }

    [Fact]
    public void Refuses_a_ca_signed_certificate_whose_name_only_matches_its_common_name()
    {
        using var leaf = Leaf(dnsName: null, _clusterCa, subject: "CN=127.0.0.1");
        Assert.False(CheckFor("https://127.0.0.1:6443", _clusterCa).Accepts(leaf, null, SslPolicyErrors.RemoteCertificateChainErrors));
    }

    [Fact]
    public void An_intermediate_in_the_bundle_does_not_vouch_for_an_expired_certificate()
    {
        using var intermediate = Authority("CN=cluster-intermediate", _clusterCa);
        using var expired = Leaf("127.0.0.1", intermediate, notAfter: DateTimeOffset.UtcNow.AddMinutes(-5));

        Assert.False(CheckFor("https://127.0.0.1:6443", intermediate).Accepts(expired, null, SslPolicyErrors.RemoteCertificateChainErrors));
    }

    [Fact]
    public void An_intermediate_in_the_bundle_does_not_vouch_for_a_certificate_it_did_not_sign()
    {
        using var intermediate = Authority("CN=cluster-intermediate", _clusterCa);
        using var sibling = Authority("CN=cluster-intermediate", _clusterCa);
        using var leaf = Leaf("127.0.0.1", sibling);

        Assert.False(CheckFor("https://127.0.0.1:6443", intermediate).Accepts(leaf, null, SslPolicyErrors.RemoteCertificateChainErrors));
    }

    [Fact]
    public void An_intermediate_in_the_bundle_does_not_vouch_for_a_client_only_certificate()
    {
        using var intermediate = Authority("CN=cluster-intermediate", _clusterCa);
        using var clientOnly = Leaf("127.0.0.1", intermediate, usage: "1.3.6.1.5.5.7.3.2");

        Assert.False(CheckFor("https://127.0.0.1:6443", intermediate).Accepts(clientOnly, null, SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.False(CheckFor("https://127.0.0.1:6443", _clusterCa).Accepts(clientOnly, null, SslPolicyErrors.RemoteCertificateChainErrors));
    }

    [Fact]
    public void Matches_an_ipv6_server_address_against_the_certificate_ip_names()
    {
        using var leaf = Leaf("::1", _clusterCa);

        Assert.True(CheckFor("https://[::1]:6443", _clusterCa).Accepts(leaf, null, SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.False(CheckFor("https://[::2]:6443", _clusterCa).Accepts(leaf, null, SslPolicyErrors.RemoteCertificateChainErrors));
    }

    [Fact]
    public void Matches_a_wildcard_dns_name()
    {
        using var leaf = Leaf("*.cluster.example", _clusterCa);

        Assert.True(CheckFor("https://api.cluster.example:6443", _clusterCa).Accepts(leaf, null, SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.False(CheckFor("https://a.api.cluster.example:6443", _clusterCa).Accepts(leaf, null, SslPolicyErrors.RemoteCertificateChainErrors));
    }

    private static ServerCertificateCheck CheckFor(string host, X509Certificate2 authority) => ServerCertificateCheck.For(new KubernetesClientConfiguration
    {
        Host = host,
        SslCaCerts = new X509Certificate2Collection(X509CertificateLoader.LoadCertificate(authority.RawData)),
    });

    private static KubernetesClientConfiguration Config(TlsServer server, X509Certificate2? authority) => new()
    {
        Host = $"https://127.0.0.1:{server.Port}",
        AccessToken = "secret-token-never-shown",
        SslCaCerts = authority is null ? null : new X509Certificate2Collection(X509CertificateLoader.LoadCertificate(authority.RawData)),
    };

    private static async Task<string> Fetch(Path path, KubernetesClientConfiguration config)
    {
        var uri = new Uri(config.Host + "/version");
        if (path == Path.ApiClient)
        {
            var connection = KubeConnection.Create(config, "tls-test");
            using var response = await connection.Http.GetAsync(uri);
            return await response.Content.ReadAsStringAsync();
        }
        using var invoker = new HttpMessageInvoker(StreamingHandler.Create(config));
        using var streamed = await invoker.SendAsync(new HttpRequestMessage(HttpMethod.Get, uri), CancellationToken.None);
        return await streamed.Content.ReadAsStringAsync();
    }

    private static async Task<RayPSException> FetchFails(Path path, KubernetesClientConfiguration config)
    {
        var failure = await Assert.ThrowsAsync<HttpRequestException>(() => Fetch(path, config));
        var error = KubeErrorMapper.MapTransport(failure, "tls-test", new Uri(config.Host));
        Assert.DoesNotContain("secret-token-never-shown", error.Message, StringComparison.Ordinal);
        return error;
    }

    private static X509Certificate2 Authority(string subject, X509Certificate2? issuer = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var (notBefore, notAfter) = (DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1));
        if (issuer is null)
        {
            return request.CreateSelfSigned(notBefore, notAfter);
        }
        using var signed = request.Create(issuer, notBefore, notAfter.AddMinutes(-1), RandomNumberGenerator.GetBytes(8));
        return signed.CopyWithPrivateKey(key);
    }

    private static X509Certificate2 Leaf(string? dnsName, X509Certificate2 issuer, string subject = "CN=kube-apiserver",
        DateTimeOffset? notAfter = null, string usage = "1.3.6.1.5.5.7.3.1")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        if (dnsName is not null)
        {
            var names = new SubjectAlternativeNameBuilder();
            if (IPAddress.TryParse(dnsName, out var address))
            {
                names.AddIpAddress(address);
            }
            else
            {
                names.AddDnsName(dnsName);
            }
            request.CertificateExtensions.Add(names.Build());
        }
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], false));
        using var signed = request.Create(issuer, DateTimeOffset.UtcNow.AddHours(-1), notAfter ?? DateTimeOffset.UtcNow.AddHours(12), RandomNumberGenerator.GetBytes(8));
        using var withKey = signed.CopyWithPrivateKey(key);
        // SslStream on Windows needs a key it can store; a PKCS#12 round trip gives one on every OS.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>Answers every HTTPS request with "ok", presenting the given certificate (and intermediates).</summary>
    private sealed class TlsServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly SslStreamCertificateContext _certificate;
        private readonly CancellationTokenSource _stop = new();
        private Task _serving = Task.CompletedTask;

        private TlsServer(X509Certificate2 leaf, X509Certificate2[] intermediates)
        {
            _certificate = SslStreamCertificateContext.Create(leaf, new X509Certificate2Collection(intermediates), offline: true);
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        /// <summary>The SNI name of the last request's handshake ("" when none was sent).</summary>
        public string? LastServerName { get; private set; }

        /// <summary>The Host header of the last request.</summary>
        public string? LastHostHeader { get; private set; }

        public static TlsServer Start(X509Certificate2 leaf, params X509Certificate2[] intermediates)
        {
            var server = new TlsServer(leaf, intermediates);
            server._listener.Start();
            server._serving = Task.Run(server.ServeAsync);
            return server;
        }

        private async Task ServeAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                Socket socket;
                try
                {
                    socket = await _listener.AcceptSocketAsync(_stop.Token);
                }
                catch (Exception) when (_stop.IsCancellationRequested)
                {
                    return;
                }
                _ = Task.Run(() => AnswerAsync(socket));
            }
        }

        private async Task AnswerAsync(Socket socket)
        {
            try
            {
                await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: true));
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificateContext = _certificate }, _stop.Token);
                var request = new byte[8192];
                var length = 0;
                while (!Encoding.ASCII.GetString(request, 0, length).Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    var read = await tls.ReadAsync(request.AsMemory(length), _stop.Token);
                    if (read == 0)
                    {
                        return;
                    }
                    length += read;
                }
                LastServerName = tls.TargetHostName;
                LastHostHeader = Encoding.ASCII.GetString(request, 0, length).Split("\r\n")
                    .FirstOrDefault(h => h.StartsWith("Host:", StringComparison.OrdinalIgnoreCase))?[5..].Trim();
                await tls.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"u8.ToArray(), _stop.Token);
            }
            catch (Exception)
            {
                // The client refused the certificate: that is what the refusing tests expect.
            }
        }

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            _listener.Stop();
            await _serving;
            _stop.Dispose();
        }
    }
}
