using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Meshwork.ControlPlane.Configuration;
using Microsoft.Extensions.Options;

namespace Meshwork.ControlPlane.Rollouts.Webhooks;

/// <summary>
/// Signs webhook requests so a receiver can tell they come from this mesh's control plane and are
/// fresh: X-Meshwork-Timestamp carries the Unix time in seconds, X-Meshwork-Signature is
/// "sha256=" + lowercase hex HMAC-SHA256 over "TIMESTAMP.BODY" keyed with
/// ControlPlane:Rollouts:WebhookSigningKey (UTF-8). The timestamp is inside the signed content, so a
/// captured request cannot be replayed later with a new timestamp; receivers refuse old ones.
/// </summary>
public sealed class WebhookSigner
{
    public const string SignatureHeader = "X-Meshwork-Signature";
    public const string TimestampHeader = "X-Meshwork-Timestamp";

    private readonly byte[]? key;
    private readonly TimeProvider time;

    public WebhookSigner(IOptions<ControlPlaneOptions> options, TimeProvider time, ILogger<WebhookSigner> logger)
    {
        this.time = time;
        var setting = options.Value.Rollouts.WebhookSigningKey;
        if (string.IsNullOrEmpty(setting))
            logger.LogWarning("ControlPlane:Rollouts:WebhookSigningKey is empty: rollout webhook requests go out unsigned, so receivers cannot verify them");
        else
            key = Encoding.UTF8.GetBytes(setting);
    }

    /// <summary>Adds the timestamp header and, when a key is set, the signature over it and <paramref name="body"/>.</summary>
    public void Sign(HttpRequestMessage request, byte[] body)
    {
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        request.Headers.Add(TimestampHeader, timestamp);
        if (key is not null)
            request.Headers.Add(SignatureHeader, Signature(key, timestamp, body));
    }

    public static string Signature(byte[] key, string timestamp, byte[] body)
    {
        var signed = new byte[timestamp.Length + 1 + body.Length];
        Encoding.ASCII.GetBytes(timestamp, signed);
        signed[timestamp.Length] = (byte)'.';
        body.CopyTo(signed, timestamp.Length + 1);
        return "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(key, signed));
    }
}
