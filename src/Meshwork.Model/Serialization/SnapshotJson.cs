using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Meshwork.Model.Resources;
using Meshwork.Model.Snapshots;

namespace Meshwork.Model.Serialization;

/// <summary>
/// <see cref="MeshworkJson.Options"/> for snapshots only, built from source-generated metadata: the
/// native (AOT) proxy has no reflection metadata to serialize with, and it must compute the very text
/// the control plane hashes (<see cref="SnapshotHash"/>). Same settings, converters and modifier as
/// MeshworkJson; enums need one generic converter each, since the non-generic one builds converters
/// at run time.
/// </summary>
public static class SnapshotJson
{
    public static readonly JsonSerializerOptions Options = Create();

    /// <summary>The contract to serialize with: the overloads taking only options are flagged as needing reflection.</summary>
    public static readonly JsonTypeInfo<ProxySnapshot> ProxySnapshot = (JsonTypeInfo<ProxySnapshot>)Options.GetTypeInfo(typeof(ProxySnapshot));

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            AllowOutOfOrderMetadataProperties = true,
            RespectNullableAnnotations = true,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            TypeInfoResolver = SnapshotJsonContext.Default.WithAddedModifier(MeshworkJson.HideComputedResourceMembers),
        };
        AddEnum<ListenerKind>(options);
        AddEnum<ServiceProtocol>(options);
        AddEnum<InstanceHealth>(options);
        AddEnum<ResourceKind>(options);
        AddEnum<ParentKind>(options);
        AddEnum<PathMatchType>(options);
        AddEnum<StringMatchType>(options);
        AddEnum<HttpRouteFilterType>(options);
        AddEnum<PathModifierType>(options);
        AddEnum<AccessMode>(options);
        AddEnum<LoadBalancingPolicy>(options);
        AddEnum<AccessAction>(options);
        AddEnum<PathNormalization>(options);
        options.Converters.Add(new MeshworkJson.DurationJsonConverter());
        options.Converters.Add(new MeshworkJson.NullableDurationJsonConverter());
        options.MakeReadOnly();
        return options;
    }

    private static void AddEnum<TEnum>(JsonSerializerOptions options) where TEnum : struct, Enum =>
        options.Converters.Add(new JsonStringEnumConverter<TEnum>(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ProxySnapshot))]
internal sealed partial class SnapshotJsonContext : JsonSerializerContext;
