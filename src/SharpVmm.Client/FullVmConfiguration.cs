using System.Text.Json.Serialization;

namespace SharpVmm.Client;

/// <summary>The answer to <c>GET /vm/config</c>: the resources configured so far (fields this client does not model are skipped).</summary>
public sealed record FullVmConfiguration
{
    /// <summary>The boot source, or null before one was put.</summary>
    [JsonPropertyName("boot-source")]
    public BootSource? BootSource { get; init; }

    /// <summary>The machine configuration.</summary>
    [JsonPropertyName("machine-config")]
    public MachineConfiguration? MachineConfig { get; init; }

    /// <summary>The drives.</summary>
    [JsonPropertyName("drives")]
    public IReadOnlyList<Drive> Drives { get; init; } = [];

    /// <summary>The network interfaces.</summary>
    [JsonPropertyName("network-interfaces")]
    public IReadOnlyList<NetworkInterface> NetworkInterfaces { get; init; } = [];
}
