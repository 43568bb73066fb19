using Meshwork.Portal.Identity;
using Meshwork.Portal.ViewModels;
using Microsoft.AspNetCore.Components;

namespace Meshwork.Portal.Components.Pages;

public partial class Users
{
    private NewUserForm newUser = new();
    private NewClientForm newClient = new();
    private NewPublicClientForm newPublicClient = new();
    private string? message;
    private bool messageIsError;

    [Inject] public required UsersViewModel Model { get; init; }

    protected override Task OnInitializedAsync() => Model.LoadAsync();

    private async Task CreateUserAsync()
    {
        // The message names the role it was added with, so a quick Add after a role change can be checked.
        var (email, role) = (newUser.Email, newUser.Role);
        if (await Act(Model.CreateUserAsync(newUser), $"Added {email} as {role}."))
            newUser = new NewUserForm();
    }

    private async Task CreateClientAsync()
    {
        if (await Act(Model.CreateClientAsync(newClient), "Client created."))
            newClient = new NewClientForm();
    }

    private async Task CreatePublicClientAsync()
    {
        var result = await Model.CreatePublicClientAsync(newPublicClient);
        messageIsError = !result.Succeeded;
        message = result.Succeeded ? $"Registered client {Model.RegisteredPublicClient}: it signs people in with their own roles." : string.Join(" ", result.Errors);
        if (result.Succeeded)
            newPublicClient = new NewPublicClientForm();
    }

    private Task SetRoleAsync(string userId, string role) => Act(Model.SetRoleAsync(userId, role), $"Role changed to {role}.");

    private async Task<bool> Act(Task<UserActionResult> action, string success)
    {
        var result = await action;
        messageIsError = !result.Succeeded;
        message = result.Succeeded ? success : string.Join(" ", result.Errors);
        return result.Succeeded;
    }
}
