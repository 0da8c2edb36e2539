using System.Text.Json.Serialization;

namespace SharpVmm.Client;

/// <summary>Every body the client writes or reads, source-generated (Native AOT); nulls are not sent, unknown fields in answers are skipped.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(InstanceInfo))]
[JsonSerializable(typeof(BootSource))]
[JsonSerializable(typeof(MachineConfiguration))]
[JsonSerializable(typeof(Drive))]
[JsonSerializable(typeof(NetworkInterface))]
[JsonSerializable(typeof(FullVmConfiguration))]
[JsonSerializable(typeof(InstanceAction))]
[JsonSerializable(typeof(VmState))]
[JsonSerializable(typeof(VersionInfo))]
[JsonSerializable(typeof(ErrorBody))]
[JsonSerializable(typeof(SnapshotCreate))]
[JsonSerializable(typeof(SnapshotLoad))]
internal sealed partial class ClientJsonContext : JsonSerializerContext;
