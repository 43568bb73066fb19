namespace Meshwork.Portal.ViewModels;

/// <summary>View-models are DI services (scoped: one per circuit) so bUnit tests can drive pages with real ones.</summary>
public static class ViewModelRegistration
{
    public static IServiceCollection AddPortalViewModels(this IServiceCollection services)
    {
        services.AddScoped<CurrentUser>();
        services.AddScoped<ServicesViewModel>();
        services.AddTransient<ResourceListViewModel>();
        services.AddScoped<AuditViewModel>();
        services.AddTransient<OverviewViewModel>();
        services.AddScoped<UsersViewModel>();
        services.AddScoped<BootstrapTokensViewModel>();
        services.AddScoped<FleetViewModel>();
        services.AddScoped<FleetRelease>();
        services.AddScoped<DemoTrafficViewModel>();
        services.AddTransient<ImportViewModel>();
        // Shared by the Import page and POST /api/v1/import, so both translate and apply the same way.
        services.AddScoped<Interop.ManifestImportService>();
        // Shared by the Export menu, its download link and GET /api/v1/export.
        services.AddScoped<Interop.ManifestExportService>();
        services.AddTransient<ExportViewModel>();
        services.AddScoped<SettingsViewModel>();
        services.AddScoped<ThemeState>();
        services.AddTransient<YamlEditorViewModel>();
        services.AddTransient<AccessSimulatorViewModel>();
        services.AddTransient<CanarySplitViewModel>();
        services.AddTransient<RolloutControlViewModel>();
        services.AddTransient<ServiceDetailViewModel>();
        services.AddTransient<AccessMatrixViewModel>();
        // One per access matrix panel: it holds the stored calls of the last hour it read.
        services.AddTransient<Live.ObservedCalls>();
        services.AddTransient<ResourceFormViewModel>();
        services.AddTransient<LiveTapViewModel>();
        return services;
    }
}
