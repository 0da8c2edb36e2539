using System.Text.Json.Serialization;

namespace SharpVmm.Configuration;

/// <summary>
/// The source-generated (reflection-free, Native AOT-clean) JSON contract of <see cref="VmConfig"/>: enums as their
/// names, unknown fields refused (a misspelt field is a mistake, as in Firecracker), nulls left out when written.
/// </summary>
[JsonSourceGenerationOptions(
    WriteIndented = true,
    UseStringEnumConverter = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectNullableAnnotations = true,
    AllowTrailingCommas = true,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip)]
[JsonSerializable(typeof(VmConfig))]
[JsonSerializable(typeof(RateLimiterConfig))]
[JsonSerializable(typeof(TokenBucketConfig))]
public sealed partial class VmConfigJsonContext : JsonSerializerContext;
