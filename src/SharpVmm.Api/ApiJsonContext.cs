using System.Text.Json.Serialization;
using SharpVmm.Configuration;

namespace SharpVmm.Api;

/// <summary>Every body the API reads or writes, source-generated (Native AOT); unknown fields are refused, as Firecracker refuses them.</summary>
[JsonSourceGenerationOptions(
    UseStringEnumConverter = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectNullableAnnotations = true)]
[JsonSerializable(typeof(ApiError))]
[JsonSerializable(typeof(InstanceInfo))]
[JsonSerializable(typeof(FirecrackerVersion))]
[JsonSerializable(typeof(InstanceActionInfo))]
[JsonSerializable(typeof(VmStateUpdate))]
[JsonSerializable(typeof(LoggerConfig))]
[JsonSerializable(typeof(MetricsConfig))]
[JsonSerializable(typeof(SerialConfig))]
[JsonSerializable(typeof(PartialDrive))]
[JsonSerializable(typeof(PartialNetworkInterface))]
[JsonSerializable(typeof(BootSourceConfig))]
[JsonSerializable(typeof(MachineConfig))]
[JsonSerializable(typeof(DriveConfig))]
[JsonSerializable(typeof(NetworkInterfaceConfig))]
[JsonSerializable(typeof(EntropyConfig))]
[JsonSerializable(typeof(BalloonConfig))]
[JsonSerializable(typeof(BalloonUpdate))]
[JsonSerializable(typeof(BalloonStatsUpdate))]
[JsonSerializable(typeof(BalloonStatistics))]
[JsonSerializable(typeof(VsockConfig))]
[JsonSerializable(typeof(VmConfig))]
[JsonSerializable(typeof(SnapshotCreateParams))]
[JsonSerializable(typeof(SnapshotLoadParams))]
public sealed partial class ApiJsonContext : JsonSerializerContext;
