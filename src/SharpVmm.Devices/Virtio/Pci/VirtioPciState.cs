using SharpVmm.Devices.Pci;

namespace SharpVmm.Devices.Virtio.Pci;

/// <summary>
/// The guest-visible state of a <see cref="VirtioPciDevice"/> (<see cref="VirtioPciDevice.SaveState"/>): its PCI
/// configuration space (command register, BARs, MSI-X control, the PCI-configuration-access window), the MSI-X table
/// and pending bits, the common configuration's MSI-X config vector, the ISR, and the shared transport state.
/// </summary>
public sealed record VirtioPciState
{
    /// <summary>The PCI configuration space.</summary>
    public PciConfigSpaceState Config { get; set; } = new();

    /// <summary>The MSI-X vectors.</summary>
    public MsixVectorsState Msix { get; set; } = new();

    /// <summary>config_msix_vector (<see cref="VirtQueueConfig.NoVector"/> for none).</summary>
    public ushort MsixConfigVector { get; set; } = VirtQueueConfig.NoVector;

    /// <summary>The ISR status byte (bit 0 queue, bit 1 configuration), not yet read by the driver.</summary>
    public byte Isr { get; set; }

    /// <summary>Status, features, selectors and queues (<see cref="VirtioTransportState"/>).</summary>
    public VirtioTransportSavedState Transport { get; set; } = new();
}
