using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Meshwork.Proxy.Transport;

/// <summary>
/// One event-loop thread over one epoll instance. Sockets are registered once, edge-triggered for
/// both directions, under a slot number carried in the event; each event is handed to its socket on
/// this thread, whose waiting reader or writer then runs inline. Nothing blocks on this thread: the
/// proxy's request path has no blocking calls (see <see cref="Config.InlineIo"/>).
/// Sends made while a batch is handled wait until the whole batch was handled, as Redis writes its
/// replies before it sleeps again: the peers (the app, the upstream) are then woken once per batch
/// rather than once per request. A cross-CPU wake-up of a sleeping peer costs more than the send
/// itself (on this machine's virtual CPUs about 1.4 µs, perf: sock_def_readable), and a proxy faster
/// than its peers' next request pays it on almost every send. At low load a batch is one event, so
/// nothing waits.
/// </summary>
public sealed unsafe class EpollLoop : IDisposable
{
    // Events taken per epoll_wait. It bounds how long a deferred send waits at saturation (one event
    // is half a request, about 9 µs of work: at most about 2 ms). 256 measured 4% less CPU per
    // request than 64 (bench/proxy.sh A/B, 64 wrk connections): bigger batches, fewer wake-ups.
    private const int BatchSize = 256;
    private const ulong WakeSlot = ulong.MaxValue;

    [ThreadStatic]
    private static EpollLoop? current;

    private List<IDeferredAction> deferred = [];
    private List<IDeferredAction> running = [];
    private readonly ConcurrentQueue<(Action<object?> Action, object? State)> posted = new();
    private int wakePending;

    private readonly int epollFd;
    private readonly int wakeFd;
    private readonly ILogger logger;
    private readonly Lock registrations = new();
    private readonly Stack<int> freeSlots = new();
    private EpollSocket?[] slots = new EpollSocket?[64];
    private int nextSlot;
    private volatile bool stopping;

    public EpollLoop(string name, ILogger logger)
    {
        this.logger = logger;
        epollFd = Libc.epoll_create1(Libc.EPOLL_CLOEXEC);
        if (epollFd < 0)
            throw Libc.Error(Libc.Errno);
        wakeFd = Libc.eventfd(0, Libc.EFD_NONBLOCK | Libc.EFD_CLOEXEC);
        if (wakeFd < 0 || !Add(wakeFd, Libc.EPOLLIN, WakeSlot))
            throw Libc.Error(Libc.Errno);
        new Thread(Run) { IsBackground = true, Name = name }.Start();
    }

    /// <summary>Registers the socket for edge-triggered events in both directions.</summary>
    internal void Register(EpollSocket socket)
    {
        int slot;
        lock (registrations)
        {
            slot = freeSlots.Count > 0 ? freeSlots.Pop() : nextSlot++;
            if (slot >= slots.Length)
            {
                var grown = new EpollSocket?[slots.Length * 2];
                slots.CopyTo(grown, 0);
                Volatile.Write(ref slots, grown);
            }
            slots[slot] = socket;
        }
        socket.Slot = slot;
        if (!Add(socket.Fd, Libc.EPOLLIN | Libc.EPOLLOUT | Libc.EPOLLRDHUP | Libc.EPOLLET, (ulong)slot))
        {
            var errno = Libc.Errno;
            Unregister(slot);
            throw Libc.Error(errno);
        }
    }

    /// <summary>Called once the socket's descriptor is closed (closing removed it from the epoll set).</summary>
    internal void Unregister(int slot)
    {
        lock (registrations)
        {
            slots[slot] = null;
            freeSlots.Push(slot);
        }
    }

    private bool Add(int fd, uint events, ulong data)
    {
        var ev = stackalloc byte[16];
        *(uint*)ev = events;
        *(ulong*)(ev + Libc.EpollDataOffset) = data;
        return Libc.epoll_ctl(epollFd, Libc.EPOLL_CTL_ADD, fd, ev) == 0;
    }

