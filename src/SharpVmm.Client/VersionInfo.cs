using System.Text.Json.Serialization;

namespace SharpVmm.Client;

/// <summary>The answer to <c>GET /version</c>.</summary>
internal sealed record VersionInfo([property: JsonPropertyName("firecracker_version")] string Version);
