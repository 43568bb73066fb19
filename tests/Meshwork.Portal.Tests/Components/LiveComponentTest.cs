using Meshwork.Portal.Live;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.Portal.Tests.Components;

/// <summary>A component test over the real store whose live status is a state the test feeds, as the watcher would.</summary>
public sealed class LiveComponentTest : PortalComponentTest
{
    public const string ControlPlane = "http://127.0.0.1:15010";

    public LiveComponentTest(PortalFactory portal, string user, string[] policies) : base(portal, user, policies)
    {
        Services.AddSingleton(State);
    }

    public MeshLiveData State { get; } = new(ControlPlane);
}
