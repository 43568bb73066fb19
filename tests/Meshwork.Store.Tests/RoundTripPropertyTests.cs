using CsCheck;
using Meshwork.Model.Resources;
using Meshwork.Model.Serialization;
using static Meshwork.Store.Tests.TestResources;

namespace Meshwork.Store.Tests;

/// <summary>Generated valid resources go through the store (jsonb, revisions, audit) and come back exactly.</summary>
public sealed class RoundTripPropertyTests : StoreDatabase
{
    private static readonly Gen<string> Word = Gen.String[Gen.Char["abcdefghijklmnopqrstuvwxyz0123456789"], 1, 10];
    private static readonly Gen<string> Text = Gen.String[Gen.Char[" aZ09:#-'\"\\\n\té中{}[]*&!|>%@`,?\u00a0\U0001F600"], 0, 40];
    private static readonly Gen<TimeSpan> Duration = Gen.Long[1, TimeSpan.TicksPerHour].Select(TimeSpan.FromTicks);

    private static readonly Gen<Service> ServiceGen =
        Gen.Select(Gen.Int[1, 65535], Gen.Enum<ServiceProtocol>(), Text.Null(0.3), Gen.Int[0, 4],
                Gen.Dictionary(Gen.String[Gen.Char["abcxyz"], 1, 8], Gen.String[Gen.Char["abc123"], 0, 8])[0, 3])
            .Select((port, protocol, description, versions, labels) => new Service
            {
                Metadata = new ResourceMetadata { Name = "svc", Labels = labels },
                Port = port,
                Protocol = protocol,
                Description = description,
                Versions = Enumerable.Range(1, versions).Select(v => new ServiceVersion { Name = $"v{v}" }).ToList(),
            });

    private static readonly Gen<HttpRoute> RouteGen =
        Gen.Select(Gen.Int[0, 100], Duration.Nullable(0.5), Gen.Double[0, 100], Word.Array[0, 3], Gen.OneOf<string?>("GET", "POST", null))
            .Select((canary, timeout, mirrorPercent, paths, method) =>
            {
                var rule = new HttpRouteRule
                {
                    BackendRefs =
                    [
                        new BackendRef { Service = "checkout", Version = "v1", Weight = 100 - canary },
                        new BackendRef { Service = "checkout", Version = "v2", Weight = Math.Max(1, canary) },
                    ],
                    Timeouts = timeout is null ? null : new RouteTimeouts { Request = timeout },
                    Filters = mirrorPercent > 50 ? [new HttpRouteFilter
                    {
                        Type = HttpRouteFilterType.RequestMirror,
                        RequestMirror = new RequestMirror { BackendRef = new BackendRef { Service = "checkout", Version = "v2" }, Percent = mirrorPercent },
                    }] : [],
                };
                return new HttpRoute
                {
                    Metadata = new ResourceMetadata { Name = "route" },
                    ParentRefs = [new ParentRef { Name = "checkout" }],
                    // One rule per distinct path, then a catch-all: nothing is shadowed.
                    Rules = paths.Distinct().Select(p => rule with
                    {
                        Matches = [new HttpRouteMatch { Path = new PathMatch { Value = "/" + p }, Method = method }],
                    }).Append(rule).ToList(),
                };
            });

    private static readonly Gen<Resource> AnyGen = Gen.OneOf(ServiceGen.Select(s => (Resource)s), RouteGen.Select(r => (Resource)r));

    [Fact]
    public async Task GetAsync_GeneratedValidResources_ReadBackCanonicallyEqual()
    {
        await using (var setup = OpenContext())
            Assert.IsType<ChangeResult.Applied>(await ServiceOver(setup).ApplyAsync(Checkout(), Alice));
        var counter = 0;

        await AnyGen.SampleAsync(async generated =>
        {
            var name = $"{generated.Metadata.Name}-{Interlocked.Increment(ref counter)}";
            var resource = generated with { Metadata = generated.Metadata with { Name = name, Version = 0 } };
            await using var db = OpenContext();
            var service = ServiceOver(db);

            var result = await service.ApplyAsync(resource, Alice);

            if (result is ChangeResult.Invalid invalid)
                throw new Xunit.Sdk.XunitException("generated resource is invalid: " + string.Join("; ", invalid.Validation.Issues));
            Assert.IsType<ChangeResult.Applied>(result);
            var stored = await service.GetAsync(resource.Key);
            Assert.Equal(MeshworkJson.Canonical(resource with { Metadata = resource.Metadata with { Version = 1 } }), MeshworkJson.Canonical(stored!.Resource));
        }, iter: 60, threads: 1);
    }
}
