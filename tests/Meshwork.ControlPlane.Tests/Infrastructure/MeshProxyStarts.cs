using Meshwork.Testing.Processes;

namespace Meshwork.ControlPlane.Tests.Infrastructure;

/// <summary>Starting a <see cref="MeshProxy"/> against one <see cref="ControlPlaneProcess"/>, trusting its trust bundle.</summary>
public static class MeshProxyStarts
{
    extension(MeshProxy)
    {
        public static Task<MeshProxy> StartAsync(ControlPlaneProcess controlPlane, string token, string id, string service, string version, string? appAddress) =>
            MeshProxy.StartAsync([controlPlane.Address], controlPlane.TrustBundleFile, token, id, service, version, appAddress);
    }

    extension(MeshProxy proxy)
    {
        /// <summary>(Re)starts the proxy; it trusts the control plane's trust bundle unless given another one.</summary>
        public Task StartAsync(ControlPlaneProcess controlPlane, string token, string? appAddress = null, string? trustBundleFile = null) =>
            proxy.StartAsync([controlPlane.Address], trustBundleFile ?? controlPlane.TrustBundleFile, token, appAddress);
    }
}
