using System.Text.Json;

namespace Meshwork.Cli.Client;

/// <summary>
/// What `meshctl login` saves: the server, the client id and secret (so an expired token is renewed
/// without asking again) and the cached access token. The file is readable by its owner only.
/// </summary>
public sealed record Credentials(string Server, string ClientId, string ClientSecret, string AccessToken, DateTimeOffset ExpiresAt)
{
    public const string FileName = "credentials.json";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Credentials? Load(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
            return null;
        try
        {
            return JsonSerializer.Deserialize<Credentials>(File.ReadAllText(path), Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, FileName);
        var temp = path + ".tmp";
        File.WriteAllText(temp, "");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(temp, JsonSerializer.Serialize(this, Json));
        File.Move(temp, path, overwrite: true);
    }
}
