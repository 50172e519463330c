using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace RayPS.Sandbox.Http;

/// <summary>A throwaway CA and a server certificate for 127.0.0.1/localhost signed by it.</summary>
public sealed class CertificateAuthority : IDisposable
{
    private CertificateAuthority(X509Certificate2 ca, X509Certificate2 server)
    {
        CaCertificate = ca;
        ServerCertificate = server;
    }

    /// <summary>The CA certificate (public part only), as clients trust it.</summary>
    public X509Certificate2 CaCertificate { get; }

    /// <summary>The server certificate with a private key usable by SslStream on every OS.</summary>
    public X509Certificate2 ServerCertificate { get; }

    /// <summary>The CA certificate in PEM form (kubeconfig certificate-authority-data is its base64).</summary>
    public string CaPem => PemEncoding.WriteString("CERTIFICATE", CaCertificate.RawData) + "\n";

    public static CertificateAuthority Create(string commonName = "rayps-sandbox-ca")
    {
        var notBefore = DateTimeOffset.UtcNow.AddHours(-1);
        var notAfter = DateTimeOffset.UtcNow.AddYears(1);

        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=" + commonName, caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        var caSki = new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false);
        caRequest.CertificateExtensions.Add(caSki);
        using var caWithKey = caRequest.CreateSelfSigned(notBefore, notAfter.AddDays(1));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=rayps-sandbox-apiserver", serverKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        serverRequest.CertificateExtensions.Add(san.Build());
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        serverRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        serverRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(caSki));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var serverPublic = serverRequest.Create(caWithKey, notBefore, notAfter, serial);
        using var serverWithKey = serverPublic.CopyWithPrivateKey(serverKey);

        // An ephemeral key from CopyWithPrivateKey is not usable by SslStream on every platform: round-trip through
        // PKCS#12. Linux keeps the key in memory only; Windows' TLS stack needs a stored key, imported without
        // PersistKeySet so the key file in the user profile is deleted when Dispose (at sandbox stop) releases it;
        // macOS does not support EphemeralKeySet.
        var pfx = serverWithKey.Export(X509ContentType.Pkcs12);
        var flags = OperatingSystem.IsLinux() ? X509KeyStorageFlags.EphemeralKeySet : X509KeyStorageFlags.DefaultKeySet;
#pragma warning disable SYSLIB0057 // X509CertificateLoader is not available on net8.0.
        var server = new X509Certificate2(pfx, (string?)null, flags);
        var ca = new X509Certificate2(caWithKey.RawData);
#pragma warning restore SYSLIB0057
        return new CertificateAuthority(ca, server);
    }

    public void Dispose()
    {
        CaCertificate.Dispose();
        ServerCertificate.Dispose();
    }
}
