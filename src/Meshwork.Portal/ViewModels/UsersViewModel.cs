using Meshwork.Portal.Identity;

namespace Meshwork.Portal.ViewModels;

public sealed class NewUserForm
{
    public string Email { get; set; } = "";
    public string Password { get; set; } = "";
    public string Role { get; set; } = PortalRoles.Viewer;
}

public sealed class NewClientForm
{
    public string DisplayName { get; set; } = "";
    public string Role { get; set; } = PortalRoles.Operator;
}

public sealed class NewPublicClientForm
{
    public string DisplayName { get; set; } = "";
    public string RedirectUri { get; set; } = "";
}

/// <summary>Users page (admins): people and their roles, API clients and their one-time secrets.</summary>
public sealed class UsersViewModel(IServiceScopeFactory scopes, CurrentUser user) : LoadState
{
    public IReadOnlyList<PortalUserSummary> Users { get; private set; } = [];
    public IReadOnlyList<ApiClient> Clients { get; private set; } = [];

    /// <summary>The secret of the client created last; shown once, cleared on the next action.</summary>
    public CreatedApiClient? NewClient { get; private set; }

    /// <summary>The client id of the public client registered last (it has no secret).</summary>
    public string? RegisteredPublicClient { get; private set; }

    public Task LoadAsync() => RunLoadAsync(async () =>
    {
        await using var scope = scopes.CreateAsyncScope();
        Users = await scope.ServiceProvider.GetRequiredService<UserAdminService>().ListAsync();
        Clients = await scope.ServiceProvider.GetRequiredService<ApiClientService>().ListAsync();
    }, "users");

    public async Task<UserActionResult> CreateUserAsync(NewUserForm form)
    {
        NewClient = null;
        if (!await user.CanAsync(PortalPolicies.Administer))
            return UserActionResult.Failed("Only admins manage users.");
        if (string.IsNullOrWhiteSpace(form.Email) || !form.Email.Contains('@'))
            return UserActionResult.Failed("Enter an e-mail address.");
        await using var scope = scopes.CreateAsyncScope();
        var result = await scope.ServiceProvider.GetRequiredService<UserAdminService>().CreateAsync(form.Email, form.Password, form.Role);
        await LoadAsync();
        return result;
    }

    public Task<UserActionResult> SetRoleAsync(string userId, string role) =>
        AdminActionAsync(async admin => await admin.SetRoleAsync(userId, role, await user.UserIdAsync() ?? ""));

    public Task<UserActionResult> DeleteUserAsync(string userId) =>
        AdminActionAsync(async admin => await admin.DeleteAsync(userId, await user.UserIdAsync() ?? ""));

    public Task<UserActionResult> UnlockAsync(string userId) => AdminActionAsync(admin => admin.UnlockAsync(userId));

    public async Task<UserActionResult> CreateClientAsync(NewClientForm form)
    {
        NewClient = null;
        if (!await user.CanAsync(PortalPolicies.Administer))
            return UserActionResult.Failed("Only admins manage API clients.");
        if (!PortalRoles.IsKnown(form.Role))
            return UserActionResult.Failed($"Unknown role '{form.Role}'.");
        await using var scope = scopes.CreateAsyncScope();
        NewClient = await scope.ServiceProvider.GetRequiredService<ApiClientService>().CreateConfidentialAsync(form.DisplayName, form.Role);
        await LoadAsync();
        return UserActionResult.Success;
    }

    /// <summary>A browser or native app: authorization code + PKCE, acting as whoever signs in.</summary>
    public async Task<UserActionResult> CreatePublicClientAsync(NewPublicClientForm form)
    {
        NewClient = null;
        if (!await user.CanAsync(PortalPolicies.Administer))
            return UserActionResult.Failed("Only admins manage API clients.");
        if (!Uri.TryCreate(form.RedirectUri.Trim(), UriKind.Absolute, out var redirect) || redirect.Scheme is not ("https" or "http")
            || (redirect.Scheme == "http" && !redirect.IsLoopback) || !string.IsNullOrEmpty(redirect.Fragment))
            return UserActionResult.Failed("The redirect URI must be an absolute https URL (http only for loopback apps), without a fragment.");
        await using var scope = scopes.CreateAsyncScope();
        RegisteredPublicClient = await scope.ServiceProvider.GetRequiredService<ApiClientService>().CreatePublicAsync(form.DisplayName, redirect);
        await LoadAsync();
        return UserActionResult.Success;
    }

    public async Task<UserActionResult> DeleteClientAsync(string clientId)
    {
        NewClient = null;
        if (!await user.CanAsync(PortalPolicies.Administer))
            return UserActionResult.Failed("Only admins manage API clients.");
        await using var scope = scopes.CreateAsyncScope();
        var deleted = await scope.ServiceProvider.GetRequiredService<ApiClientService>().DeleteAsync(clientId);
        await LoadAsync();
        return deleted ? UserActionResult.Success : UserActionResult.Failed("The client no longer exists.");
    }

    private async Task<UserActionResult> AdminActionAsync(Func<UserAdminService, Task<UserActionResult>> action)
    {
        NewClient = null;
        if (!await user.CanAsync(PortalPolicies.Administer))
            return UserActionResult.Failed("Only admins manage users.");
        await using var scope = scopes.CreateAsyncScope();
        var result = await action(scope.ServiceProvider.GetRequiredService<UserAdminService>());
        await LoadAsync();
        return result;
    }
}
