using System.Text.Json.Serialization;

namespace SharpVmm.Client;

/// <summary>Where a loaded snapshot's memory comes from.</summary>
/// <param name="BackendType"><c>File</c> (or Firecracker's <c>Uffd</c>).</param>
/// <param name="BackendPath">The memory file (or the UFFD handler's socket).</param>
public sealed record MemoryBackend(
    [property: JsonPropertyName("backend_type")] string BackendType,
    [property: JsonPropertyName("backend_path")] string BackendPath);
