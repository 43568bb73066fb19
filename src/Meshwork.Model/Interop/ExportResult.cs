namespace Meshwork.Model.Interop;

public enum ExportFormat
{
    /// <summary>Meshwork's own YAML (ResourceYaml).</summary>
    Meshwork,

    /// <summary>Kubernetes Gateway API HTTPRoute and TCPRoute (GAMMA for service parents).</summary>
    GatewayApi,

    /// <summary>Istio VirtualService (http and tcp routes), DestinationRule and AuthorizationPolicy.</summary>
    Istio,
}

/// <summary>The exported YAML and what could not be said in the target format, by the resource's path (<c>[2].rules[0].fault</c>).</summary>
public sealed record ExportResult(string Yaml, IReadOnlyList<InteropMessage> Messages);
