using System.Net;
using System.Threading.Channels;
using Meshwork.Portal.Hubs;
using Meshwork.Portal.Identity;
using Meshwork.Portal.ViewModels;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.Portal.Tests.Hubs;

/// <summary>A person signed in to the real portal (cookie from the real login form), and SignalR clients as their browser would open them.</summary>
public sealed class HubSession
{
    private HubSession(PortalFactory portal, string cookieHeader)
    {
        Portal = portal;
        CookieHeader = cookieHeader;
    }

    public PortalFactory Portal { get; }

    /// <summary>The session's cookies as a Cookie header.</summary>
    public string CookieHeader { get; }

    public static async Task<HubSession> SignInAsync(PortalFactory portal, string email, string password)
    {
        var cookies = new CookieContainer();
        using var http = portal.CreateDefaultClient(new CookieContainerHandler(cookies));
        http.DefaultRequestHeaders.Accept.ParseAdd("text/html");
        using var response = await BrowserSession.PostLoginAsync(http, email, password);
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"sign-in failed: {(int)response.StatusCode}");
        return new HubSession(portal, cookies.GetCookieHeader(portal.Server.BaseAddress));
    }

    /// <summary>A new person with the Viewer role (the least that may watch the mesh), signed in.</summary>
    public static async Task<HubSession> NewViewerAsync(PortalFactory portal)
    {
        var email = $"viewer-{Guid.NewGuid():N}@meshwork.test";
        await using (var scope = portal.Services.CreateAsyncScope())
            Assert.True((await scope.ServiceProvider.GetRequiredService<UserAdminService>().CreateAsync(email, "Viewer-Passw0rd!", PortalRoles.Viewer)).Succeeded);
        return await SignInAsync(portal, email, "Viewer-Passw0rd!");
    }

    /// <summary>A .NET SignalR client of /hubs/mesh through the in-memory server (long polling: TestServer has no sockets); null cookie: anonymous.</summary>
    public static HubConnection Connection(PortalFactory portal, string? cookieHeader) => new HubConnectionBuilder()
        .WithUrl(new Uri(portal.Server.BaseAddress, MeshHub.Path.TrimStart('/')), options =>
        {
            options.HttpMessageHandlerFactory = _ => portal.Server.CreateHandler();
            options.Transports = HttpTransportType.LongPolling;
            if (cookieHeader is not null)
                options.Headers["Cookie"] = cookieHeader;
        })
        .Build();

    public HubConnection Connection() => Connection(Portal, CookieHeader);

    /// <summary>A started connection of this session streaming Topology (every namespace), each message read as <typeparamref name="T"/>.</summary>
    public async Task<TopologyStream<T>> OpenTopologyAsync<T>()
    {
        var connection = Connection();
        await connection.StartAsync();
        return new TopologyStream<T>(connection, await connection.StreamAsChannelAsync<T>("Topology", new TopologyFilter()));
    }
}

/// <summary>A Topology stream and the connection it runs on, which disposing stops.</summary>
public sealed record TopologyStream<T>(HubConnection Connection, ChannelReader<T> Stream) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Connection.DisposeAsync();
}
