using Meshwork.Model.Resources;
using Meshwork.Model.Serialization;
using Meshwork.Model.Validation;
using static Meshwork.Model.Tests.Validation.ValidationAssert;

namespace Meshwork.Model.Tests.Validation;

public class TcpRouteValidationTests
{
    private static ValidationResult Validate(TcpRoute route, params Resource[] stored) =>
        ResourceValidator.Validate(route, ValidationContext.From([Valid.Reviews, Valid.Ratings, .. stored]));

    private static TcpRoute WithBackends(params BackendRef[] backends) => Valid.Tcp with { Rules = [new() { BackendRefs = backends }] };

    [Fact]
    public void Accepts_WeightedSplitBetweenVersions() => Clean(Validate(Valid.Tcp));

    [Fact]
    public void Rejects_UnknownParentService() =>
        Single(Validate(Valid.Tcp with { Service = "payments" }), "service", "unknown service 'payments' in namespace 'default'");

    [Theory]
    [InlineData(0)]
    [InlineData(65536)]
    public void Rejects_PortOutOfRange(int port) =>
        Single(Validate(Valid.Tcp with { Port = port }), "port", $"must be a port between 1 and 65535, was {port}");

    [Fact]
    public void Rejects_PortAnotherRouteHolds_InAnyNamespace()
    {
        var staging = new Service { Metadata = new() { Name = "reviews", Namespace = "staging" }, Versions = [new() { Name = "v1" }] };
        var rival = Valid.Tcp with
        {
            Metadata = new() { Name = "db", Namespace = "staging" },
            Rules = [new() { BackendRefs = [new() { Service = "reviews", Version = "v1" }] }],
        };
        Single(Validate(Valid.Tcp, staging, rival), "port",
            "port 15432 already belongs to TcpRoute 'staging/db'; sidecars listen on a route's port for the whole mesh, so pick another port");
    }

    [Fact]
    public void Accepts_UpdateOfItself() =>
        Clean(Validate(Valid.Tcp with { Port = 15432 }, Valid.Tcp with { Metadata = new() { Name = "reviews-tcp", Version = 2 } }));

    [Fact]
    public void Rejects_TwoRules() =>
        Single(Validate(Valid.Tcp with { Rules = [.. Valid.Tcp.Rules, .. Valid.Tcp.Rules] }), "rules",
            "must have exactly one rule (a TCP connection carries nothing else to match on, so the port selects the route), had 2");

    [Fact]
    public void Rejects_NoBackends() =>
        Single(Validate(WithBackends()), "rules[0].backendRefs", "must name at least one backend: a connection with nowhere to go is refused");

    [Fact]
    public void Rejects_UnknownVersion() =>
        Single(Validate(WithBackends(new BackendRef { Service = "reviews", Version = "v9" })),
            "rules[0].backendRefs[0].version", "service 'reviews' has no version 'v9'; its versions are v1, v2");

    [Fact]
    public void Rejects_NegativeWeight() =>
        Single(Validate(WithBackends(new BackendRef { Service = "reviews", Version = "v1", Weight = -1 }, new BackendRef { Service = "reviews", Version = "v2" })),
            "rules[0].backendRefs[0].weight", "must not be negative, was -1");

    [Fact]
    public void Rejects_EveryWeightZero() =>
        Single(Validate(WithBackends(new BackendRef { Service = "reviews", Version = "v1", Weight = 0 }, new BackendRef { Service = "reviews", Version = "v2", Weight = 0 })),
            "rules[0].backendRefs", "every weight is 0, so the rule sends no traffic; give at least one backend a positive weight");

    [Fact]
    public void Yaml_HandWritten_ReadsWithGatewayApiSpelling()
    {
        var read = ResourceYaml.Read("""
            kind: TcpRoute
            metadata:
              name: reviews-tcp
            service: reviews
            port: 15432
            rules:
              - backendRefs:
                  - service: reviews
                    version: v1
                    weight: 80
                  - service: reviews
                    version: v2
                    weight: 20
            """);
        Assert.Empty(read.Issues);
        Assert.Equal(MeshworkJson.Canonical(Valid.Tcp), MeshworkJson.Canonical(Assert.Single(read.Resources)));
    }
}
