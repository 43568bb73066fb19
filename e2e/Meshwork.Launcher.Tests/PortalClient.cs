using System.Net;
using System.Text.RegularExpressions;

namespace Meshwork.Launcher.Tests;

/// <summary>
/// The portal over plain HTTP as a browser without scripts sees it: the server-rendered sign-in
/// form (with its antiforgery token) and pages prerendered for a signed-in user.
/// </summary>
public sealed partial class PortalClient : IDisposable
{
    private readonly HttpClient http;

    public PortalClient(int port)
    {
        var handler = new SocketsHttpHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false, UseProxy = false };
        http = new HttpClient(handler) { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>The status and body of GET <paramref name="path"/>; null when nothing answers.</summary>
    public async Task<(HttpStatusCode Status, string Body)?> GetAsync(string path)
    {
        try
        {
            using var response = await http.GetAsync(path);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    /// <summary>Posts the sign-in form with every hidden field it carries; true when the portal
    /// redirects away from the form (a wrong password renders the form again with 200).</summary>
    public async Task<bool> SignInAsync(string email, string password)
    {
        var form = await http.GetStringAsync("/account/login");
        var fields = HiddenInput().Matches(form).ToDictionary(m => WebUtility.HtmlDecode(m.Groups["name"].Value), m => WebUtility.HtmlDecode(m.Groups["value"].Value));
        fields["Input.Email"] = email;
        fields["Input.Password"] = password;
        using var response = await http.PostAsync("/account/login", new FormUrlEncodedContent(fields));
        return response.StatusCode == HttpStatusCode.Redirect
            && response.Headers.Location is { } location && !location.OriginalString.Contains("/account/login", StringComparison.Ordinal);
    }

    public void Dispose() => http.Dispose();

    [GeneratedRegex("<input[^>]*type=\"hidden\"[^>]*name=\"(?<name>[^\"]+)\"[^>]*value=\"(?<value>[^\"]*)\"")]
    private static partial Regex HiddenInput();
}
