using System.Security.Cryptography.X509Certificates;
using k8s;

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

    /// <summary>
    /// Offers the kubeconfig user's client-certificate(-data) and client-key(-data) in the handler's TLS handshakes, when it
    /// has both; a pair that cannot be loaded is KubeConfigInvalid (never quoting the PEM).
    /// </summary>
    public static void Use(SocketsHttpHandler handler, KubernetesClientConfiguration config, string? contextName)
    {
        if (!HasClientCertificate(config))
        {
            return;
        }
        X509Certificate2 certificate;
        try
        {
            certificate = LoadClientCertificate(config);
        }
        catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or FormatException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new Errors.RayPSException(Errors.ErrorIds.KubeConfigInvalid, Errors.RayErrorCategory.InvalidData,
                $"The client certificate or key of kubeconfig context '{contextName}' cannot be used ({ex.GetType().Name}). Check the user's client-certificate(-data) and client-key(-data): both PEM, the key matching the certificate.",
                contextName, ex);
        }
        handler.SslOptions.ClientCertificates = new X509CertificateCollection { certificate };
    }

    private static bool HasClientCertificate(KubernetesClientConfiguration config) =>
        (!string.IsNullOrWhiteSpace(config.ClientCertificateData) || !string.IsNullOrWhiteSpace(config.ClientCertificateFilePath))
        && (!string.IsNullOrWhiteSpace(config.ClientCertificateKeyData) || !string.IsNullOrWhiteSpace(config.ClientKeyFilePath));

    /// <summary>The kubeconfig's client-certificate(-data) and client-key(-data), as PEM, made usable by SslStream on every OS.</summary>
    private static X509Certificate2 LoadClientCertificate(KubernetesClientConfiguration config)
    {
        var certificatePem = !string.IsNullOrWhiteSpace(config.ClientCertificateData)
            ? System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(config.ClientCertificateData))
            : File.ReadAllText(config.ClientCertificateFilePath);
        var keyPem = !string.IsNullOrWhiteSpace(config.ClientCertificateKeyData)
            ? System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(config.ClientCertificateKeyData))
            : File.ReadAllText(config.ClientKeyFilePath);
        return FromPem(certificatePem, keyPem);
    }
}