    /// <summary>The loop whose thread this is, or null off the loop threads.</summary>
    internal static EpollLoop? Current => current;

    /// <summary>On an event-loop thread: queues the action (a send) for the end of the batch.</summary>
    internal static bool TryDefer(IDeferredAction action)
    {
        if (current is not { } loop)
            return false;
        loop.deferred.Add(action);
        return true;
    }

    /// <summary>From any thread: runs the action on this loop's thread, in its next batch.</summary>
    internal void Post(Action<object?> action, object? state)
    {
        posted.Enqueue((action, state));
        // One eventfd write per batch of posts: the loop clears the flag before it drains the queue.
        if (Interlocked.Exchange(ref wakePending, 1) == 0)
        {
            ulong one = 1;
            Libc.write(wakeFd, (byte*)&one, sizeof(ulong));
        }
    }

    private void RunPosted()
    {
        ulong value;
        Libc.read(wakeFd, (byte*)&value, sizeof(ulong));
        Volatile.Write(ref wakePending, 0);
        while (posted.TryDequeue(out var item))
        {
            try
            {
                item.Action(item.State);
            }
            catch (Exception exception)
            {
                logger.LogError(exception, "A posted event-loop action failed");
            }
        }
    }

    private void RunDeferredSends()
    {
        // A deferred send's continuation may queue more (the next response on a connection): run until none is left.
        while (deferred.Count > 0)
        {
            (running, deferred) = (deferred, running);
            foreach (var send in running)
            {
                try
                {
                    send.Run();
                }
                catch (Exception exception)
                {
                    logger.LogError(exception, "A deferred action failed");
                }
            }
            running.Clear();
        }
    }

    private void Run()
    {
        current = this;
        var size = Libc.EpollEventSize;
        var events = (byte*)NativeMemory.Alloc((nuint)(BatchSize * size));
        try
        {
            while (!stopping)
            {
                var count = Libc.epoll_wait(epollFd, events, BatchSize, -1);
                if (count < 0)
                {
                    if (Libc.Errno == Libc.EINTR)
                        continue;
                    logger.LogCritical("epoll_wait failed with errno {Errno}; the event loop stops", Libc.Errno);
                    return;
                }
                // Read after epoll_wait: a socket is in the table before it is added to the epoll set.
                var table = Volatile.Read(ref slots);
                for (var i = 0; i < count; i++)
                {
                    var entry = events + i * size;
                    var data = *(ulong*)(entry + Libc.EpollDataOffset);
                    if (data == WakeSlot)
                    {
                        RunPosted();
                        continue;
                    }
                    if (data >= (ulong)table.Length)
                        continue;
                    // A slot freed and reused within one batch may get its predecessor's event: a
                    // spurious wake-up, after which the socket just tries and waits again.
                    if (table[data] is { } socket)
                    {
                        try
                        {
                            socket.OnEvents(*(uint*)entry);
                        }
                        catch (Exception exception)
                        {
                            logger.LogError(exception, "A socket event handler failed");
                        }
                    }
                }
                RunDeferredSends();
            }
        }
        finally
        {
            NativeMemory.Free(events);
        }
    }

    public void Dispose()
    {
        stopping = true;
        Post(static _ => { }, null);
    }
}

/// <summary>One event loop per CPU the process may run on; sockets are spread over them in turn.</summary>
public sealed class EpollLoops(ILogger<EpollLoop> logger) : IDisposable
{
    private readonly Lazy<EpollLoop[]> loops = new(() =>
        Enumerable.Range(0, Environment.ProcessorCount).Select(i => new EpollLoop($"meshwork-epoll-{i}", logger)).ToArray());
    private int next;

    public EpollLoop Next()
    {
        var all = loops.Value;
        return all[(int)((uint)Interlocked.Increment(ref next) % (uint)all.Length)];
    }

    public void Dispose()
    {
        if (loops.IsValueCreated)
            foreach (var loop in loops.Value)
                loop.Dispose();
    }
}
