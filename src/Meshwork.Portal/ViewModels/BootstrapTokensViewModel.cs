using Meshwork.Portal.Api;
using Meshwork.Portal.Hosting;
using Meshwork.Portal.Identity;
using Meshwork.Portal.Tokens;
using Meshwork.Store;
using Microsoft.Extensions.Options;

namespace Meshwork.Portal.ViewModels;

public sealed class NewBootstrapTokenForm
{
    public string Name { get; set; } = "";
    public string Namespace { get; set; } = "default";
    public string Service { get; set; } = "";

    /// <summary>Minutes the token admits joins; the default is BootstrapTokens:DefaultLifetime.</summary>
    public int? ValidForMinutes { get; set; }

    /// <summary>The admin's explicit choice to let "*" stand for any service or namespace.</summary>
    public bool Wildcard { get; set; }
}

/// <summary>Bootstrap tokens (admins): issue with the join command shown once, list, revoke.</summary>
public sealed class BootstrapTokensViewModel(IServiceScopeFactory scopes, CurrentUser user, IOptions<PortalOptions> portal, TimeProvider time)
    : LoadState
{
    public IReadOnlyList<BootstrapTokenApi.TokenView> Tokens { get; private set; } = [];

    /// <summary>The token issued last, with its secret and join command; shown once, cleared by the next action.</summary>
    public (IssuedBootstrapToken Token, string JoinCommand)? Issued { get; private set; }

    public Task LoadAsync() => RunLoadAsync(async () =>
    {
        await using var scope = scopes.CreateAsyncScope();
        var now = time.GetUtcNow();
        Tokens = (await scope.ServiceProvider.GetRequiredService<BootstrapTokenService>().ListAsync())
            .Select(t => BootstrapTokenApi.View(t, now)).ToList();
    }, "bootstrap tokens");

    public async Task<UserActionResult> IssueAsync(NewBootstrapTokenForm form)
    {
        Issued = null;
        if (!await user.CanAsync(PortalPolicies.Administer))
            return UserActionResult.Failed("Only admins issue bootstrap tokens.");
        await using var scope = scopes.CreateAsyncScope();
        var tokens = scope.ServiceProvider.GetRequiredService<BootstrapTokenService>();
        IssuedBootstrapToken issued;
        try
        {
            issued = await tokens.IssueAsync(form.Name.Trim(), form.Service.Trim(), form.Namespace.Trim(),
                form.ValidForMinutes is { } minutes ? TimeSpan.FromMinutes(minutes) : null, await user.ActorAsync(), form.Wildcard);
        }
        catch (BootstrapTokenRequestException ex)
        {
            return UserActionResult.Failed([.. ex.Errors.Select(e => $"{e.Field}: {e.Message}.")]);
        }
        // The list is reloaded before the secret is shown, so the page never shows a token the table does not list yet.
        await LoadAsync();
        Issued = (issued, ProxyJoinCommand.For(issued, portal.Value.ControlPlane));
        return UserActionResult.Success;
    }

    public async Task<UserActionResult> RevokeAsync(Guid id)
    {
        Issued = null;
        if (!await user.CanAsync(PortalPolicies.Administer))
            return UserActionResult.Failed("Only admins revoke bootstrap tokens.");
        await using var scope = scopes.CreateAsyncScope();
        var revoked = await scope.ServiceProvider.GetRequiredService<BootstrapTokenService>().RevokeAsync(id, await user.ActorAsync());
        await LoadAsync();
        return revoked ? UserActionResult.Success : UserActionResult.Failed("The token no longer exists.");
    }
}
