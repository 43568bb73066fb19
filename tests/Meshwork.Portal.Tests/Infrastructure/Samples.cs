using Meshwork.Model.Resources;

namespace Meshwork.Portal.Tests.Infrastructure;

/// <summary>Small valid resources for tests.</summary>
public static class Samples
{
    public static Service Service(string name, string ns = "default", int port = 8080, params string[] versions) => new()
    {
        Metadata = new ResourceMetadata { Name = name, Namespace = ns },
        Port = port,
        Versions = (versions.Length == 0 ? ["v1"] : versions)
            .Select(v => new ServiceVersion { Name = v, Labels = new Dictionary<string, string> { ["version"] = v } }).ToList(),
    };

    public static string ServiceYaml(string name, int port = 8080, string ns = "default") => $"""
        kind: Service
        metadata:
          name: {name}
          namespace: {ns}
        port: {port}
        versions:
          - name: v1
            labels:
              version: v1
        """;
}
