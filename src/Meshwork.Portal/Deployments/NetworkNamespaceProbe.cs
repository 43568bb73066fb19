using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Meshwork.Portal.Deployments;

/// <summary>
/// HTTP health probes sent from inside an instance's network namespace, as kubelet runs an exec probe in the
/// pod: the connection is made to the namespace's own loopback, where the nat rules redirect nothing, so the
/// app's port answers directly even though every connection to it from outside goes to the sidecar's inbound
/// listener (mTLS). A socket belongs to the network namespace of the thread that made it, so a thread of its
/// own enters the namespace (setns on the file `ip netns` keeps under /run/netns), makes the socket and leaves;
/// the connect and the request then run as anywhere else. No process is started per probe.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public static class NetworkNamespaceProbe
{
    private const int CloneNewNet = 0x40000000;
    private const string NamespaceDirectory = "/run/netns";
    private static readonly HttpRequestOptionsKey<string> NamespaceOption = new("meshwork.network-namespace");

    private static readonly HttpClient Client = new(new SocketsHttpHandler { ConnectCallback = ConnectAsync })
    {
        Timeout = TimeSpan.FromSeconds(2),
    };

    /// <summary>GET <paramref name="url"/> from inside <paramref name="networkNamespace"/>; true on a 2xx.</summary>
    public static async Task<bool> HealthyAsync(string networkNamespace, string url, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Options.Set(NamespaceOption, networkNamespace);
        // The pool keys connections by host and port only: one namespace's connection must not serve another's probe.
        request.Headers.ConnectionClose = true;
        using var response = await Client.SendAsync(request, cancellationToken);
        return response.IsSuccessStatusCode;
    }

    private static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        if (!context.InitialRequestMessage.Options.TryGetValue(NamespaceOption, out var networkNamespace))
            throw new InvalidOperationException("a namespace probe without its namespace");
        var socket = await CreateSocketInAsync(networkNamespace);
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>An IPv4 TCP socket made inside <paramref name="networkNamespace"/> by a thread that enters it and leaves again.</summary>
    public static Task<Socket> CreateSocketInAsync(string networkNamespace)
    {
        var made = new TaskCompletionSource<Socket>(TaskCreationOptions.RunContinuationsAsynchronously);
        // A thread of its own: setns changes only the calling thread, which must not be one the runtime reuses.
        var thread = new Thread(() =>
        {
            try
            {
                made.SetResult(CreateInside(networkNamespace));
            }
            catch (Exception ex)
            {
                made.SetException(ex);
            }
        }) { IsBackground = true, Name = "netns probe" };
        thread.Start();
        return made.Task;
    }

    private static Socket CreateInside(string networkNamespace)
    {
        using var own = File.OpenHandle("/proc/thread-self/ns/net");
        using var target = File.OpenHandle(Path.Combine(NamespaceDirectory, networkNamespace));
        Enter(target, networkNamespace);
        try
        {
            return new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        }
        finally
        {
            // The thread ends next anyway; going back keeps it from ever running anything else in the namespace.
            Enter(own, "the portal's own");
        }
    }

    private static void Enter(Microsoft.Win32.SafeHandles.SafeFileHandle handle, string networkNamespace)
    {
        if (SetNamespace((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
            throw new InvalidOperationException($"cannot enter network namespace {networkNamespace}: {Marshal.GetLastPInvokeErrorMessage()} (it needs root/CAP_SYS_ADMIN)");
    }

    [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static extern int SetNamespace(int fd, int nstype);
}
