using System.Security.Cryptography.X509Certificates;

namespace RayPS.Kube;

internal static class ClientCertificates
{
    /// <summary>A PEM certificate and key made usable by SslStream on every OS.</summary>
    public static X509Certificate2 FromPem(string certificatePem, string keyPem)
    {
        using var ephemeral = X509Certificate2.CreateFromPem(certificatePem, keyPem);
        // Windows' TLS stack cannot use an ephemeral key; a PKCS#12 round trip gives a stored one (not persisted: its
        // key file goes when the certificate is disposed). Linux keeps it in memory; macOS has no EphemeralKeySet.
        var flags = OperatingSystem.IsLinux() ? X509KeyStorageFlags.EphemeralKeySet : X509KeyStorageFlags.DefaultKeySet;
#pragma warning disable SYSLIB0057 // X509CertificateLoader is .NET 9+; the module targets net8.0.
        return new X509Certificate2(ephemeral.Export(X509ContentType.Pkcs12), (string?)null, flags);
#pragma warning restore SYSLIB0057
    }
}
