namespace Meshwork.Portal.ViewModels;

/// <summary>Light or dark, per circuit; the layout binds its toggle to it.</summary>
public sealed class ThemeState
{
    public bool IsDarkMode { get; set; }
}
