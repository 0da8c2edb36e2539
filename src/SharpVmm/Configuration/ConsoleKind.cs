using System.Text.Json.Serialization;

namespace SharpVmm.Configuration;

/// <summary>What the guest's console is.</summary>
public enum ConsoleKind
{
    /// <summary>COM1, a 16550A UART at 0x3f8 (ttyS0).</summary>
    [JsonStringEnumMemberName("serial")]
    Serial,

    /// <summary>A virtio-console (hvc0); COM1 is still there, its output discarded.</summary>
    [JsonStringEnumMemberName("virtio")]
    Virtio,
}
