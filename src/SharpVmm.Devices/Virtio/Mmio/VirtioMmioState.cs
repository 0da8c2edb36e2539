namespace SharpVmm.Devices.Virtio.Mmio;

/// <summary>The guest-visible state of a <see cref="VirtioMmioDevice"/> (<see cref="VirtioMmioDevice.SaveState"/>).</summary>
public sealed record VirtioMmioState
{
    /// <summary>InterruptStatus (bit 0 used buffer, bit 1 configuration change), not yet acknowledged.</summary>
    public uint InterruptStatus { get; set; }

    /// <summary>Status, features, selectors and queues (<see cref="VirtioTransportState"/>).</summary>
    public VirtioTransportSavedState Transport { get; set; } = new();
}
