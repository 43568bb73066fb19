namespace Meshwork.ServiceDefaults;

/// <summary>
/// Folders that hold private keys and credentials (the proxy's state folder, the portal's data
/// folder): created owner-only (0700), and refused at start when an existing one is reachable by its
/// group or others, as OpenSSH refuses a private key file others can read. An existing folder is
/// never chmod'ed: a wider mode may be someone's mistake worth seeing, or a folder not ours.
/// </summary>
public static class PrivateDirectory
{
    public const UnixFileMode OwnerOnlyFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const UnixFileMode GroupOrOthers =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>
    /// Creates <paramref name="path"/> (and missing parents) owner-only, or checks the existing
    /// folder. Throws <see cref="InvalidOperationException"/> naming <paramref name="setting"/>, the
    /// folder and its mode when the group or others can reach it. Returns the full path.
    /// </summary>
    public static string Ensure(string path, string setting)
    {
        var full = Path.GetFullPath(path);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(full);
            return full;
        }
        if (!Directory.Exists(full))
            Directory.CreateDirectory(full, OwnerOnlyFolder);
        var mode = File.GetUnixFileMode(full);
        if ((mode & GroupOrOthers) != 0)
            throw new InvalidOperationException(
                $"{setting} {full} is open to its group or others (mode {Octal(mode)}); it holds private keys and must be owner-only: " +
                $"chmod 700 '{full}', or point {setting} at a private folder.");
        return full;
    }

    private static string Octal(UnixFileMode mode) => Convert.ToString((int)mode & 0x1FF, 8);
}
