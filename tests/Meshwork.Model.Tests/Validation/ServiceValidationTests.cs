using Meshwork.Model.Resources;
using Meshwork.Model.Validation;
using static Meshwork.Model.Tests.Validation.ValidationAssert;

namespace Meshwork.Model.Tests.Validation;

public class ServiceValidationTests
{
    private static ValidationResult Validate(Service service) => ResourceValidator.Validate(service, ValidationContext.Empty);

    [Theory]
    [InlineData(1)]
    [InlineData(65535)]
    public void Accepts_PortInRange(int port) => Clean(Validate(Valid.Reviews with { Port = port }));

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(65536)]
    public void Rejects_PortOutOfRange(int port) =>
        Single(Validate(Valid.Reviews with { Port = port }), "port", $"must be a port between 1 and 65535, was {port}");

    [Fact]
    public void Rejects_UndefinedProtocol() =>
        Single(Validate(Valid.Reviews with { Protocol = (ServiceProtocol)42 }), "protocol", "'42' is not allowed here; use one of http, http2, grpc");

    [Fact]
    public void Rejects_DuplicateVersionNames() =>
        Single(Validate(Valid.Reviews with { Versions = [new() { Name = "v1" }, new() { Name = "v2" }, new() { Name = "v1" }] }),
            "versions[2].name", "duplicate version name 'v1'; versions[0] has it too");

    [Fact]
    public void Rejects_VersionNameThatIsNotADnsLabel() =>
        Single(Validate(Valid.Reviews with { Versions = [new() { Name = "V1.0" }] }),
            "versions[0].name", "'V1.0' is not a valid name: use 1-63 lowercase letters, digits or '-', starting and ending with a letter or digit");

    [Fact]
    public void Rejects_NullVersionEntry() =>
        Single(Validate(Valid.Reviews with { Versions = [new() { Name = "v1" }, null!] }), "versions[1]", "must not be empty");

    [Fact]
    public void Rejects_VeryLongDescription() =>
        Single(Validate(Valid.Reviews with { Description = new string('x', 1025) }), "description", "must be at most 1024 characters, was 1025");
}
