using Meshwork.Model.Resources;

namespace Meshwork.Model.Tests.Properties;

/// <summary>
/// Builds random resources of every kind from a seed. <see cref="Sane"/> resources hold only
/// values the JSON/YAML form can carry (no nulls where none are allowed, defined enums, finite
/// numbers, non-negative durations) but are otherwise arbitrary: odd strings, wrong names, bad
/// ranges. <see cref="Malformed"/> ones also hold what deserialised data can sneak past the
/// nullable annotations: nulls inside lists and in required members, undefined enums, NaN.
/// </summary>
internal sealed class RandomResources(int seed, bool malformed)
{
    private readonly Random _random = new(seed);

    public static Resource Sane(int seed) => new RandomResources(seed, malformed: false).Resource();

    public static Resource Malformed(int seed) => new RandomResources(seed, malformed: true).Resource();

    private static readonly string[] Pieces =
    [
        "reviews", "v1", "v2", "a", "-", "/", "/api", "*", "spiffe://cluster.local/ns/default/sa/", ".", ":", ": ", "#", " ", "'", "\"", "\\",
        "\n", "\t", "null", "true", "123", "1e3", "~", "&x", "!", "|", ">", "%", "@", "`", "{", "}", "[", "]", ",", "?", "é", "中", "😀",
        "\u2028", "\u0085", "\uFEFF", "\u0001", "GET", "(a+)+", "^/x$", "x-user", "---", "...",
    ];

    private bool Chance(double p) => _random.NextDouble() < p;

    private T Pick<T>(params T[] options) => options[_random.Next(options.Length)];

    private string Text()
    {
        if (Chance(0.5))
            return Pick("reviews", "ratings", "v1", "v2", "default", "x-user", "/api", "/", "GET");
        var count = _random.Next(0, 5);
        return string.Concat(Enumerable.Range(0, count).Select(_ => Pick(Pieces)));
    }

    private string? NullableText() => Chance(0.3) ? null : Text();

    /// <summary>A string where one is required: sometimes null when malformed.</summary>
    private string Required() => malformed && Chance(0.05) ? null! : Text();

    private int Int() => Pick(0, 1, -1, 80, 100, 200, 301, 503, 65535, 65536, int.MaxValue, int.MinValue, _random.Next(-10, 1000));

    private double Number()
    {
        if (malformed && Chance(0.05))
            return Pick(double.NaN, double.PositiveInfinity, double.NegativeInfinity);
        return Pick(0, 100, 50.5, -1, 101, 1e-7, 12345.678, _random.NextDouble() * 100);
    }

    private TimeSpan Duration()
    {
        if (malformed && Chance(0.1))
            return TimeSpan.FromTicks(-_random.Next(1, 1_000_000));
        return Pick(TimeSpan.Zero, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(10), TimeSpan.FromHours(30),
            TimeSpan.FromTicks(_random.NextInt64(0, TimeSpan.TicksPerDay * 400)));
    }

    private TimeSpan? NullableDuration() => Chance(0.4) ? null : Duration();

    private TEnum Enum<TEnum>()
        where TEnum : struct, Enum
    {
        if (malformed && Chance(0.05))
            return (TEnum)(object)77;
        var values = System.Enum.GetValues<TEnum>();
        return values[_random.Next(values.Length)];
    }

    private IReadOnlyList<T> List<T>(Func<T> item, int max = 3)
        where T : class?
    {
        var items = new List<T>();
        var count = _random.Next(0, max + 1);
        for (var i = 0; i < count; i++)
            items.Add(malformed && Chance(0.05) ? null! : item());
        return items;
    }

    private T? Maybe<T>(Func<T> make)
        where T : class => Chance(0.4) ? null : make();

    private Dictionary<string, string> Labels()
    {
        var labels = new Dictionary<string, string>();
        foreach (var _ in Enumerable.Range(0, _random.Next(0, 3)))
            labels[Text()] = malformed && Chance(0.1) ? null! : Text();
        return labels;
    }

