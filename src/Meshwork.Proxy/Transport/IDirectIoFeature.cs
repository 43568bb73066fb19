using System.IO.Pipelines;

namespace Meshwork.Proxy.Transport;

/// <summary>
/// An epoll connection's socket used directly, without the connection's pipes and their receive and send loops: the
/// lean HTTP/1.1 path reads its requests and writes each response whole, on the thread the socket's event arrived on.
/// Direct input is there only for a consumer that comes before anyone used the input pipe; it ends with a hand-over
/// that puts what was received and not consumed at the head of the pipe, which from then on fills as usual.
/// Direct sends are for a writer that is the connection's only one at the time (bytes in the output pipe would
/// otherwise be reordered with these).
/// </summary>
internal interface IDirectIoFeature
{
    /// <summary>The input read directly, or null when the input pipe is already in use.</summary>
    PipeReader? TakeInput();

    /// <summary>Ends direct input: the unconsumed bytes (and the end of the stream, if it was reached) go to the input pipe.</summary>
    ValueTask HandOverInputAsync();

    ValueTask SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken);
}
