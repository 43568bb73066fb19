namespace Meshwork.Proxy.Http1;

/// <summary>Who serves HTTP/1.1 on the outbound listener (<c>Proxy:Http1Engine</c>).</summary>
public enum Http1Engine
{
    /// <summary>The default: <see cref="Lean"/>, or <see cref="Kestrel"/> when tracing is on (OTEL_EXPORTER_OTLP_ENDPOINT set), as the lean path makes no spans.</summary>
    Auto,

    /// <summary>Kestrel's HTTP/1.1 server and YARP for every request.</summary>
    Kestrel,

    /// <summary>
    /// <see cref="LeanHttp1"/> for the plain requests and routes it covers, Kestrel and YARP for the rest
    /// of a connection from its first request that it does not cover.
    /// </summary>
    Lean,
}
