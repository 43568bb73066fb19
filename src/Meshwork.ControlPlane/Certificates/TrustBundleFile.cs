namespace Meshwork.ControlPlane.Certificates;

/// <summary>
/// Writes the mesh root (PEM) where the operator or the launcher picks it up for proxies and the
/// portal: the bundle they verify the gRPC port's certificate against, handed to them out of band
/// (mounted) so a client never trusts whatever the server it is talking to says.
/// </summary>
public static class TrustBundleFile
{
    public static void Write(string path, string pem, ILogger logger)
    {
        var full = Path.GetFullPath(path);
        if (File.Exists(full) && File.ReadAllText(full) == pem)
        {
            logger.LogInformation("Trust bundle for clients of the gRPC port: {Path} (unchanged)", full);
            return;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        // Replaced in one rename: a client reading it at a handshake never sees half a file.
        var temporary = full + ".tmp";
        File.WriteAllText(temporary, pem);
        File.Move(temporary, full, overwrite: true);
        logger.LogInformation("Trust bundle for clients of the gRPC port written to {Path}", full);
    }
}
