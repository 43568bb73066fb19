using Meshwork.Portal.ViewModels;
using Meshwork.Store;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace Meshwork.Portal.Components.Pages;

public partial class Audit
{
    private ChangeOutcome? outcome;

    [Inject] public required AuditViewModel Model { get; init; }
    [Inject] public required IDialogService Dialogs { get; init; }

    protected override Task OnInitializedAsync() => Model.LoadAsync();

    private async Task RevertAsync(AuditEntry entry)
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync("Revert",
            $"Restore {entry.Subject} to the content of version {entry.VersionAfter}? This writes a new version and is itself audited.",
            yesText: "Revert", cancelText: "Cancel");
        if (confirmed != true)
            return;
        outcome = await Model.RevertToAsync(entry);
    }

    private string ExportUrl(string format)
    {
        var f = Model.Filter.ToFilter();
        var query = new Dictionary<string, string?>
        {
            ["format"] = format,
            ["actor"] = f.Actor,
            ["kind"] = f.Kind?.ToString(),
            ["name"] = f.Name,
            ["from"] = f.From?.ToString("O"),
            ["to"] = f.To?.ToString("O"),
        };
        return Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString("portal/audit/export",
            query.Where(p => !string.IsNullOrEmpty(p.Value)).ToDictionary(p => p.Key, p => p.Value));
    }
}
