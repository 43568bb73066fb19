using Meshwork.Protocol.Transport;
using Microsoft.Extensions.Options;

namespace Meshwork.Proxy.ControlPlane;

/// <summary>
/// Refuses to start rather than retry forever against a control plane the proxy could never reach
/// or trust: every ControlPlaneClient:Address entry must be an absolute http(s) URI (each bad one is
/// named), an https:// entry needs the trust bundle, which serves every address, and the trust
/// domain names the control plane's pinned SPIFFE id.
/// </summary>
public sealed class ControlPlaneClientOptionsValidator : IValidateOptions<ControlPlaneClientOptions>
{
    private const string AddressSetting = $"{ControlPlaneClientOptions.Section}:Address";

    public ValidateOptionsResult Validate(string? name, ControlPlaneClientOptions options)
    {
        var problems = ControlPlaneAddressList.Problems(options.Address, AddressSetting).ToList();
        if (ControlPlaneAddressList.Split(options.Address).Any(ControlPlaneTls.RequiresTls) && string.IsNullOrWhiteSpace(options.TrustBundleFile))
            problems.Add($"{AddressSetting} is https:// but {ControlPlaneClientOptions.Section}:TrustBundleFile is not set: give the mesh root PEM the control plane writes to ControlPlane:TrustBundleFile.");
        if (string.IsNullOrWhiteSpace(options.TrustDomain))
            problems.Add($"{ControlPlaneClientOptions.Section}:TrustDomain is empty: give the mesh's trust domain (MeshSettings trustDomain, default {ControlPlaneIdentity.DefaultTrustDomain}); the control plane is recognised by its SPIFFE id in it.");
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
