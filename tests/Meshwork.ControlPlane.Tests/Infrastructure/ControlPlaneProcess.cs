using Grpc.Net.Client;
using Meshwork.Protocol.Transport;
using Meshwork.Testing.Processes;
using Microsoft.Extensions.Logging.Abstractions;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;

namespace Meshwork.ControlPlane.Tests.Infrastructure;

/// <summary>
/// The real control plane as a child process (dotnet Meshwork.ControlPlane.dll), so tests can kill
/// it like a crash and start it again on the same ports against the same database.
/// </summary>
public sealed class ControlPlaneProcess : IAsyncDisposable
{
    private readonly string connectionString;
    private readonly IReadOnlyDictionary<string, string> settings;
    private readonly StringBuilder output = new();
    private Process? process;

    /// <summary>The status-stream token every test control plane is started with.</summary>
    public const string StatusToken = "test-status-token";

    private ControlPlaneProcess(string connectionString, IReadOnlyDictionary<string, string> settings)
    {
        this.connectionString = connectionString;
        this.settings = settings;
        Plaintext = settings.TryGetValue("ControlPlane__GrpcPlaintext", out var plaintext) && bool.Parse(plaintext);
        CaKey = settings.TryGetValue("ControlPlane__CaKeyEncryptionKey", out var caKey) ? caKey : Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    }

    public int GrpcPort { get; } = FreePort.Next();
    public int HttpPort { get; } = FreePort.Next();

    /// <summary>Started with ControlPlane:GrpcPlaintext (h2c) instead of TLS.</summary>
    public bool Plaintext { get; }

    public string Address => $"{(Plaintext ? "http" : "https")}://127.0.0.1:{GrpcPort}";

    /// <summary>Where the control plane writes the mesh root (ControlPlane:TrustBundleFile); the same across restarts.</summary>
    public string TrustBundleFile { get; } = Path.Combine(Directory.CreateTempSubdirectory("meshwork-cp-test-").FullName, "trust-bundle.pem");

    /// <summary>A gRPC channel as proxies and the portal open it: TLS verified against <see cref="TrustBundleFile"/>.</summary>
    public GrpcChannel NewChannel() => ControlPlaneTls.Channel(Address, TrustBundleFile, NullLogger.Instance);

    /// <summary>Base64 AES key for the CA private key, the same across restarts of this control plane (and its replicas).</summary>
    public string CaKey { get; }

    public string Output
    {
        get { lock (output) return output.ToString(); }
    }

    public static async Task<ControlPlaneProcess> StartAsync(string connectionString, IReadOnlyDictionary<string, string>? settings = null)
    {
        var controlPlane = new ControlPlaneProcess(connectionString, settings ?? new Dictionary<string, string>());
        try
        {
            await controlPlane.StartAsync();
        }
        catch
        {
            await controlPlane.KillAsync();
            throw;
        }
        return controlPlane;
    }

    public async Task StartAsync()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Meshwork.ControlPlane.dll");
        var info = new ProcessStartInfo("dotnet", [dll])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        info.Environment["ConnectionStrings__Meshwork"] = connectionString;
        info.Environment["ControlPlane__GrpcPort"] = GrpcPort.ToString();
        info.Environment["ControlPlane__StatusToken"] = StatusToken;
        info.Environment["ControlPlane__HttpPort"] = HttpPort.ToString();
        info.Environment["ControlPlane__CaKeyEncryptionKey"] = CaKey;
        info.Environment["ControlPlane__TrustBundleFile"] = TrustBundleFile;
        info.Environment["Logging__LogLevel__Default"] = "Information";
        info.Environment["Logging__LogLevel__Microsoft"] = "Warning";
        info.Environment["Logging__Console__FormatterName"] = "simple";
        info.Environment["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ";
        info.Environment["Logging__Console__FormatterOptions__SingleLine"] = "true";
        info.Environment["Logging__LogLevel__Meshwork.ControlPlane.Compilation"] = "Debug";
        info.Environment["DOTNET_gcServer"] = "0";
        foreach (var (key, value) in settings) info.Environment[key] = value;

        process = Process.Start(info) ?? throw new InvalidOperationException("could not start the control plane");
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                await ChildProcess.DrainOutputAsync(process);
                throw new InvalidOperationException($"control plane exited with {process.ExitCode}:\n{Output}");
            }
            try
            {
                using var response = await http.GetAsync($"http://127.0.0.1:{HttpPort}/health");
                if (response.IsSuccessStatusCode) return;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"control plane not healthy within 60 s:\n{Output}");
    }

    public bool IsRunning => process is { HasExited: false };

    /// <summary>GET /replica on the health port: its replica id, whether it holds the leader lease, how many proxies it holds.</summary>
    public async Task<ReplicaInfo> ReplicaInfoAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        return (await http.GetFromJsonAsync<ReplicaInfo>($"http://127.0.0.1:{HttpPort}/replica"))!;
    }

    public sealed record ReplicaInfo(string ReplicaId, bool Leader, int Proxies);

    /// <summary>Hard kill, like a crash: no graceful stream shutdown.</summary>
    public async Task KillAsync()
    {
        if (process is null || process.HasExited) return;
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        process.Dispose();
        process = null;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (output)
        {
            if (output.Length > 500_000) output.Remove(0, 250_000);
            output.AppendLine(line);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        Directory.Delete(Path.GetDirectoryName(TrustBundleFile)!, recursive: true);
    }
}
