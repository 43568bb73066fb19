using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Meshwork.Portal.Api;

/// <summary>
/// Declares how the API is authenticated in the OpenAPI document: OAuth 2 client credentials (and
/// authorization code + PKCE) against the portal's own token endpoint, sending a bearer token.
/// </summary>
internal sealed class OpenApiSecurity : IOpenApiDocumentTransformer
{
    public const string SchemeName = "meshwork-oauth2";

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[SchemeName] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.OAuth2,
            Description = "Bearer access tokens from the portal's OIDC server. Roles: Viewer reads, Operator edits traffic, Admin edits access policies and settings.",
            Flows = new OpenApiOAuthFlows
            {
                ClientCredentials = new OpenApiOAuthFlow { TokenUrl = new Uri("/connect/token", UriKind.Relative) },
                AuthorizationCode = new OpenApiOAuthFlow
                {
                    AuthorizationUrl = new Uri("/connect/authorize", UriKind.Relative),
                    TokenUrl = new Uri("/connect/token", UriKind.Relative),
                },
            },
        };
        document.Security ??= [];
        document.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeName, document)] = [] });
        return Task.CompletedTask;
    }
}
