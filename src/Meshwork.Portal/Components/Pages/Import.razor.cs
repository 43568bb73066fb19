using Meshwork.Model.Interop;
using Meshwork.Model.Resources;
using Meshwork.Portal.Interop;
using Meshwork.Portal.ViewModels;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using MudBlazor;

namespace Meshwork.Portal.Components.Pages;

public partial class Import
{
    [Inject] public required ImportViewModel Model { get; init; }

    private async Task UploadAsync(IBrowserFile? file)
    {
        if (file is null)
            return;
        await Model.UploadAsync(file.Name, file.Size, async max =>
        {
            using var reader = new StreamReader(file.OpenReadStream(max));
            return await reader.ReadToEndAsync();
        });
    }

    /// <summary>Where an imported resource is edited after the import, for the kinds that have their own editor page.</summary>
    private static string? EditorLink(ResourceKey key) => key.Kind switch
    {
        ResourceKind.HttpRoute => $"traffic/routes/{Uri.EscapeDataString(key.Namespace)}/{Uri.EscapeDataString(key.Name)}",
        ResourceKind.Service => $"services/{Uri.EscapeDataString(key.Namespace)}/{Uri.EscapeDataString(key.Name)}",
        _ => null,
    };

    private static Color ActionColor(ImportAction action) => action switch
    {
        ImportAction.Create => Color.Success,
        ImportAction.Update => Color.Warning,
        _ => Color.Default,
    };
}
