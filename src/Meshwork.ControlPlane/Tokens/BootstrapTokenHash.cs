using System.Security.Cryptography;
using System.Text;

namespace Meshwork.ControlPlane.Tokens;

/// <summary>How a bootstrap token secret is stored: lower-case hex SHA-256 of its UTF-8 text.</summary>
public static class BootstrapTokenHash
{
    public static string Compute(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
}
