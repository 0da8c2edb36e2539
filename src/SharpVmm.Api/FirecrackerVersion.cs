using System.Text.Json.Serialization;

namespace SharpVmm.Api;

/// <summary>The answer to <c>GET /version</c>.</summary>
public sealed record FirecrackerVersion([property: JsonPropertyName("firecracker_version")] string Version);
