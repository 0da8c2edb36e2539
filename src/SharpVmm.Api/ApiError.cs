using System.Text.Json.Serialization;

namespace SharpVmm.Api;

/// <summary>Firecracker's error body: <c>{"fault_message": "..."}</c>.</summary>
public sealed record ApiError([property: JsonPropertyName("fault_message")] string FaultMessage);
