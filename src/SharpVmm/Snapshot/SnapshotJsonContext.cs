using System.Text.Json.Serialization;

namespace SharpVmm.Snapshot;

/// <summary>The state document's JSON, source-generated (Native AOT); KVM's structures are base64 byte arrays.</summary>
[JsonSourceGenerationOptions(
    UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(VmSnapshotState))]
internal sealed partial class SnapshotJsonContext : JsonSerializerContext;
