using System.IO.Pipelines;
using System.Text;
using Meshwork.Proxy.Interception;

namespace Meshwork.Proxy.Tests.Interception;

public sealed class ProtocolSnifferTests
{
    [Theory]
    [InlineData("GET / HTTP/1.1\r\n", true)]
    [InlineData("DELETE /x HTTP/1.1\r\n", true)]
    [InlineData("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", true)]
    [InlineData("HELO example.com\r\n", false)]
    [InlineData("\u0016\u0003\u0001\u0002\u0000", false)]
    [InlineData("get / HTTP/1.1\r\n", false)]
    [InlineData("GETX / HTTP/1.1\r\n", false)]
    [InlineData("GE", null)]
    [InlineData("OPTIONS", null)]
    [InlineData("", null)]
    public void ClassifiesByTheFirstBytes(string head, bool? expected) =>
        Assert.Equal(expected, ProtocolSniffer.Classify(Encoding.Latin1.GetBytes(head)));

    [Fact]
    public async Task AMethodSplitAcrossReadsIsHttpAndNothingIsConsumed()
    {
        var pipe = new Pipe();
        var sniffing = ProtocolSniffer.IsHttpAsync(pipe.Reader, TimeSpan.FromMinutes(1), CancellationToken.None);
        await pipe.Writer.WriteAsync("PO"u8.ToArray());
        await pipe.Writer.WriteAsync("ST / HTTP/1.1\r\n"u8.ToArray());

        Assert.True(await sniffing);
        var read = await pipe.Reader.ReadAsync();
        Assert.Equal("POST / HTTP/1.1\r\n", Encoding.ASCII.GetString(read.Buffer));
    }

    [Fact]
    public async Task AClientThatSendsNothingIsTakenForAServerFirstProtocol()
    {
        var pipe = new Pipe();

        Assert.False(await ProtocolSniffer.IsHttpAsync(pipe.Reader, TimeSpan.FromMilliseconds(50), CancellationToken.None));
    }

    [Fact]
    public async Task AMethodPrefixFollowedBySilenceIsNotHttpAndItsBytesAreReadNext()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync("GE"u8.ToArray());

        Assert.False(await ProtocolSniffer.IsHttpAsync(pipe.Reader, TimeSpan.FromMilliseconds(50), CancellationToken.None));
        var read = await pipe.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("GE", Encoding.ASCII.GetString(read.Buffer));
    }

    [Fact]
    public async Task AfterAPrefixAndSilenceTheRelaysStreamReadsTheWaitingBytesThenTheRest()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync("GE"u8.ToArray());

        Assert.False(await ProtocolSniffer.IsHttpAsync(pipe.Reader, TimeSpan.FromMilliseconds(50), CancellationToken.None));
        // A stream over the pipe alone would wait for more bytes (or fail on the cancelled read): SniffedInput serves them at once.
        await using var input = SniffedInput.Take(pipe.Reader);
        var buffer = new byte[8];
        var read = await input.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("GE", Encoding.ASCII.GetString(buffer, 0, read));
        await pipe.Writer.WriteAsync("T more"u8.ToArray());
        read = await input.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("T more", Encoding.ASCII.GetString(buffer, 0, read));
    }
}
