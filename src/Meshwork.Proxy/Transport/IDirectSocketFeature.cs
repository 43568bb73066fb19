namespace Meshwork.Proxy.Transport;

/// <summary>
/// An epoll connection's socket, for a consumer that serves the connection on the event loop itself, without the
/// connection's input pipe and receive loop (the lean HTTP/1.1 path). It is there only for a consumer that comes
/// before anyone used the input pipe, and ends with a hand-over: what was received and not consumed goes to the head
/// of the input pipe, which from then on fills as usual, so Kestrel reads the connection as if nobody had.
/// </summary>
internal interface IDirectSocketFeature
{
    /// <summary>The socket, or null when the input pipe is already in use. Once taken, the pipe starts only at <see cref="HandOver"/>.</summary>
    EpollSocket? TakeSocket();

    /// <summary>On the loop thread, with nothing left unsent: the unconsumed bytes (and the end of the stream, if it was read) go to the input pipe.</summary>
    void HandOver(ReadOnlySpan<byte> unconsumed, bool ended);
}
