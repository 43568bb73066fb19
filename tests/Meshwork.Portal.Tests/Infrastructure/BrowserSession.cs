using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Meshwork.Portal.Tests.Infrastructure;

/// <summary>A cookie-keeping client that signs in through the real login form, antiforgery token and all.</summary>
public static partial class BrowserSession
{
    public static HttpClient Create(PortalFactory portal)
    {
        var http = portal.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        http.DefaultRequestHeaders.Accept.ParseAdd("text/html");
        return http;
    }

    public static async Task<string> AntiforgeryTokenAsync(HttpClient http, string page = "/account/login")
    {
        var html = await http.GetStringAsync(page);
        var match = TokenPattern().Match(html);
        Assert.True(match.Success, "the page has no antiforgery token");
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    public static async Task<HttpResponseMessage> PostLoginAsync(HttpClient http, string email, string password, string? returnUrl = null)
    {
        var token = await AntiforgeryTokenAsync(http);
        var url = "/account/login" + (returnUrl is null ? "" : "?returnUrl=" + Uri.EscapeDataString(returnUrl));
        return await http.PostAsync(url, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["_handler"] = "login",
            ["Input.Email"] = email,
            ["Input.Password"] = password,
        }));
    }

    public static async Task<HttpClient> SignedInAsync(PortalFactory portal, string email = PortalFactory.AdminEmail, string password = PortalFactory.AdminPassword)
    {
        var http = Create(portal);
        using var response = await PostLoginAsync(http, email, password);
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"sign-in failed: {(int)response.StatusCode}");
        return http;
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();
}
