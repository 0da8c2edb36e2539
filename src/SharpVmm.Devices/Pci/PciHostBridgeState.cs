namespace SharpVmm.Devices.Pci;

/// <summary>
/// The guest-visible state of a <see cref="PciHostBridge"/> (<see cref="PciHostBridge.SaveState"/>): the CONFIG_ADDRESS
/// latch and the host bridge function's configuration space. The other functions on the bus save their own.
/// </summary>
public sealed record PciHostBridgeState
{
    /// <summary>CONFIG_ADDRESS (0xCF8).</summary>
    public uint ConfigAddress { get; set; }

    /// <summary>The configuration space of the host bridge function at 00:00.0.</summary>
    public PciConfigSpaceState HostBridgeFunction { get; set; } = new();
}
