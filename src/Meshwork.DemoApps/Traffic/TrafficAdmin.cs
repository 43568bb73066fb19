namespace Meshwork.DemoApps.Traffic;

/// <summary>
/// The generator's control endpoint: GET /traffic (rate, mix, counters), PUT /traffic with
/// {"rps": 5, "targets": [{"url": "http://127.0.0.1:18080/", "weight": 3}]} (either part may be left
/// out); an invalid change answers 400 naming each field and changes nothing. Bound to loopback by the
/// launcher, like the demo apps' own /admin endpoints.
/// </summary>
public static class TrafficAdmin
{
    public static WebApplication Create(TrafficControl control, string urls)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(urls);
        builder.AddServiceDefaults();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapGet("/traffic", () => Results.Ok(control.View()));
        app.MapPut("/traffic", (TrafficPlan.Change change) =>
        {
            var errors = control.Apply(change);
            return errors.Count > 0 ? Results.ValidationProblem(errors) : Results.Ok(control.View());
        });
        return app;
    }
}
