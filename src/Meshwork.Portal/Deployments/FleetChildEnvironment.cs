namespace Meshwork.Portal.Deployments;

/// <summary>The environment every process the local driver starts gets besides its own settings.</summary>
public static class FleetChildEnvironment
{
    /// <summary>
    /// <paramref name="own"/> plus production settings whatever the portal runs as, and log timestamps
    /// in UTC, as the launcher's processes log (so one process's warning lines up with another's).
    /// </summary>
    public static Dictionary<string, string> With(Dictionary<string, string> own)
    {
        own["DOTNET_ENVIRONMENT"] = "Production";
        own["ASPNETCORE_ENVIRONMENT"] = "Production";
        own["Logging__Console__FormatterOptions__TimestampFormat"] = "yyyy-MM-ddTHH:mm:ss.fffZ ";
        own["Logging__Console__FormatterOptions__UseUtcTimestamp"] = "true";
        return own;
    }
}
