using Meshwork.Model.Interop;
using Meshwork.Model.Resources;
using Meshwork.Portal.Identity;
using Meshwork.Portal.Interop;

namespace Meshwork.Portal.ViewModels;

/// <summary>
/// The Export menu of a route or policy page (Viewer and up): the stored resource as Meshwork YAML, a Gateway
/// API HTTPRoute or Istio, with every field the target cannot say, and the link that downloads the same text.
/// </summary>
public sealed class ExportViewModel(IServiceScopeFactory scopes, CurrentUser user)
{
    public ExportTarget? Target { get; private set; }
    public string? Yaml { get; private set; }

    /// <summary>The exporter's warnings and notes, by field of the resource ("rules[0].fault").</summary>
    public IReadOnlyList<ImportMessageRow> Messages { get; private set; } = [];

    public string? DownloadHref { get; private set; }
    public string? Error { get; private set; }

    public async Task ShowAsync(ResourceKey key, ExportTarget target)
    {
        (Target, Yaml, Messages, DownloadHref, Error) = (target, null, [], null, null);
        if (!await user.CanAsync(PortalPolicies.Read))
        {
            Error = "Exporting needs the Viewer role.";
            return;
        }
        await using var scope = scopes.CreateAsyncScope();
        var result = await scope.ServiceProvider.GetRequiredService<ManifestExportService>().ExportAsync(key, target.Format);
        if (result is null)
        {
            Error = $"{key} is not stored (deleted meanwhile?).";
            return;
        }
        Yaml = result.Yaml;
        // One resource is exported, so every path starts with [0]: the field alone says where.
        Messages = result.Messages.Select(ImportMessageRow.From).OrderBy(m => m.Severity).ToList();
        DownloadHref = ExportDownloadEndpoint.Href(key, target.Format);
    }

    public void Close() => (Target, Yaml, Messages, DownloadHref, Error) = (null, null, [], null, null);
}
