namespace Meshwork.Portal.Deployments;

/// <summary>Registers the demo traffic generator's client when Portal:DemoTraffic:ControlUrl is set.</summary>
public static class DemoTrafficHosting
{
    public static WebApplicationBuilder AddDemoTraffic(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(DemoTrafficOptions.Section).Get<DemoTrafficOptions>() ?? new DemoTrafficOptions();
        if (string.IsNullOrWhiteSpace(options.ControlUrl)) return builder;
        // Checked now: a wrong setting stops the portal's start, naming it.
        if (!Uri.TryCreate(options.ControlUrl, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            throw new InvalidOperationException($"{DemoTrafficOptions.Section}:ControlUrl must be an absolute http(s) URL such as http://127.0.0.1:18090/traffic, got '{options.ControlUrl}'");
        builder.Services.AddSingleton(_ => Create(url));
        return builder;
    }

    /// <summary>A client of the generator at <paramref name="controlUrl"/>: straight to it (no proxy), short timeout, bounded answers.</summary>
    public static DemoTrafficGenerator Create(Uri controlUrl) => new(
        new HttpClient(new SocketsHttpHandler { UseProxy = false })
        {
            Timeout = TimeSpan.FromSeconds(10),
            MaxResponseContentBufferSize = DemoTrafficGenerator.MaxAnswerBytes,
        },
        controlUrl);
}
