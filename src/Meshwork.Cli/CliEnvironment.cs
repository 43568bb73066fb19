namespace Meshwork.Cli;

/// <summary>
/// What the CLI touches outside itself: where it keeps credentials, how it reaches the server and
/// where it writes. Tests pass their own (an in-memory server handler, a temp folder, string writers).
/// </summary>
public sealed record CliEnvironment(string ConfigDirectory, TextWriter Output, TextWriter Error, HttpMessageHandler? Handler = null)
{
    public static CliEnvironment FromProcess()
    {
        var configured = Environment.GetEnvironmentVariable("MESHWORK_CONFIG_DIR");
        var xdg = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
        var directory = !string.IsNullOrEmpty(configured) ? configured
            : !string.IsNullOrEmpty(xdg) ? Path.Combine(xdg, "meshwork")
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config", "meshwork");
        return new CliEnvironment(directory, Console.Out, Console.Error);
    }
}
