using Meshwork.Model.Resources;
using Meshwork.Proxy.Routing;

namespace Meshwork.Proxy.Tests.Routing;

/// <summary>What the proxy reads of gRPC from the network: deadlines, statuses and content types, hostile values included.</summary>
public sealed class GrpcProtocolTests
{
    [Theory]
    [InlineData("2H", 2 * 3_600_000.0)]
    [InlineData("3M", 180_000.0)]
    [InlineData("20S", 20_000.0)]
    [InlineData("300m", 300.0)]
    [InlineData("1500u", 1.5)]
    [InlineData("2000000n", 2.0)]
    [InlineData("99999999m", 99_999_999.0)]
    public void ParseTimeout_EveryUnit(string header, double milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), GrpcProtocol.ParseTimeout(header));

    [Theory]
    [InlineData("")]
    [InlineData("m")]
    [InlineData("100")]
    [InlineData("100x")]
    [InlineData("-5m")]
    [InlineData("+5m")]
    [InlineData("1 m")]
    [InlineData("123456789m")]
    [InlineData("٣m")]
    public void ParseTimeout_Malformed_IsNoDeadline(string header) => Assert.Null(GrpcProtocol.ParseTimeout(header));

    [Fact]
    public void ParseTimeout_TwoValues_IsNoDeadline() => Assert.Null(GrpcProtocol.ParseTimeout(new(["1S", "2S"])));

    [Theory]
    [InlineData(500.0, "500m")]
    [InlineData(0.2, "1m")]
    [InlineData(1500.4, "1501m")]
    public void FormatTimeout_MillisecondsRoundedUp(double milliseconds, string expected) =>
        Assert.Equal(expected, GrpcProtocol.FormatTimeout(TimeSpan.FromMilliseconds(milliseconds)));

    [Fact]
    public void FormatTimeout_BeyondEightDigitsOfMilliseconds_InSeconds() =>
        Assert.Equal("172800S", GrpcProtocol.FormatTimeout(TimeSpan.FromDays(2)));

    [Theory]
    [InlineData("0", 0)]
    [InlineData("14", 14)]
    [InlineData("16", 16)]
    [InlineData("17", 2)]
    [InlineData("-1", 2)]
    [InlineData("abc", 2)]
    [InlineData("99999999999999999999", 2)]
    public void ParseStatus_OutOfRangeOrText_IsUnknown(string value, int expected) => Assert.Equal(expected, GrpcProtocol.ParseStatus(value));

    [Fact]
    public void ParseStatus_Absent_IsNull() => Assert.Null(GrpcProtocol.ParseStatus(default));

    [Theory]
    [InlineData("application/grpc", true)]
    [InlineData("application/grpc+proto", true)]
    [InlineData("application/GRPC;charset=utf-8", true)]
    [InlineData("application/grpc-web", false)]
    [InlineData("application/grpc-web+proto", false)]
    [InlineData("application/grpcx", false)]
    [InlineData("application/json", false)]
    [InlineData(null, false)]
    public void IsGrpc_ContentTypes(string? contentType, bool expected) => Assert.Equal(expected, GrpcProtocol.IsGrpc(contentType));

    [Fact]
    public void RetryConditions_AreTheModelsGrpcConditions() =>
        Assert.Equal(RetryPolicy.GrpcConditions.Order(), GrpcProtocol.RetryConditions.Values.Order());
}