    private ResourceMetadata Metadata() => new()
    {
        Name = Required(),
        Namespace = Chance(0.7) ? ResourceMetadata.DefaultNamespace : Required(),
        Labels = Labels(),
        Version = Pick(0L, 1L, 42L, -1L),
    };

    public Resource Resource()
    {
        if (malformed && Chance(0.02))
            return null!;
        return _random.Next(6) switch
        {
            0 => Service(),
            1 => Route(),
            2 => Resilience(),
            3 => Access(),
            4 => Rollout(),
            _ => Mesh(),
        };
    }

    private Service Service() => new()
    {
        Metadata = Metadata(),
        Port = Int(),
        Protocol = Enum<ServiceProtocol>(),
        Description = NullableText(),
        Versions = List(() => new ServiceVersion { Name = Required(), Labels = Labels() }),
    };

    private BackendRef Backend() => new()
    {
        Service = Required(),
        Namespace = Chance(0.8) ? null : Text(),
        Version = NullableText(),
        Weight = Int(),
    };

    private HttpRoute Route() => new()
    {
        Metadata = Metadata(),
        ParentRefs = List(() => new ParentRef { Kind = Enum<ParentKind>(), Name = Required(), Namespace = Chance(0.8) ? null : Text() }),
        Hostnames = List(Required),
        Rules = List(() => new HttpRouteRule
        {
            Name = NullableText(),
            Matches = List(() => new HttpRouteMatch
            {
                Path = Maybe(() => new PathMatch { Type = Enum<PathMatchType>(), Value = Required() }),
                Method = NullableText(),
                Headers = List(() => new HeaderMatch { Type = Enum<StringMatchType>(), Name = Required(), Value = Required() }),
                QueryParams = List(() => new QueryParamMatch { Type = Enum<StringMatchType>(), Name = Required(), Value = Required() }),
            }),
            Filters = List(Filter),
            BackendRefs = List(Backend),
            Timeouts = Maybe(() => new RouteTimeouts { Request = NullableDuration(), BackendRequest = NullableDuration() }),
            Fault = Maybe(() => new FaultInjection
            {
                Delay = Maybe(() => new FaultDelay { FixedDelay = Duration(), Percent = Number() }),
                Abort = Maybe(() => new FaultAbort { HttpStatus = Int(), Percent = Number() }),
            }),
        }, max: 4),
    };

    private HttpRouteFilter Filter()
    {
        var type = Enum<HttpRouteFilterType>();
        // Usually the property the type names; sometimes another or none, as users do get it wrong.
        var which = Chance(0.8) ? type : Enum<HttpRouteFilterType>();
        HeaderModifier Modifier() => new()
        {
            Set = List(() => new HttpHeader { Name = Required(), Value = Required() }),
            Add = List(() => new HttpHeader { Name = Required(), Value = Required() }),
            Remove = List(Required),
        };
        PathModifier PathModifier() => new() { Type = Enum<PathModifierType>(), Value = Required() };
        return new HttpRouteFilter
        {
            Type = type,
            RequestHeaderModifier = which == HttpRouteFilterType.RequestHeaderModifier ? Modifier() : null,
            ResponseHeaderModifier = which == HttpRouteFilterType.ResponseHeaderModifier ? Modifier() : null,
            UrlRewrite = which == HttpRouteFilterType.UrlRewrite ? new UrlRewrite { Hostname = NullableText(), Path = Maybe(PathModifier) } : null,
            RequestRedirect = which == HttpRouteFilterType.RequestRedirect
                ? new RequestRedirect { Scheme = NullableText(), Hostname = NullableText(), Path = Maybe(PathModifier), Port = Chance(0.5) ? null : Int(), StatusCode = Int() }
                : null,
            RequestMirror = which == HttpRouteFilterType.RequestMirror ? new RequestMirror { BackendRef = malformed && Chance(0.1) ? null! : Backend(), Percent = Number() } : null,
        };
    }

