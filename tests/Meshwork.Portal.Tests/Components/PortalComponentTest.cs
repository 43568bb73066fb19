using Bunit;
using Meshwork.Portal.Hosting;
using Meshwork.Portal.Identity;
using Meshwork.Store;
using Meshwork.Portal.ViewModels;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace Meshwork.Portal.Tests.Components;

/// <summary>
/// bUnit context with MudBlazor and the portal's real view-models. Their scope factory is the
/// running test portal's, so pages read and write the real store and identity database.
/// </summary>
public abstract class PortalComponentTest : BunitContext
{
    protected PortalComponentTest(PortalFactory portal, string user, params string[] policies)
    {
        Portal = portal;
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        // The product's own registrations of the store and identity services, on the test portal's database.
        Services.AddMeshworkStore(portal.ConnectionString);
        Services.AddPortalIdentityCore(portal.ConnectionString);
        Services.AddPortalViewModels();
        Services.AddSingleton(new Meshwork.Portal.Live.MeshLiveData(null)); // not configured unless a test registers its own
        Services.AddSingleton<Meshwork.Portal.Live.TopologyThresholds>();
        Services.AddSingleton<Meshwork.Portal.Live.LiveTapSource>();
        var authorization = AddAuthorization();
        authorization.SetAuthorized(user);
        authorization.SetClaims(new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.Email, user));
        authorization.SetPolicies(policies);
    }

    protected PortalFactory Portal { get; }


    protected static readonly string[] AdminPolicies = [PortalPolicies.Read, PortalPolicies.EditTraffic, PortalPolicies.Administer];
    protected static readonly string[] ViewerPolicies = [PortalPolicies.Read];
}
