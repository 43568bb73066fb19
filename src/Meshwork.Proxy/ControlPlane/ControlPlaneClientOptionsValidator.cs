using Meshwork.Protocol.Transport;
using Microsoft.Extensions.Options;

namespace Meshwork.Proxy.ControlPlane;

/// <summary>
/// Refuses to start rather than retry forever against a control plane the proxy could never reach
/// or trust: every ControlPlaneClient:Address entry must be an absolute http(s) URI (each bad one is
/// named), and an https:// entry needs the trust bundle, which serves every address.
/// </summary>
public sealed class ControlPlaneClientOptionsValidator : IValidateOptions<ControlPlaneClientOptions>
{
    private const string AddressSetting = $"{ControlPlaneClientOptions.Section}:Address";

    public ValidateOptionsResult Validate(string? name, ControlPlaneClientOptions options)
    {
        var problems = ControlPlaneAddressList.Problems(options.Address, AddressSetting).ToList();
        if (ControlPlaneAddressList.Split(options.Address).Any(ControlPlaneTls.RequiresTls) && string.IsNullOrWhiteSpace(options.TrustBundleFile))
            problems.Add($"{AddressSetting} is https:// but {ControlPlaneClientOptions.Section}:TrustBundleFile is not set: give the mesh root PEM the control plane writes to ControlPlane:TrustBundleFile.");
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