    private ResiliencePolicy Resilience() => new()
    {
        Metadata = Metadata(),
        Service = Required(),
        Retries = Maybe(() => new RetryPolicy
        {
            Attempts = Int(),
            PerTryTimeout = NullableDuration(),
            RetryOn = List(() => Chance(0.7) ? Pick(RetryPolicy.KnownConditions.ToArray()) : Required()),
            RetriableStatusCodes = Enumerable.Range(0, _random.Next(3)).Select(_ => Int()).ToList(),
            BackoffBase = Duration(),
            BackoffMax = Duration(),
            Budget = malformed && Chance(0.1) ? null! : new RetryBudget { BudgetPercent = Number(), MinRetryConcurrency = Int() },
        }),
        ConnectionPool = Maybe(() => new ConnectionPoolSettings
        {
            MaxConnections = Int(), MaxPendingRequests = Int(), MaxRequests = Int(), MaxRequestsPerConnection = Int(),
            ConnectTimeout = Duration(), IdleTimeout = Duration(), TcpIdleTimeout = Duration(),
        }),
        OutlierDetection = Maybe(() => new OutlierDetection
        {
            Consecutive5xxErrors = Int(), Interval = Duration(), BaseEjectionTime = Duration(), MaxEjectionPercent = Number(),
        }),
        HealthCheck = Maybe(() => new ActiveHealthCheck
        {
            Path = Required(), Interval = Duration(), Timeout = Duration(), UnhealthyThreshold = Int(), HealthyThreshold = Int(),
        }),
        LoadBalancer = malformed && Chance(0.1) ? null! : new LoadBalancerSettings { Policy = Enum<LoadBalancingPolicy>(), HashHeader = NullableText() },
        RateLimit = Maybe(() => new LocalRateLimit { MaxTokens = Int(), TokensPerFill = Int(), FillInterval = Duration() }),
    };

    private AccessPolicy Access() => new()
    {
        Metadata = Metadata(),
        Service = NullableText(),
        Action = Enum<AccessAction>(),
        Rules = List(() => new AccessRule
        {
            From = List(() => new AccessSource { Principals = List(Required), Services = List(Required), Namespaces = List(Required) }),
            To = List(() => new AccessOperation { Methods = List(Required), Paths = List(Required), NotPaths = List(Required) }),
            When = List(() => new AccessCondition { Header = Required(), Values = List(Required) }),
        }),
    };

    private Rollout Rollout() => new()
    {
        Metadata = Metadata(),
        Service = Required(),
        StableVersion = Required(),
        CanaryVersion = Required(),
        Steps = List(() => new RolloutStep
        {
            SetWeight = Chance(0.5) ? Int() : null,
            Pause = Maybe(() => new RolloutPause { Duration = NullableDuration() }),
            Mirror = Maybe(() => new RolloutMirror { Percent = Int() }),
        }, max: 5),
        Analysis = malformed && Chance(0.1) ? null! : new RolloutAnalysis
        {
            Interval = Duration(), MinSuccessRatePercent = Number(), MaxLatencyP99 = Duration(), FailureLimit = Int(), MinRequests = Int(),
        },
        CanaryHeader = Maybe(() => new HeaderMatch { Type = Enum<StringMatchType>(), Name = Required(), Value = Required() }),
        Webhooks = List(() => new RolloutWebhook { Name = Required(), Url = Required(), Type = Enum<RolloutWebhookType>(), Timeout = Duration(), Retries = Int() }, max: 3),
        AutoPromote = Chance(0.5),
    };

    private MeshSettings Mesh() => new()
    {
        Metadata = Metadata(),
        DefaultAccessMode = Enum<AccessMode>(),
        TrustDomain = Required(),
        CertificateTtl = Duration(),
        DefaultRequestTimeout = NullableDuration(),
    };
}
