using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Meshwork.Proxy.Tests.Http1;

/// <summary>
/// One client TCP connection that writes exact bytes (malformed ones included) and reads responses one
/// at a time, framed by Content-Length or chunked encoding, or up to the close: what an HttpClient
/// cannot do (pipelining, bare LF, a body cut short).
/// </summary>
public sealed class RawHttpConnection : IAsyncDisposable
{
    private readonly TcpClient client;
    private readonly NetworkStream stream;
    private readonly MemoryStream pending = new();

    private RawHttpConnection(TcpClient client)
    {
        this.client = client;
        stream = client.GetStream();
    }

    public static async Task<RawHttpConnection> ConnectAsync(int port)
    {
        var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync("127.0.0.1", port);
        return new RawHttpConnection(client);
    }

    public async Task SendAsync(string text) => await SendAsync(Encoding.Latin1.GetBytes(text));

    public async Task SendAsync(byte[] bytes)
    {
        await stream.WriteAsync(bytes);
        await stream.FlushAsync();
    }

    /// <summary>Closes the sending side (the server sees end of input).</summary>
    public void ShutdownSend() => client.Client.Shutdown(SocketShutdown.Send);

    /// <summary>The next response, or null when the server closed before sending one.</summary>
    public async Task<RawResponse?> ReadResponseAsync(bool head = false, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        while (true)
        {
            var headEnd = IndexOf(pending.ToArray(), "\r\n\r\n"u8);
            if (headEnd >= 0)
            {
                var headText = Encoding.Latin1.GetString(pending.ToArray(), 0, headEnd);
                var lines = headText.Split("\r\n");
                var status = int.Parse(lines[0].Split(' ')[1], CultureInfo.InvariantCulture);
                var headers = lines.Skip(1).Select(l => l.Split(':', 2)).Select(p => (Name: p[0].Trim(), Value: p[1].Trim())).ToList();
                Consume(headEnd + 4);
                if (status is >= 100 and < 200)
                {
                    Interim.Add(status);
                    continue;
                }
                var body = head || status is 204 or 304 ? [] : await BodyAsync(headers, timeout.Token);
                return new RawResponse(status, headers, body);
            }
            if (!await FillAsync(timeout.Token))
                return null;
        }
    }

    /// <summary>1xx responses seen before final ones.</summary>
    public List<int> Interim { get; } = [];

    /// <summary>True when the server closed the connection (after anything still buffered was read).</summary>
    public async Task<bool> ClosedAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            while (await FillAsync(timeout.Token))
            {
            }
            return true;
        }
        catch (IOException)
        {
            return true;
        }
    }

    private async Task<byte[]> BodyAsync(List<(string Name, string Value)> headers, CancellationToken cancellationToken)
    {
        var length = headers.FirstOrDefault(h => h.Name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)).Value;
        if (length is not null)
            return await TakeAsync(int.Parse(length, CultureInfo.InvariantCulture), cancellationToken);
        if (headers.Any(h => h.Name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)))
        {
            var body = new MemoryStream();
            while (true)
            {
                var sizeLine = Encoding.ASCII.GetString(await LineAsync(cancellationToken));
                var size = int.Parse(sizeLine.Split(';')[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (size == 0)
                {
                    while ((await LineAsync(cancellationToken)).Length > 0)
                    {
                    }
                    return body.ToArray();
                }
                body.Write(await TakeAsync(size, cancellationToken));
                await TakeAsync(2, cancellationToken);
            }
        }
        while (await FillAsync(cancellationToken))
        {
        }
        var rest = pending.ToArray();
        Consume(rest.Length);
        return rest;
    }

    private async Task<byte[]> LineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var data = pending.ToArray();
            var end = IndexOf(data, "\r\n"u8);
            if (end >= 0)
            {
                Consume(end + 2);
                return data[..end];
            }
            if (!await FillAsync(cancellationToken))
                throw new IOException("connection closed inside a chunked body");
        }
    }

    private async Task<byte[]> TakeAsync(int count, CancellationToken cancellationToken)
    {
        while (pending.Length < count)
        {
            if (!await FillAsync(cancellationToken))
                throw new IOException($"connection closed after {pending.Length} of {count} body bytes");
        }
        var data = pending.ToArray();
        Consume(count);
        return data[..count];
    }

    private async Task<bool> FillAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[16384];
        var read = await stream.ReadAsync(buffer, cancellationToken);
        if (read == 0)
            return false;
        pending.Write(buffer, 0, read);
        return true;
    }

    private void Consume(int count)
    {
        var rest = pending.ToArray()[count..];
        pending.SetLength(0);
        pending.Write(rest);
    }

    private static int IndexOf(byte[] data, ReadOnlySpan<byte> value) => data.AsSpan().IndexOf(value);

    public ValueTask DisposeAsync()
    {
        client.Dispose();
        return ValueTask.CompletedTask;
    }
}

public sealed record RawResponse(int Status, List<(string Name, string Value)> Headers, byte[] Body)
{
    public string? Header(string name) => Headers.FirstOrDefault(h => h.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;
    public string Text => Encoding.UTF8.GetString(Body);
}
