using System.Text;

namespace Meshwork.DemoApps.Backend;

/// <summary>
/// A demo service: answers every path with who it is (service, version, instance) and the request
/// it saw, behind the knobs every demo app has (<see cref="DemoHost"/>). Tests and benchmarks use it
/// as a plain backend.
/// </summary>
public static class DemoBackend
{
    public static async Task RunAsync(string[] args)
    {
        var (app, state) = DemoHost.Create(args);
        var options = state.Options;
        var payload = options.BodyBytes > 0 ? Encoding.ASCII.GetBytes(new string('x', options.BodyBytes)) : [];

        app.Map("/{**path}", async (HttpContext context) =>
        {
            if (payload.Length > 0)
            {
                context.Response.ContentType = "text/plain";
                context.Response.ContentLength = payload.Length;
                await context.Response.Body.WriteAsync(payload, context.RequestAborted);
                return;
            }
            await context.Response.WriteAsJsonAsync(new EchoResponse(
                options.Service, options.Version, options.Instance, context.Request.Method, context.Request.Path + context.Request.QueryString,
                context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString())));
        });

        await app.RunAsync();
    }
}

/// <summary>What a demo service answers: who served the request and what it received.</summary>
public sealed record EchoResponse(string Service, string Version, string Instance, string Method, string Path, IReadOnlyDictionary<string, string> Headers);
