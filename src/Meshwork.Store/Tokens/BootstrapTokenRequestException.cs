namespace Meshwork.Store;

/// <summary>A token request that was refused before anything was stored; each error names its field.</summary>
public sealed class BootstrapTokenRequestException(IReadOnlyList<BootstrapTokenRequestError> errors)
    : Exception(string.Join("; ", errors.Select(e => $"{e.Field}: {e.Message}")))
{
    public IReadOnlyList<BootstrapTokenRequestError> Errors { get; } = errors;
}

public sealed record BootstrapTokenRequestError(string Field, string Message);
