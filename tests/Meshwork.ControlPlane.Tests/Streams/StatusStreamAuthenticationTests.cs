using Grpc.Core;
using Meshwork.ControlPlane.Tests.Infrastructure;
using Meshwork.Protocol.Status;

namespace Meshwork.ControlPlane.Tests.Streams;

/// <summary>The status stream shows the whole fleet and its traffic: only the portal's token may watch it.</summary>
public sealed class StatusStreamAuthenticationTests(ControlPlaneFixture fixture) : IClassFixture<ControlPlaneFixture>
{
    [Theory]
    [InlineData(null)]
    [InlineData("not-the-token")]
    public async Task Watch_WithoutTheStatusToken_IsUnauthenticatedAndSendsNothing(string? token)
    {
        var client = new MeshStatus.MeshStatusClient(fixture.Channel);
        using var call = client.Watch(new WatchRequest(), StatusStreamAuthentication.Headers(token));

        var refused = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));

        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
    }

    [Fact]
    public async Task Watch_WithTheStatusToken_ReceivesTheFullState()
    {
        var client = new MeshStatus.MeshStatusClient(fixture.Channel);
        using var call = client.Watch(new WatchRequest(), StatusStreamAuthentication.Headers(ControlPlaneProcess.StatusToken));

        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.True(call.ResponseStream.Current.FullState);
    }
}
