using Meshwork.Model.Resources;
using Meshwork.Model.Serialization;
using Meshwork.Model.Validation;
using Meshwork.Portal.ViewModels;
using Microsoft.AspNetCore.Components;

namespace Meshwork.Portal.Components.Pages;

public partial class Settings
{
    private AccessMode accessMode;
    private PathNormalization pathNormalization;
    private string trustDomain = "";
    private string certificateTtl = "";
    private string? defaultTimeout;
    private double degradedAbove;
    private double failingAbove;
    private ChangeOutcome? outcome;

    [Inject] public required SettingsViewModel Model { get; init; }

    protected override Task OnInitializedAsync() => LoadAsync();

    private async Task LoadAsync()
    {
        await Model.LoadAsync();
        var s = Model.Settings;
        accessMode = s.DefaultAccessMode;
        pathNormalization = s.PathNormalization;
        trustDomain = s.TrustDomain;
        certificateTtl = Durations.Format(s.CertificateTtl);
        defaultTimeout = s.DefaultRequestTimeout is { } t ? Durations.Format(t) : null;
        degradedAbove = s.DegradedAbovePercent;
        failingAbove = s.FailingAbovePercent;
    }

    private async Task SaveAsync()
    {
        var issues = new List<ValidationIssue>();
        if (!Durations.TryParse(certificateTtl, out var ttl))
            issues.Add(new ValidationIssue("certificateTtl", Durations.FormatError(certificateTtl)));
        TimeSpan? timeout = null;
        if (!string.IsNullOrWhiteSpace(defaultTimeout))
        {
            if (Durations.TryParse(defaultTimeout, out var t))
                timeout = t;
            else
                issues.Add(new ValidationIssue("defaultRequestTimeout", Durations.FormatError(defaultTimeout)));
        }
        if (issues.Count > 0)
        {
            outcome = new ChangeOutcome(false, "Not saved: fix the highlighted values.", issues);
            return;
        }
        outcome = await Model.SaveAsync(Model.Settings with
        {
            DefaultAccessMode = accessMode,
            PathNormalization = pathNormalization,
            TrustDomain = trustDomain.Trim(),
            CertificateTtl = ttl,
            DefaultRequestTimeout = timeout,
            DegradedAbovePercent = degradedAbove,
            FailingAbovePercent = failingAbove,
        });
    }
}
