using Meshwork.Model.Resources;
using Meshwork.Model.Validation;
using static Meshwork.Model.Tests.Validation.ValidationAssert;

namespace Meshwork.Model.Tests.Validation;

public class MeshSettingsValidationTests
{
    private static ValidationResult Validate(MeshSettings settings) => ResourceValidator.Validate(settings, ValidationContext.Empty);

    [Fact]
    public void Accepts_Defaults() => Clean(Validate(Valid.Mesh));

    [Fact]
    public void Rejects_NameOtherThanMesh() =>
        Single(Validate(Valid.Mesh with { Metadata = new() { Name = "settings" } }), "metadata.name",
            "must be 'mesh': a mesh has one MeshSettings resource, was 'settings'");

    [Fact]
    public void Rejects_NamespaceOtherThanDefault() =>
        Single(Validate(Valid.Mesh with { Metadata = new() { Name = "mesh", Namespace = "prod" } }), "metadata.namespace",
            "must be 'default': MeshSettings is mesh-wide, was 'prod'");

    [Theory]
    [InlineData("example.org")]
    [InlineData("my_mesh.local")]
    public void Accepts_TrustDomain(string domain) => Clean(Validate(Valid.Mesh with { TrustDomain = domain }));

    [Theory]
    [InlineData("Cluster.Local")]
    [InlineData("spiffe://cluster.local")]
    [InlineData("cluster..local")]
    [InlineData("mesh.local:8443")]
    public void Rejects_InvalidTrustDomain(string domain) =>
        Single(Validate(Valid.Mesh with { TrustDomain = domain }), "trustDomain",
            $"'{domain}' is not a valid SPIFFE trust domain: use lowercase letters, digits, '.', '-' and '_', like cluster.local");

    [Fact]
    public void Rejects_EmptyTrustDomain() => Single(Validate(Valid.Mesh with { TrustDomain = "" }), "trustDomain", "is required");

    [Fact]
    public void Rejects_CertificateTtlBelowOneMinute() =>
        Single(Validate(Valid.Mesh with { CertificateTtl = TimeSpan.FromSeconds(30) }), "certificateTtl", "must be at least 1m, was 30s");

    [Fact]
    public void Rejects_CertificateTtlAboveAYear() =>
        Single(Validate(Valid.Mesh with { CertificateTtl = TimeSpan.FromDays(400) }), "certificateTtl", "must be at most 8760h, was 9600h");

    [Fact]
    public void Rejects_ZeroDefaultRequestTimeout() =>
        Single(Validate(Valid.Mesh with { DefaultRequestTimeout = TimeSpan.Zero }), "defaultRequestTimeout", "must be longer than 0s, was 0s");

    [Fact]
    public void Rejects_UndefinedAccessMode() =>
        Single(Validate(Valid.Mesh with { DefaultAccessMode = (AccessMode)7 }), "defaultAccessMode", "'7' is not allowed here; use one of permissive, defaultDeny");

    [Fact]
    public void Rejects_UnknownPathNormalization() =>
        Single(Validate(Valid.Mesh with { PathNormalization = (PathNormalization)9 }), "pathNormalization", "'9' is not allowed here; use one of mergeSlashes, decodeAndMergeSlashes");

    [Fact]
    public void Accepts_TopologyThresholds() => Clean(Validate(Valid.Mesh with { DegradedAbovePercent = 1, FailingAbovePercent = 5 }));

    [Theory]
    [InlineData(-1)]
    [InlineData(100.5)]
    [InlineData(double.NaN)]
    public void Rejects_DegradedThresholdOutsideAPercentage(double value) =>
        Single(Validate(Valid.Mesh with { DegradedAbovePercent = value }), "degradedAbovePercent",
            $"must be a percentage of failed requests from 0 to 100, was {value.ToString(System.Globalization.CultureInfo.InvariantCulture)}");

    [Fact]
    public void Rejects_FailingThresholdNotAboveDegraded() =>
        Single(Validate(Valid.Mesh with { DegradedAbovePercent = 5, FailingAbovePercent = 5 }), "failingAbovePercent",
            "must be above degradedAbovePercent (5), was 5");
}
