using System.Globalization;
using Meshwork.Model.Resources;

namespace Meshwork.Model.Validation.Rules;

internal static class MeshSettingsRules
{
    public static readonly TimeSpan MinCertificateTtl = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan MaxCertificateTtl = TimeSpan.FromDays(365);

    public static void Check(Checks checks, MeshSettings settings)
    {
        if (settings.Metadata is { } metadata)
        {
            if (metadata.Name is not null && metadata.Name != MeshSettings.SingletonName)
                checks.Error("metadata.name", $"must be '{MeshSettings.SingletonName}': a mesh has one MeshSettings resource, was '{metadata.Name}'");
            if (metadata.Namespace is not null && metadata.Namespace != ResourceMetadata.DefaultNamespace)
                checks.Error("metadata.namespace", $"must be '{ResourceMetadata.DefaultNamespace}': MeshSettings is mesh-wide, was '{metadata.Namespace}'");
        }
        checks.Defined("defaultAccessMode", settings.DefaultAccessMode);
        checks.Defined("pathNormalization", settings.PathNormalization);
        if (checks.Required("trustDomain", settings.TrustDomain) && !Names.IsTrustDomain(settings.TrustDomain))
            checks.Error("trustDomain", $"'{settings.TrustDomain}' is not a valid SPIFFE trust domain: use lowercase letters, digits, '.', '-' and '_', like cluster.local");
        checks.PositiveDuration("certificateTtl", settings.CertificateTtl, MaxCertificateTtl, MinCertificateTtl);
        checks.OptionalPositiveDuration("defaultRequestTimeout", settings.DefaultRequestTimeout);
        var degraded = Percent(checks, "degradedAbovePercent", settings.DegradedAbovePercent);
        if (Percent(checks, "failingAbovePercent", settings.FailingAbovePercent) && degraded && settings.FailingAbovePercent <= settings.DegradedAbovePercent)
            checks.Error("failingAbovePercent", $"must be above degradedAbovePercent ({settings.DegradedAbovePercent.ToString(CultureInfo.InvariantCulture)}), was {settings.FailingAbovePercent.ToString(CultureInfo.InvariantCulture)}");
    }

    private static bool Percent(Checks checks, string path, double value)
    {
        if (value is >= 0 and <= 100)
            return true;
        checks.Error(path, $"must be a percentage of failed requests from 0 to 100, was {value.ToString(CultureInfo.InvariantCulture)}");
        return false;
    }
}
