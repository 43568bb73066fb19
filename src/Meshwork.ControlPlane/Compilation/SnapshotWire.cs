using Google.Protobuf;
using Meshwork.Protocol.Snapshots;
using ModelSnapshot = Meshwork.Model.Snapshots.ProxySnapshot;

namespace Meshwork.ControlPlane.Compilation;

/// <summary>Serializes a compiled snapshot once, into the bytes carried by mesh.proto's Snapshot.content.</summary>
public static class SnapshotWire
{
    public static ByteString Encode(ModelSnapshot snapshot) => SnapshotMapper.ToProto(snapshot).ToByteString();
}
