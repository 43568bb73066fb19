using Meshwork.Proxy.ControlPlane;

namespace Meshwork.Proxy.Tests.ControlPlane;

public sealed class ControlPlaneClientOptionsValidatorTests
{
    private static readonly ControlPlaneClientOptionsValidator Validator = new();

    [Theory]
    [InlineData("https://cp-a:15010")]
    [InlineData("https://cp-a:15010, https://cp-b:15010 ,https://10.0.0.3:15010")]
    [InlineData("http://127.0.0.1:15010,")]
    public void Accepts_AbsoluteAddressList(string address)
    {
        var result = Validator.Validate(null, new ControlPlaneClientOptions { Address = address, TrustBundleFile = "/etc/mesh/root.pem" });

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Rejects_EntryThatIsNotAnAbsoluteHttpUri_NamingEachBadEntry()
    {
        var result = Validator.Validate(null, new ControlPlaneClientOptions
        {
            Address = "https://cp-a:15010, cp-b:15010, ftp://cp-c", TrustBundleFile = "/etc/mesh/root.pem",
        });

        Assert.Equal(
            [
                "ControlPlaneClient:Address: 'cp-b:15010' is not an absolute http:// or https:// address (e.g. https://127.0.0.1:15010).",
                "ControlPlaneClient:Address: 'ftp://cp-c' is not an absolute http:// or https:// address (e.g. https://127.0.0.1:15010).",
            ],
            result.Failures);
    }

    [Fact]
    public void Rejects_SameAddressTwice()
    {
        var result = Validator.Validate(null, new ControlPlaneClientOptions { Address = "http://cp-a:15010,http://cp-a:15010" });

        Assert.Equal(["ControlPlaneClient:Address: 'http://cp-a:15010' is listed twice."], result.Failures);
    }

    [Fact]
    public void Rejects_HttpsEntryWithoutTrustBundle()
    {
        var result = Validator.Validate(null, new ControlPlaneClientOptions { Address = "http://cp-a:15010, https://cp-b:15010" });

        Assert.Contains("ControlPlaneClient:TrustBundleFile is not set", Assert.Single(result.Failures!));
    }
}
