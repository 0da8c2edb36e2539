namespace SharpVmm.Devices.Pci;

/// <summary>
/// The contents of a <see cref="PciConfigSpace"/> (<see cref="PciConfigSpace.SaveState"/>): all 256 bytes, the command
/// register, the programmed BARs and the capabilities' writable fields included. A restore applies only the bits the
/// guest can write; the read-only ones must match the device's.
/// </summary>
public sealed record PciConfigSpaceState
{
    /// <summary>The 256 bytes of configuration space.</summary>
    public byte[] Data { get; set; } = [];
}
