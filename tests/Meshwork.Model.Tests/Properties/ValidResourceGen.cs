using CsCheck;
using Meshwork.Model.Resources;
using Meshwork.Model.Tests.Validation;

namespace Meshwork.Model.Tests.Properties;

/// <summary>Generators of resources the validator accepts (against <see cref="Valid.Context"/>): realistic variety, no junk.</summary>
internal static class ValidResourceGen
{
    private static readonly Gen<string> Name = Gen.String[Gen.Char["abcdefghijklmnopqrstuvwxyz0123456789"], 1, 12];
    private static readonly Gen<string> Text = Gen.String[Gen.Char[" abcxyzABC:#-'\"\\\n\té中{}[]*&!|>%@`,?"], 0, 30];
    private static readonly Gen<TimeSpan> Duration = Gen.Long[1, TimeSpan.TicksPerHour].Select(TimeSpan.FromTicks);
    private static readonly Gen<double> Percent = Gen.Double[0, 100];

    private static readonly Gen<ResourceMetadata> Metadata =
        Gen.Select(Name, Gen.Dictionary(Gen.String[Gen.Char["abcxyz"], 1, 8], Gen.String[Gen.Char["abc123"], 0, 8])[0, 3], Gen.Long[0, 1000])
            .Select((name, labels, version) => new ResourceMetadata { Name = name, Labels = labels, Version = version });

    private static readonly Gen<Service> Service =
        Gen.Select(Metadata, Gen.Int[1, 65535], Gen.Enum<ServiceProtocol>(), Text.Null(0.5), Gen.Int[0, 4])
            .Select((metadata, port, protocol, description, versions) => new Service
            {
                Metadata = metadata,
                Port = port,
                Protocol = protocol,
                Description = description,
                Versions = Enumerable.Range(1, versions).Select(v => new ServiceVersion { Name = $"v{v}" }).ToList(),
            });

    private static readonly Gen<HttpRouteRule> Rule =
        Gen.Select(Gen.Int[0, 100], Gen.Int[1, 100], Duration.Nullable(0.5), Percent, Gen.Int[200, 599], Gen.Bool)
            .Select((w1, w2, timeout, percent, status, fault) => new HttpRouteRule
            {
                BackendRefs = [new() { Service = "reviews", Version = "v1", Weight = w1 }, new() { Service = "reviews", Version = "v2", Weight = w2 }],
                Timeouts = timeout is null ? null : new RouteTimeouts { Request = timeout },
                Fault = fault ? new FaultInjection { Abort = new FaultAbort { HttpStatus = status, Percent = percent } } : null,
            });

    private static readonly Gen<HttpRoute> Route =
        Gen.Select(Metadata, Rule, Gen.Select(Name, Gen.OneOf<string?>("GET", "POST", null)).Array[0, 3])
            .Select((metadata, rule, paths) => new HttpRoute
            {
                Metadata = metadata,
                ParentRefs = [new() { Name = "reviews" }],
                // Distinct paths, one rule each, then the catch-all: no rule is shadowed.
                Rules = paths.DistinctBy(p => p.Item1).Select(p => rule with
                    {
                        Matches = [new() { Path = new() { Type = PathMatchType.PathPrefix, Value = "/" + p.Item1 }, Method = p.Item2 }],
                    })
                    .Append(rule)
                    .ToList(),
            });

    private static readonly Gen<ResiliencePolicy> Resilience =
        Gen.Select(Metadata, Gen.Int[0, 10], Duration, Percent, Gen.Int[1, 1000], Gen.Int[1, 10])
            .Select((metadata, attempts, timeout, percent, maxTokens, divisor) => new ResiliencePolicy
            {
                Metadata = metadata,
                Service = "ratings",
                Retries = new() { Attempts = attempts, PerTryTimeout = timeout, Budget = new() { BudgetPercent = percent } },
                OutlierDetection = new() { MaxEjectionPercent = percent, BaseEjectionTime = timeout },
                RateLimit = new() { MaxTokens = maxTokens, TokensPerFill = Math.Max(1, maxTokens / divisor) },
            });

    private static readonly Gen<Rollout> Rollout =
        Gen.Select(Metadata, Gen.Int[0, 100].Array[1, 5], Duration.Nullable(0.5), Percent)
            .Select((metadata, weights, pause, successRate) => new Rollout
            {
                Metadata = metadata,
                Service = "reviews",
                StableVersion = "v1",
                CanaryVersion = "v2",
                Steps = weights.Order().SelectMany(w => new[] { new RolloutStep { SetWeight = w }, new RolloutStep { Pause = new() { Duration = pause } } }).ToList(),
                Analysis = new() { MinSuccessRatePercent = successRate },
            });

    private static readonly Gen<AccessPolicy> Access =
        Gen.Select(Metadata, Gen.Enum<AccessAction>(), Name, Gen.OneOf("GET", "POST", "*"))
            .Select((metadata, action, caller, method) => new AccessPolicy
            {
                Metadata = metadata,
                Service = "reviews",
                Action = action,
                Rules = [new() { From = [new() { Principals = [$"spiffe://cluster.local/ns/default/sa/{caller}"] }], To = [new() { Methods = [method], Paths = ["/" + caller + "/*"] }] }],
            });

    private static readonly Gen<MeshSettings> Mesh =
        Gen.Select(Gen.Enum<AccessMode>(), Gen.Long[TimeSpan.TicksPerMinute, TimeSpan.TicksPerDay * 30], Duration.Nullable(0.5))
            .Select((mode, ttl, timeout) => new MeshSettings
            {
                Metadata = new() { Name = MeshSettings.SingletonName },
                DefaultAccessMode = mode,
                CertificateTtl = TimeSpan.FromTicks(ttl),
                DefaultRequestTimeout = timeout,
            });

    public static readonly Gen<Resource> Any = Gen.OneOf<Resource>(
        Service.Select(r => (Resource)r), Route.Select(r => (Resource)r), Resilience.Select(r => (Resource)r),
        Access.Select(r => (Resource)r), Rollout.Select(r => (Resource)r), Mesh.Select(r => (Resource)r));
}
