namespace Meshwork.Proxy.Transport;

/// <summary>Receives a socket's epoll events (EPOLLIN, EPOLLOUT, EPOLLRDHUP, ...) on its loop thread.</summary>
internal interface IEpollEventHandler
{
    void OnEvents(uint events);
}

/// <summary>Work run once the loop has handled its current batch of events (<see cref="EpollLoop.TryDefer"/>).</summary>
internal interface IDeferredAction
{
    void Run();
}
