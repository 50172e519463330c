using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;
using RayPS.Kube;

namespace RayPS.Client.Tests.Kube;

public sealed class StreamingHandlerTests
{
    private static X509Certificate2 SelfSigned(string subject, bool authority = false, X509Certificate2? issuer = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(authority, false, 0, authority));
        if (!authority)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName("localhost");
            names.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
        }
        var notBefore = DateTimeOffset.UtcNow.AddDays(-1);
        var notAfter = DateTimeOffset.UtcNow.AddDays(1);
        if (issuer is null)
        {
            return request.CreateSelfSigned(notBefore, notAfter);
        }
        var serial = RandomNumberGenerator.GetBytes(8);
        using var signed = request.Create(issuer, notBefore, notAfter, serial);
        return signed.CopyWithPrivateKey(key);
    }

    private static string Base64Pem(string pem) => Convert.ToBase64String(Encoding.UTF8.GetBytes(pem));

    private static KubernetesClientConfiguration ClientCertificateConfig(X509Certificate2 certificate) => new()
    {
        Host = "https://127.0.0.1:1",
        ClientCertificateData = Base64Pem(certificate.ExportCertificatePem()),
        ClientCertificateKeyData = Base64Pem(certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem()),
    };

    [Fact]
    public void Loads_the_kubeconfig_client_certificate_with_its_key()
    {
        using var certificate = SelfSigned("CN=alice");
        using var handler = StreamingHandler.Create(ClientCertificateConfig(certificate));

        var loaded = Assert.IsType<X509Certificate2>(Assert.Single(handler.SslOptions.ClientCertificates!.Cast<X509Certificate>()));
        Assert.Equal(certificate.Thumbprint, loaded.Thumbprint);
        Assert.True(loaded.HasPrivateKey);
    }

    [Fact]
    public void Loads_an_rsa_client_key_in_pkcs1_form_as_kind_and_kubeadm_write_it()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=kubernetes-admin, O=system:masters", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        using var handler = StreamingHandler.Create(new KubernetesClientConfiguration
        {
            Host = "https://127.0.0.1:1",
            ClientCertificateData = Base64Pem(certificate.ExportCertificatePem()),
            ClientCertificateKeyData = Base64Pem(rsa.ExportRSAPrivateKeyPem()),
        });

        var loaded = new X509Certificate2(Assert.Single(handler.SslOptions.ClientCertificates!.Cast<X509Certificate>()));
        Assert.Equal(certificate.Thumbprint, loaded.Thumbprint);
        Assert.True(loaded.HasPrivateKey);
    }

    [Fact]
    public void Loads_the_client_certificate_from_files_too()
    {
        using var certificate = SelfSigned("CN=bob");
        var dir = Directory.CreateTempSubdirectory("rayps-cert-").FullName;
        try
        {
            var certPath = Path.Combine(dir, "client.crt");
            var keyPath = Path.Combine(dir, "client.key");
            File.WriteAllText(certPath, certificate.ExportCertificatePem());
            File.WriteAllText(keyPath, certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
            using var handler = StreamingHandler.Create(new KubernetesClientConfiguration
            {
                Host = "https://127.0.0.1:1",
                ClientCertificateFilePath = certPath,
                ClientKeyFilePath = keyPath,
            });
            var loaded = Assert.Single(handler.SslOptions.ClientCertificates!.Cast<X509Certificate>());
            Assert.Equal(certificate.Thumbprint, new X509Certificate2(loaded).Thumbprint);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Trusts_the_kubeconfig_authority_and_nothing_else()
    {
        using var authority = SelfSigned("CN=cluster-ca", authority: true);
        using var server = SelfSigned("CN=kube-apiserver", issuer: authority);
        using var stranger = SelfSigned("CN=someone-else");
        using var handler = StreamingHandler.Create(new KubernetesClientConfiguration
        {
            Host = "https://127.0.0.1:1",
            SslCaCerts = new X509Certificate2Collection(X509CertificateLoaderCompat(authority)),
        });
        var validate = handler.SslOptions.RemoteCertificateValidationCallback!;

        using var chain = new X509Chain();
        Assert.True(validate(this, server, chain, SslPolicyErrors.RemoteCertificateChainErrors));
        using var otherChain = new X509Chain();
        Assert.False(validate(this, stranger, otherChain, SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.Empty(handler.SslOptions.ClientCertificates ?? new X509CertificateCollection());
    }

    [Fact]
    public void Skip_tls_verify_and_tls_server_name_apply()
    {
        using var handler = StreamingHandler.Create(new KubernetesClientConfiguration
        {
            Host = "https://127.0.0.1:1",
            SkipTlsVerify = true,
            TlsServerName = "kubernetes.default.svc",
        });
        using var stranger = SelfSigned("CN=anyone");
        Assert.True(handler.SslOptions.RemoteCertificateValidationCallback!(this, stranger, null, SslPolicyErrors.RemoteCertificateNameMismatch));
        Assert.Equal("kubernetes.default.svc", handler.SslOptions.TargetHost);
    }

    [Fact]
    public async Task Presents_the_client_certificate_to_a_server_that_asks_for_one()
    {
        using var serverCertificate = Reload(SelfSigned("CN=localhost"));
        using var clientCertificate = SelfSigned("CN=system:admin");
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        string? presented = null;

        var serve = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync();
            await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: true));
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = serverCertificate,
                ClientCertificateRequired = true,
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    presented = certificate is null ? null : new X509Certificate2(certificate).Thumbprint;
                    return true;
                },
            });
            var request = new byte[4096];
            var length = 0;
            while (!Encoding.ASCII.GetString(request, 0, length).Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                length += await tls.ReadAsync(request.AsMemory(length));
            }
            await tls.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"u8.ToArray());
        });

        var config = ClientCertificateConfig(clientCertificate);
        config.Host = $"https://127.0.0.1:{port}";
        config.SkipTlsVerify = true;
        using var invoker = new HttpMessageInvoker(StreamingHandler.Create(config));
        using var response = await invoker.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"https://127.0.0.1:{port}/version"), CancellationToken.None);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok", await response.Content.ReadAsStringAsync());
        await serve.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(clientCertificate.Thumbprint, presented);
    }

    // SslStream on Windows needs a key it can store; a PKCS#12 round trip gives one on every OS.
    private static X509Certificate2 Reload(X509Certificate2 certificate)
    {
        using (certificate)
        {
#pragma warning disable SYSLIB0057
            return new X509Certificate2(certificate.Export(X509ContentType.Pkcs12));
#pragma warning restore SYSLIB0057
        }
    }

    private static X509Certificate2 X509CertificateLoaderCompat(X509Certificate2 certificate) =>
        X509CertificateLoader.LoadCertificate(certificate.RawData);
}
