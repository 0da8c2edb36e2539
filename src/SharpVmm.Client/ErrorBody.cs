using System.Text.Json.Serialization;

namespace SharpVmm.Client;

/// <summary>Firecracker's error body: <c>{"fault_message": "..."}</c>.</summary>
internal sealed record ErrorBody([property: JsonPropertyName("fault_message")] string? FaultMessage);
