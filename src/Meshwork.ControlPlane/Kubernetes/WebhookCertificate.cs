using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;
using Meshwork.ControlPlane.Configuration;

namespace Meshwork.ControlPlane.Kubernetes;

/// <summary>
/// The webhook port's TLS certificate, from PEM files (a mounted Secret, e.g. cert-manager's). The API
/// server verifies it against the caBundle it was given, not the mesh root, so it is not issued by the
/// mesh CA. Re-read at the first handshake after either file changed, so a renewed Secret is served
/// without a restart; a half-written pair keeps the previous certificate until both files agree.
/// </summary>
public sealed class WebhookCertificate(IOptions<ControlPlaneOptions> options, ILogger<WebhookCertificate> logger)
{
    private readonly Lock gate = new();
    private (DateTime Certificate, DateTime Key) loadedStamps;
    private X509Certificate2? current;

    public X509Certificate2 Current()
    {
        var injection = options.Value.Injection;
        var stamps = (File.GetLastWriteTimeUtc(injection.CertificateFile), File.GetLastWriteTimeUtc(injection.KeyFile));
        lock (gate)
        {
            if (current is not null && stamps == loadedStamps) return current;
            try
            {
                current = X509Certificate2.CreateFromPemFile(injection.CertificateFile, injection.KeyFile);
                loadedStamps = stamps;
                logger.LogInformation("Webhook certificate loaded from {File}: {Subject}, valid until {NotAfter:u}", injection.CertificateFile, current.Subject, current.NotAfter.ToUniversalTime());
            }
            // A key that does not match the certificate (one file renewed, the other not yet) is an ArgumentException.
            catch (Exception ex) when (current is not null && ex is System.Security.Cryptography.CryptographicException or IOException or ArgumentException)
            {
                logger.LogWarning(ex, "Webhook certificate files changed but do not load (yet); serving the previous one");
            }
            return current;
        }
    }
}
