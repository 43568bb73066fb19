using Meshwork.Model.Resources;
using Meshwork.Model.Validation;
using static Meshwork.Model.Tests.Validation.ValidationAssert;

namespace Meshwork.Model.Tests.Validation;

public class AccessPolicyValidationTests
{
    private static ValidationResult Validate(AccessPolicy policy) => ResourceValidator.Validate(policy, Valid.Context);

    private static AccessPolicy From(AccessSource source) => Valid.Access with { Rules = [new() { From = [source] }] };

    private static AccessPolicy To(AccessOperation operation) => Valid.Access with { Rules = [new() { To = [operation] }] };

    [Fact]
    public void Accepts_NamespaceWidePolicyWithoutService() => Clean(Validate(Valid.Access with { Service = null }));

    [Fact]
    public void Rejects_UnknownService() =>
        Single(Validate(Valid.Access with { Service = "details" }), "service", "unknown service 'details' in namespace 'default'");

    [Theory]
    [InlineData("*")]
    [InlineData("spiffe://cluster.local/ns/default/sa/frontend")]
    [InlineData("spiffe://cluster.local/ns/default/*")]
    [InlineData("*/sa/frontend")]
    [InlineData("spiffe://example.org")]
    [InlineData("cluster.local/ns/default/sa/frontend")]
    [InlineData("cluster.local/ns/default/*")]
    public void Accepts_Principal(string principal) => Clean(Validate(From(new() { Principals = [principal] })));

    [Theory]
    [InlineData("frontend")]
    [InlineData("frontend*")]
    [InlineData("spiffe://*")]
    [InlineData("spiffe://cluster.local/ns/*/sa/frontend")]
    [InlineData("spiffe://Cluster.Local/ns/default")]
    [InlineData("spiffe://cluster.local/ns//sa")]
    [InlineData("*frontend*")]
    [InlineData("")]
    public void Rejects_PrincipalThatIsNotSpiffeOrGlob(string principal) =>
        Single(Validate(From(new() { Principals = [principal] })), "rules[0].from[0].principals[0]",
            $"'{principal}' is not a principal: use a SPIFFE ID such as spiffe://cluster.local/ns/default/sa/frontend, a prefix ending in '*' (spiffe://cluster.local/ns/default/*), a suffix starting with '*' (*/sa/frontend) or '*'");

    [Fact]
    public void Rejects_SourceServiceThatIsNotADnsLabel() =>
        Single(Validate(From(new() { Services = ["Front_End"] })), "rules[0].from[0].services[0]",
            "'Front_End' is not a valid name: use 1-63 lowercase letters, digits or '-', starting and ending with a letter or digit");

    [Fact]
    public void Rejects_SourceNamespaceThatIsNotADnsLabel() =>
        Single(Validate(From(new() { Namespaces = ["prod.eu"] })), "rules[0].from[0].namespaces[0]",
            "'prod.eu' is not a valid name: use 1-63 lowercase letters, digits or '-', starting and ending with a letter or digit");

    [Fact]
    public void Rejects_NullPrincipal() =>
        Single(Validate(From(new() { Principals = [null!] })), "rules[0].from[0].principals[0]", "must not be empty");

    [Fact]
    public void Accepts_MethodsAndPathGlobs() =>
        Clean(Validate(To(new() { Methods = ["GET", "*"], Paths = ["/api/users", "/api/*", "*.json", "*"], NotPaths = ["/admin/*"] })));

    [Fact]
    public void Rejects_UnknownMethod() =>
        Single(Validate(To(new() { Methods = ["get"] })), "rules[0].to[0].methods[0]",
            "'get' is not an HTTP method; use one of GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH");

    [Theory]
    [InlineData("api/*")]
    [InlineData("/api/*/users")]
    [InlineData("*/api/*")]
    public void Rejects_PathPattern(string path) =>
        Single(Validate(To(new() { NotPaths = [path] })), "rules[0].to[0].notPaths[0]",
            $"'{path}' is not a path pattern: use an exact path (/api/users), a prefix ending in '*' (/api/*), a suffix starting with '*' (*.json) or '*'");

    [Fact]
    public void Accepts_ConditionWithoutValuesMeaningHeaderPresent() =>
        Clean(Validate(Valid.Access with { Rules = [new() { When = [new() { Header = "x-tenant" }] }] }));

    [Fact]
    public void Rejects_NullConditionValue() =>
        Single(Validate(Valid.Access with { Rules = [new() { When = [new() { Header = "x-tenant", Values = ["a", null!] }] }] }), "rules[0].when[0].values[1]", "must not be empty");

    [Theory]
    [InlineData("front*")]
    [InlineData("*-api")]
    public void Accepts_SourceServiceGlob(string service) => Clean(Validate(From(new() { Services = [service] })));

    [Theory]
    [InlineData("Front*")]
    [InlineData("**")]
    public void Rejects_SourceNamespaceGlob(string pattern) =>
        Single(Validate(From(new() { Namespaces = [pattern] })), "rules[0].from[0].namespaces[0]",
            $"'{pattern}' is not a name pattern: use a name, '*', or part of a name with '*' at the start or end (front*)");

    [Fact]
    public void Rejects_ConditionWithInvalidHeader() =>
        Single(Validate(Valid.Access with { Rules = [new() { When = [new() { Header = "x tenant", Values = ["a"] }] }] }), "rules[0].when[0].header",
            "'x tenant' is not a valid header name: use letters, digits and !#$%&'*+-.^_`|~");

    [Fact]
    public void Warns_DenyWithoutRules() =>
        Single(Validate(Valid.Access with { Action = AccessAction.Deny, Rules = [] }), "rules",
            "a DENY policy without rules matches no request, so it denies nothing", IssueSeverity.Warning);

    [Fact]
    public void Accepts_AllowNothingPolicy() => Clean(Validate(Valid.Access with { Rules = [] }));

    [Fact]
    public void Rejects_UndefinedAction() =>
        Single(Validate(Valid.Access with { Action = (AccessAction)5 }), "action", "'5' is not allowed here; use one of allow, deny");
}

public class AccessPolicyValidationEdgeTests
{
    [Fact]
    public void Accepts_WildcardServicesAndNamespaces() =>
        Clean(ResourceValidator.Validate(Valid.Access with { Rules = [new() { From = [new() { Services = ["*"], Namespaces = ["*"] }] }] }, Valid.Context));

    [Fact]
    public void Rejects_NullRule() =>
        Single(ResourceValidator.Validate(Valid.Access with { Rules = [null!] }, Valid.Context), "rules[0]", "must not be empty");

    [Fact]
    public void Rejects_ServiceInAnotherNamespace() =>
        Single(ResourceValidator.Validate(Valid.Access with { Metadata = new() { Name = "p", Namespace = "prod" } }, Valid.Context), "service",
            "unknown service 'reviews' in namespace 'prod'; there is one in namespace default (this resource must be in the service's namespace)");
}
