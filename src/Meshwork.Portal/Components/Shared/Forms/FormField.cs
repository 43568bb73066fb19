using Meshwork.Portal.ViewModels;
using Microsoft.AspNetCore.Components;

namespace Meshwork.Portal.Components.Shared.Forms;

/// <summary>
/// Base of the form's fields: each is bound to one validator path, so the shared validator's issue
/// at that path shows on it, and re-renders whenever the draft is validated again.
/// </summary>
public abstract class FormField : ComponentBase, IDisposable
{
    [CascadingParameter] public required ResourceFormViewModel Form { get; set; }

    /// <summary>The field's location as the validator names it, e.g. <c>rules[0].fault.abort.httpStatus</c>.</summary>
    [Parameter, EditorRequired] public required string Path { get; set; }

    [Parameter, EditorRequired] public required string Label { get; set; }

    /// <summary>What the field means and its default, shown under it unless there is an issue.</summary>
    [Parameter] public string? Help { get; set; }

    protected string? Error => Form.ErrorFor(Path);
    protected string? HelperText => Form.WarningFor(Path) is { } warning ? $"Warning: {warning}" : Help;
    protected bool ReadOnly => !Form.CanEdit;

    protected override void OnInitialized() => Form.Changed += Refresh;

    private void Refresh() => InvokeAsync(StateHasChanged);

    public void Dispose()
    {
        Form.Changed -= Refresh;
        GC.SuppressFinalize(this);
    }
}
