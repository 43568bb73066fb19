using Meshwork.Model.Policy;
using Meshwork.Model.Resources;
using Meshwork.Portal.Live;
using Meshwork.Store;

namespace Meshwork.Portal.ViewModels;

/// <summary>The "can A call B?" form.</summary>
public sealed class AccessQuestion
{
    public string SourceService { get; set; } = "";
    public string SourceNamespace { get; set; } = ResourceMetadata.DefaultNamespace;
    public string DestinationService { get; set; } = "";
    public string DestinationNamespace { get; set; } = ResourceMetadata.DefaultNamespace;

    /// <summary>An HTTP request (judged on method and path too) or a TCP connection through a TcpRoute (judged on the caller alone).</summary>
    public CallProtocol Protocol { get; set; } = CallProtocol.Http;

    /// <summary>HTTP only: a TCP connection has no method or path.</summary>
    public string Method { get; set; } = "GET";
    public string Path { get; set; } = "/";
}

/// <summary>
/// Answers "can A call B?" against the stored access policies and mesh default, with the very
/// evaluator the proxies enforce (Meshwork.Model.Policy), so the answer is what the mesh would do: for HTTP,
/// on the path as the proxy normalises it; for TCP, as the destination sidecar judges a TcpRoute's connection
/// (the proxy's TcpInboundRelay: the caller's identity alone), explained by <see cref="TcpAccessExplanation"/>.
/// </summary>
public sealed class AccessSimulatorViewModel(IServiceScopeFactory scopes)
{
    public async Task<AccessDecision> CheckAsync(AccessQuestion question)
    {
        await using var scope = scopes.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<ResourceService>();
        var policies = (await store.ListAsync(ResourceKind.AccessPolicy, question.DestinationNamespace.Trim()))
            .Select(s => (AccessPolicy)s.Resource).ToList();
        var settings = await store.GetAsync(new ResourceKey(ResourceKind.MeshSettings, ResourceMetadata.DefaultNamespace, MeshSettings.SingletonName));
        var mesh = settings?.Resource as MeshSettings ?? new MeshSettings { Metadata = new ResourceMetadata { Name = MeshSettings.SingletonName } };
        var sourceNamespace = question.SourceNamespace.Trim();
        var sourceService = question.SourceService.Trim();
        var caller = new AccessRequest
        {
            DestinationService = question.DestinationService.Trim(),
            DestinationNamespace = question.DestinationNamespace.Trim(),
            SourceService = sourceService,
            SourceNamespace = sourceNamespace,
            SourcePrincipal = $"spiffe://{mesh.TrustDomain}/ns/{sourceNamespace}/sa/{sourceService}",
        };
        if (question.Protocol == CallProtocol.Tcp)
        {
            var connection = caller with { Tcp = true };
            return TcpAccessExplanation.Explain(AccessPolicyEvaluator.Evaluate(policies, mesh.DefaultAccessMode, connection), policies, connection);
        }
        // The proxies judge the normalised path (and refuse some outright), so the simulator does too.
        var typed = string.IsNullOrWhiteSpace(question.Path) ? "/" : question.Path.Trim();
        var path = RequestPathNormalizer.Normalize(typed, mesh.PathNormalization);
        if (path.Error is not null)
            return new AccessDecision(false, AccessDecision.RefusedPath, $"the proxy refuses this path with 400: {path.Error}");
        var decision = AccessPolicyEvaluator.Evaluate(policies, mesh.DefaultAccessMode,
            caller with { Method = question.Method.Trim().ToUpperInvariant(), Path = path.Path! });
        return path.Path == typed ? decision : decision with { Reason = $"{decision.Reason} (the path reads as '{path.Path}' after normalisation)" };
    }
}
