using System.Globalization;
using Meshwork.Model.Resources;

namespace Meshwork.Store;

/// <summary>
/// One message from <see cref="ChangeListener"/>: either a committed change of one resource, or
/// a <see cref="Resync"/> after the listener reconnected (notifications sent while it was away
/// are lost, so the consumer should reload everything it caches).
/// </summary>
public sealed record ChangeNotification(ResourceKey? Key, long Version)
{
    public static readonly ChangeNotification Resync = new(null, 0);

    public bool IsResync => Key is null;

    public static string Format(ResourceKey key, long version) => $"{key}:{version.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Parses "Kind/namespace/name:version"; null when the payload is not in that form.</summary>
    public static ChangeNotification? Parse(string payload)
    {
        var colon = payload.LastIndexOf(':');
        if (colon < 0 || !long.TryParse(payload.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            return null;
        var parts = payload[..colon].Split('/', 3);
        if (parts.Length != 3 || !Enum.TryParse<ResourceKind>(parts[0], ignoreCase: false, out var kind))
            return null;
        return new ChangeNotification(new ResourceKey(kind, parts[1], parts[2]), version);
    }
}
