using System.Text.Json.Serialization;

namespace SharpVmm.Client;

/// <summary>The body of <c>PUT /actions</c>: <c>InstanceStart</c>, <c>SendCtrlAltDel</c> or <c>FlushMetrics</c>.</summary>
internal sealed record InstanceAction([property: JsonPropertyName("action_type")] string ActionType);
