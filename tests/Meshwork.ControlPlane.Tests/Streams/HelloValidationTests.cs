using Grpc.Core;
using Meshwork.ControlPlane.Tests.Infrastructure;
using Meshwork.Model.Resources;
using Meshwork.Protocol.Mesh;

namespace Meshwork.ControlPlane.Tests.Streams;

/// <summary>
/// Every field of a Hello checked with the model's name rules: a malformed one is refused alone,
/// naming the field, while a well-formed proxy keeps getting its snapshots; a proxy id held by a
/// live stream cannot be taken over with another key.
/// </summary>
public sealed class HelloValidationTests(ControlPlaneFixture fixture) : IClassFixture<ControlPlaneFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Each case breaks one field; the refusal must name it.</summary>
    private static readonly (string Field, Action<Hello> Break)[] Malformed =
    [
        ("proxy_id", h => h.ProxyId = "Bad_Proxy/../id"),
        ("service", h => h.Service = "Orders!"),
        ("namespace", h => h.Namespace = "UPPER"),
        ("version", h => h.Version = "v 1"),
        ("instance_address", h => h.InstanceAddress = "not-an-address"),
        ("instance_address", h => h.InstanceAddress = "127.0.0.1:99999"),
        ("app_address", h => h.AppAddress = "bad host:80"),
        ("ports", h => h.Ports.Add(new NamedPort { Name = "In Bound", Port = 1 })),
        ("labels", h => h.Labels.Add("bad key!", "x")),
        ("labels", h => h.Labels.Add("app", new string('x', 64))),
    ];

    [Fact]
    public async Task MalformedHellos_AreRefusedOneByOne_WhileAWellFormedProxyKeepsReceivingSnapshots()
    {
        await using var good = await SimulatedProxy.ConnectAsync(fixture.Channel, SimulatedProxy.HelloFor(fixture.Token, "well-formed-1", "well-formed"));
        var before = await good.WaitForAsync(_ => true, Timeout);

        foreach (var (field, breakIt) in Malformed)
        {
            var hello = SimulatedProxy.HelloFor(fixture.Token, $"malformed-{field.Replace('_', '-')}", "malformed");
            breakIt(hello);
            await using var bad = await SimulatedProxy.ConnectAsync(fixture.Channel, hello);
            var refused = await bad.CompletionAsync(Timeout);
            Assert.True(refused?.StatusCode == StatusCode.InvalidArgument, $"{field}: {refused?.Status}");
            Assert.Contains(field, refused!.Status.Detail);
            Assert.Equal(0, bad.Received);
        }

        await fixture.ApplyAsync(new Service { Metadata = new ResourceMetadata { Name = "after-malformed" }, Versions = [new ServiceVersion { Name = "v1" }] });
        var after = await good.WaitForAsync(s => s.Clusters.Any(c => c.Service == "after-malformed"), Timeout);
        Assert.True(after.Version > before.Version);
        Assert.Null(good.Failure);
    }

    [Fact]
    public async Task SecondProxy_WithTheSameIdAndAnotherKey_IsRefusedAndTheFirstKeepsItsStream()
    {
        await using var first = await SimulatedProxy.ConnectAsync(fixture.Channel, SimulatedProxy.HelloFor(fixture.Token, "taken-id", "holder"));
        await first.WaitForAsync(_ => true, Timeout);

        // Another key (every HelloFor signs a fresh one), even for the same service.
        await using var second = await SimulatedProxy.ConnectAsync(fixture.Channel, SimulatedProxy.HelloFor(fixture.Token, "taken-id", "holder"));
        var refused = await second.CompletionAsync(Timeout);

        Assert.Equal(StatusCode.AlreadyExists, refused?.StatusCode);
        Assert.Contains("'taken-id' is held by a live stream", refused!.Status.Detail);
        await fixture.ApplyAsync(new Service { Metadata = new ResourceMetadata { Name = "after-takeover" }, Versions = [new ServiceVersion { Name = "v1" }] });
        await first.WaitForAsync(s => s.Clusters.Any(c => c.Service == "after-takeover"), Timeout);
        Assert.Null(first.Failure);
    }
}
