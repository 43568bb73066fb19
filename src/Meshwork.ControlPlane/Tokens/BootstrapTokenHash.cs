using Meshwork.Store;

namespace Meshwork.ControlPlane.Tokens;

/// <summary>How a bootstrap token secret is stored; the one definition lives beside the table, in the store.</summary>
public static class BootstrapTokenHash
{
    public static string Compute(string secret) => BootstrapTokenService.Hash(secret);
}
