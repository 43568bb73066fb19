using Meshwork.Model.Resources;

namespace Meshwork.Model.Validation.Rules;

internal static class ServiceRules
{
    public const int MaxVersions = 64;

    public static void Check(Checks checks, Service service)
    {
        checks.Port("port", service.Port);
        checks.Defined("protocol", service.Protocol);
        if (service.Description is { Length: > 1024 })
            checks.Error("description", $"must be at most 1024 characters, was {service.Description.Length}");
        if (!checks.MaxItems("versions", service.Versions, MaxVersions))
            return;
        checks.Each("versions", service.Versions, (path, version) =>
        {
            checks.DnsLabel($"{path}.name", version.Name);
            checks.Labels($"{path}.labels", version.Labels);
        });
        checks.NoDuplicates("versions", service.Versions, v => v.Name, "name", "version name");
    }
}
