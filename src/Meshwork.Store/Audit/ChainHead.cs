namespace Meshwork.Store;

/// <summary>The newest audit entry's sequence and hash: an anchor to verify the log against later.</summary>
public sealed record ChainHead(long Sequence, string Hash);
