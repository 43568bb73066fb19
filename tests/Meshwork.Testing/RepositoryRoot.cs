namespace Meshwork.Testing;

/// <summary>The checkout the tests run from: the folder above the test assembly that holds Portal.sln.</summary>
public static class RepositoryRoot
{
    public static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Portal.sln")))
                return dir.FullName;
        throw new InvalidOperationException($"no Portal.sln above {AppContext.BaseDirectory}");
    }
}
