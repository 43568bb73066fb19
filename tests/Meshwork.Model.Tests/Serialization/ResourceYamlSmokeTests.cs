using Meshwork.Model.Resources;
using Meshwork.Model.Serialization;

namespace Meshwork.Model.Tests.Serialization;

public class ResourceYamlSmokeTests
{
    [Fact]
    public void Write_ThenRead_RoundTrips()
    {
        Resource[] resources =
        [
            new Service { Metadata = new() { Name = "reviews", Labels = new Dictionary<string, string> { ["app.kubernetes.io/name"] = "true" } }, Versions = [new() { Name = "v1" }] },
            new HttpRoute
            {
                Metadata = new() { Name = "reviews" },
                Rules = [new() { Matches = [new() { Headers = [new() { Name = "x", Value = "null" }] }], BackendRefs = [new() { Service = "reviews", Version = "v1" }], Timeouts = new() { Request = TimeSpan.FromSeconds(3) } }],
            },
        ];
        var yaml = ResourceYaml.Write(resources);
        var read = ResourceYaml.Read(yaml);
        Assert.Empty(read.Issues);
        Assert.Equal(resources.Select(MeshworkJson.Canonical), read.Resources.Select(MeshworkJson.Canonical));
    }
}
