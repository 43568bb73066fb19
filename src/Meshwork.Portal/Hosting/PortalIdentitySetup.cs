using System.Security.Cryptography.X509Certificates;
using Meshwork.Portal.Identity;
using Meshwork.ServiceDefaults;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using OpenIddict.Validation.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Meshwork.Portal.Hosting;

/// <summary>Users (ASP.NET Core Identity), the OIDC server and token validation (OpenIddict), cookies, policies.</summary>
public static class PortalIdentitySetup
{
    public const string ExternalScheme = "external-oidc";

    internal static void AddPortalIdentity(this WebApplicationBuilder builder, PortalOptions portal, string connectionString)
    {
        var services = builder.Services;
        // The data folder holds the data-protection keys (they sign cookies and antiforgery tokens)
        // and the token signing keys: owner-only, or the portal does not start. Key files are 0600
        // (data protection writes them through owner-only temp files, SigningKeys chmods them).
        const string setting = $"{PortalOptions.Section}:{nameof(PortalOptions.DataDirectory)}";
        var dataDirectory = PrivateDirectory.Ensure(Path.GetFullPath(portal.DataDirectory, builder.Environment.ContentRootPath), setting);
        var dataProtectionKeys = PrivateDirectory.Ensure(Path.Combine(dataDirectory, "data-protection"), setting + " (data-protection)");
        var keys = PrivateDirectory.Ensure(Path.Combine(dataDirectory, "keys"), setting + " (keys)");

        // Cookies and antiforgery tokens must survive a restart: keys live in the data folder.
        services.AddDataProtection()
            .SetApplicationName("Meshwork.Portal")
            .PersistKeysToFileSystem(new DirectoryInfo(dataProtectionKeys));

        services.AddPortalIdentityCore(connectionString);

        services.ConfigureApplicationCookie(options =>
        {
            options.LoginPath = "/account/login";
            options.LogoutPath = "/account/logout";
            options.AccessDeniedPath = "/account/denied";
            options.Cookie.Name = "meshwork.auth";
            options.Cookie.HttpOnly = true;
            options.Cookie.SameSite = SameSiteMode.Lax;
            options.Cookie.SecurePolicy = portal.RequireHttps ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
            options.ExpireTimeSpan = TimeSpan.FromHours(8);
            options.SlidingExpiration = true;
            // A browser navigating gets the login page; anything else (fetch, API tools) gets a status code.
            options.Events.OnRedirectToLogin = context => RedirectOrStatus(context, StatusCodes.Status401Unauthorized);
            options.Events.OnRedirectToAccessDenied = context => RedirectOrStatus(context, StatusCodes.Status403Forbidden);
        });
        services.AddAntiforgery(options =>
        {
            options.Cookie.Name = "meshwork.antiforgery";
            options.Cookie.SecurePolicy = portal.RequireHttps ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
        });

        var signing = SigningKeys.LoadOrCreate(keys, "token-signing", X509KeyUsageFlags.DigitalSignature);
        var encryption = SigningKeys.LoadOrCreate(keys, "token-encryption", X509KeyUsageFlags.KeyEncipherment);

        services.AddOpenIddict()
            .AddServer(options =>
            {
                options.SetAuthorizationEndpointUris(OidcEndpoints.AuthorizePath.TrimStart('/'))
                    .SetTokenEndpointUris(OidcEndpoints.TokenPath.TrimStart('/'));
                options.AllowAuthorizationCodeFlow().RequireProofKeyForCodeExchange()
                    .AllowClientCredentialsFlow()
                    .AllowRefreshTokenFlow();
                options.RegisterScopes(Scopes.OpenId, Scopes.Email, Scopes.Profile, Scopes.Roles, Scopes.OfflineAccess);
                options.SetAccessTokenLifetime(TimeSpan.FromHours(1));
                options.AddSigningCertificate(signing).AddEncryptionCertificate(encryption);
                var aspNetCore = options.UseAspNetCore()
                    .EnableAuthorizationEndpointPassthrough()
                    .EnableTokenEndpointPassthrough();
                if (!portal.RequireHttps)
                    aspNetCore.DisableTransportSecurityRequirement();
            })
            .AddValidation(options =>
            {
                options.UseLocalServer();
                options.UseAspNetCore();
                // A token is refused once its user's stamp changed or its client is gone (docs/security.md).
                options.AddEventHandler(AccessTokenSessionCheck.Descriptor);
            });
        services.AddMemoryCache();

        // Open tabs, cookies and tokens all follow the security stamp, within one interval.
        services.AddScoped<AuthenticationStateProvider, PortalRevalidatingAuthenticationStateProvider>();
        services.Configure<SecurityStampValidatorOptions>(options => options.ValidationInterval = portal.Sessions.RevalidationInterval);

        var authentication = services.AddAuthentication(options =>
        {
            options.DefaultScheme = IdentityConstants.ApplicationScheme;
            options.DefaultChallengeScheme = IdentityConstants.ApplicationScheme;
        });
        if (portal.ExternalOidc.IsConfigured)
        {
            var external = portal.ExternalOidc;
            authentication.AddOpenIdConnect(ExternalScheme, external.DisplayName, options =>
            {
                options.SignInScheme = IdentityConstants.ExternalScheme;
                options.Authority = external.Authority;
                options.ClientId = external.ClientId;
                options.ClientSecret = external.ClientSecret;
                options.ResponseType = "code";
                options.UsePkce = true;
                options.CallbackPath = "/signin-external";
                options.Scope.Add("email");
                options.RequireHttpsMetadata = portal.RequireHttps;
                options.MapInboundClaims = true;
            });
        }

        services.AddAuthorization(options =>
            PortalPolicies.Add(options, OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme));

        services.AddScoped<AdminBootstrapper>();
    }

    /// <summary>
    /// Users, roles and OIDC applications over the identity database, without any HTTP concerns
    /// (cookies, OIDC endpoints): what the Users page's services need. Component tests use it too.
    /// </summary>
    public static IServiceCollection AddPortalIdentityCore(this IServiceCollection services, string connectionString)
    {
        // The same data source the store registers (whichever registers first), so the portal has one pool.
        services.TryAddSingleton(_ => NpgsqlDataSource.Create(connectionString));
        services.AddDbContext<PortalIdentityDbContext>((provider, options) =>
            IdentityDatabase.Configure(options, provider.GetRequiredService<NpgsqlDataSource>()));

        services.AddIdentity<PortalUser, IdentityRole>(options =>
            {
                options.User.RequireUniqueEmail = true;
                options.Password.RequiredLength = 10;
                options.Lockout.AllowedForNewUsers = true;
                options.Lockout.MaxFailedAccessAttempts = 5;
                options.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
                options.SignIn.RequireConfirmedAccount = false;
            })
            .AddUserManager<PortalUserManager>()
            .AddEntityFrameworkStores<PortalIdentityDbContext>()
            .AddDefaultTokenProviders();

        services.AddOpenIddict().AddCore(options => options.UseEntityFrameworkCore().UseDbContext<PortalIdentityDbContext>());
        services.AddScoped<ApiClientService>();
        services.AddScoped<UserAdminService>();
        return services;
    }

    private static Task RedirectOrStatus(Microsoft.AspNetCore.Authentication.RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        var accept = context.Request.Headers.Accept.ToString();
        if (HttpMethods.IsGet(context.Request.Method) && accept.Contains("text/html", StringComparison.OrdinalIgnoreCase))
            context.Response.Redirect(context.RedirectUri);
        else
            context.Response.StatusCode = status;
        return Task.CompletedTask;
    }
}
