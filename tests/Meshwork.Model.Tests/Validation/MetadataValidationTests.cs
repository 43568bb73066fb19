using Meshwork.Model.Resources;
using Meshwork.Model.Validation;
using static Meshwork.Model.Tests.Validation.ValidationAssert;

namespace Meshwork.Model.Tests.Validation;

public class MetadataValidationTests
{
    private static ValidationResult Validate(Resource resource) => ResourceValidator.Validate(resource, Valid.Context);

    [Fact]
    public void Accepts_EveryValidResource()
    {
        foreach (var resource in Valid.All)
            Clean(Validate(resource));
    }

    [Theory]
    [InlineData("a")]
    [InlineData("reviews-v2")]
    [InlineData("0day")]
    public void Accepts_DnsLabelName(string name) =>
        Clean(Validate(Valid.Reviews with { Metadata = new() { Name = name } }));

    [Theory]
    [InlineData("Reviews")]
    [InlineData("reviews_v2")]
    [InlineData("-reviews")]
    [InlineData("reviews-")]
    [InlineData("re.views")]
    public void Rejects_NameThatIsNotADnsLabel(string name) =>
        Single(Validate(Valid.Ratings with { Metadata = new() { Name = name } }), "metadata.name",
            $"'{name}' is not a valid name: use 1-63 lowercase letters, digits or '-', starting and ending with a letter or digit");

    [Fact]
    public void Rejects_NameLongerThan63Characters()
    {
        var name = new string('a', 64);
        Single(Validate(Valid.Ratings with { Metadata = new() { Name = name } }), "metadata.name",
            $"'{name}' is not a valid name: use 1-63 lowercase letters, digits or '-', starting and ending with a letter or digit");
    }

    [Fact]
    public void Rejects_EmptyName() =>
        Single(Validate(Valid.Ratings with { Metadata = new() { Name = "" } }), "metadata.name", "is required");

    [Fact]
    public void Rejects_InvalidNamespace() =>
        Single(Validate(Valid.Ratings with { Metadata = new() { Name = "ratings", Namespace = "Prod" } }), "metadata.namespace",
            "'Prod' is not a valid name: use 1-63 lowercase letters, digits or '-', starting and ending with a letter or digit");

    [Fact]
    public void Rejects_MissingMetadata() =>
        Single(Validate(Valid.Ratings with { Metadata = null! }), "metadata", "is required");

    [Fact]
    public void Rejects_NegativeVersion() =>
        Single(Validate(Valid.Ratings with { Metadata = new() { Name = "ratings", Version = -1 } }), "metadata.version", "must not be negative, was -1");

    [Fact]
    public void Accepts_KubernetesLabels() =>
        Clean(Validate(Valid.Ratings with
        {
            Metadata = new() { Name = "ratings", Labels = new Dictionary<string, string> { ["app.kubernetes.io/name"] = "ratings", ["tier"] = "" } },
        }));

    [Fact]
    public void Rejects_InvalidLabelKey() =>
        Single(Validate(Valid.Ratings with { Metadata = new() { Name = "ratings", Labels = new Dictionary<string, string> { ["bad key"] = "x" } } }),
            "metadata.labels[\"bad key\"]",
            "'bad key' is not a valid label key: an optional DNS prefix and '/', then up to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit");

    [Fact]
    public void Rejects_InvalidLabelValue() =>
        Single(Validate(Valid.Ratings with { Metadata = new() { Name = "ratings", Labels = new Dictionary<string, string> { ["tier"] = "front end" } } }),
            "metadata.labels.tier",
            "'front end' is not a valid label value: up to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit");

    [Fact]
    public void Rejects_NullLabelValue() =>
        Single(Validate(Valid.Ratings with { Metadata = new() { Name = "ratings", Labels = new Dictionary<string, string> { ["tier"] = null! } } }),
            "metadata.labels.tier", "a value is required (it may be empty)");

    [Fact]
    public void Validate_EveryErrorAtOnce_ReportsAll()
    {
        var result = Validate(new Service { Metadata = new() { Name = "Bad_Name", Namespace = "" }, Port = 0, Versions = [new() { Name = "V1" }] });
        Assert.Equal(["metadata.name", "metadata.namespace", "port", "versions[0].name"], result.Issues.Select(i => i.Path));
        Assert.False(result.IsValid);
    }

    [Fact]
    public void Validate_NullResource_ReportsInsteadOfThrowing() =>
        Single(ResourceValidator.Validate(null!, Valid.Context), "", "a resource is required");

    [Fact]
    public void Validate_NullContext_TreatsAsNoServices() =>
        Single(ResourceValidator.Validate(Valid.Resilience, null!), "service", "unknown service 'reviews' in namespace 'default'");
}
