using Meshwork.Portal.Identity;
using Meshwork.Portal.ViewModels;
using Meshwork.Store;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;

namespace Meshwork.Portal.Components.Pages;

public partial class BootstrapTokens
{
    private NewBootstrapTokenForm form = new();
    private string? message;
    private bool messageIsError;

    [Inject] public required BootstrapTokensViewModel Model { get; init; }
    [Inject] public required IOptions<BootstrapTokenOptions> Limits { get; init; }

    private int DefaultMinutes => (int)Limits.Value.DefaultLifetime.TotalMinutes;

    protected override Task OnInitializedAsync() => Model.LoadAsync();

    private async Task IssueAsync()
    {
        if (await Act(Model.IssueAsync(form), $"Issued {form.Name}."))
            form = new NewBootstrapTokenForm();
    }

    private async Task<bool> Act(Task<UserActionResult> action, string success)
    {
        var result = await action;
        messageIsError = !result.Succeeded;
        message = result.Succeeded ? success : string.Join(" ", result.Errors);
        return result.Succeeded;
    }
}
