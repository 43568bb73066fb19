using Meshwork.Model.Validation;
using Meshwork.Portal.Hosting;
using Meshwork.Store;

namespace Meshwork.Portal.Tokens;

/// <summary>
/// The command an operator runs to start a proxy with a freshly issued token: the control plane
/// address and trust bundle this portal is configured with, the token's scope as the proxy's
/// identity (a wildcard leaves a placeholder to fill in), and the secret. Shown once, with the secret.
/// </summary>
public static class ProxyJoinCommand
{
    public static string For(IssuedBootstrapToken token, ControlPlaneLinkOptions controlPlane)
    {
        var address = string.IsNullOrWhiteSpace(controlPlane.Address) ? "https://CONTROL-PLANE:15010" : controlPlane.Address.Split(',')[0].Trim();
        var bundle = string.IsNullOrWhiteSpace(controlPlane.TrustBundleFile) ? "/path/to/trust-bundle.pem" : controlPlane.TrustBundleFile;
        string Scope(string value, string placeholder) => value == IdentityNames.Wildcard ? placeholder : value;
        return string.Join(" \\\n  ",
            $"ControlPlaneClient__BootstrapToken='{token.Secret}'",
            $"dotnet Meshwork.Proxy.dll --ControlPlaneClient:Address {address}",
            $"--ControlPlaneClient:TrustBundleFile {bundle}",
            $"--ControlPlaneClient:Namespace {Scope(token.Namespace, "NAMESPACE")} --ControlPlaneClient:Service {Scope(token.Service, "SERVICE")}",
            "--ControlPlaneClient:Version v1 --ControlPlaneClient:AppAddress 127.0.0.1:8080 --Proxy:InboundPort 15006");
    }
}
