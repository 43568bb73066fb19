using Meshwork.Portal.Hosting;
using Microsoft.AspNetCore.Http.Features;

namespace Meshwork.Portal.Api;

/// <summary>
/// Limits /api bodies before anything reads them: a declared length over the limit gets 413 at
/// once, and Kestrel is told the limit, so a chunked body is cut off as soon as it passes it (the
/// readers in <see cref="ResourceBodies"/> also stop there, whatever the server).
/// </summary>
public static class ApiBodyLimit
{
    public static IApplicationBuilder UseApiBodyLimit(this IApplicationBuilder app, ApiLimitOptions limits) =>
        app.Use(async (context, next) =>
        {
            if (context.Request.Path.StartsWithSegments("/api"))
            {
                if (context.Request.ContentLength > limits.MaxRequestBodyBytes)
                {
                    await ApiProblems.TooLarge(limits.MaxRequestBodyBytes).ExecuteAsync(context);
                    return;
                }
                if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
                    feature.MaxRequestBodySize = limits.MaxRequestBodyBytes;
            }
            await next(context);
        });
}
