using System.Security.Cryptography;
using System.Text;
using Grpc.Core;

namespace Meshwork.Protocol.Status;

/// <summary>
/// The status stream shows the whole fleet and its traffic, so only holders of the shared status
/// token (ControlPlane:StatusToken on the control plane, Portal:ControlPlane:StatusToken on the
/// portal) may watch it. Sent as a bearer token in the call's metadata.
/// </summary>
public static class StatusStreamAuthentication
{
    private const string Header = "authorization";
    private const string Scheme = "Bearer ";

    public static Metadata Headers(string? token) =>
        string.IsNullOrEmpty(token) ? [] : new Metadata { { Header, Scheme + token } };

    /// <summary>True when a token is configured and the call carries exactly it (compared in fixed time).</summary>
    public static bool IsAuthorized(Metadata requestHeaders, string? expectedToken)
    {
        if (string.IsNullOrEmpty(expectedToken))
            return false;
        var presented = requestHeaders.GetValue(Header);
        if (presented is null || !presented.StartsWith(Scheme, StringComparison.Ordinal))
            return false;
        return CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(presented[Scheme.Length..])),
            SHA256.HashData(Encoding.UTF8.GetBytes(expectedToken)));
    }
}
