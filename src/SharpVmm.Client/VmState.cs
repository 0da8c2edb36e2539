using System.Text.Json.Serialization;

namespace SharpVmm.Client;

/// <summary>The body of <c>PATCH /vm</c>: <c>Paused</c> or <c>Resumed</c>.</summary>
internal sealed record VmState([property: JsonPropertyName("state")] string State);
