namespace SharpVmm.Devices.Virtio.Pci;

/// <summary>
/// Where a <see cref="VirtioPciDevice"/> puts its structures (virtio 1.2, 4.1.4): BAR 0 (<see cref="Bar0Size"/>) holds the
/// common configuration, ISR status, device-specific configuration and notification structures, 4 KiB apart; BAR 1
/// (<see cref="Bar1Size"/>) holds the MSI-X table at 0 and the pending bit array at <see cref="MsixPbaOffset"/>. Also the
/// PCI identity rules of 4.1.2.
/// </summary>
public static class VirtioPciLayout
{
    /// <summary>The virtio vendor ID (4.1.2: 0x1AF4), also the subsystem vendor ID.</summary>
    public const ushort VendorId = 0x1AF4;

    /// <summary>Modern device IDs are 0x1040 + the virtio device ID (4.1.2).</summary>
    public const ushort DeviceIdBase = 0x1040;

    /// <summary>Revision ID of a non-transitional device: 1 or more (4.1.2.1).</summary>
    public const byte Revision = 1;

    /// <summary>Subsystem device ID: 0x40 or more for non-transitional devices (4.1.2.1).</summary>
    public const ushort SubsystemId = 0x40;

    /// <summary>Size of BAR 0.</summary>
    public const uint Bar0Size = 0x4000;

    /// <summary>Size of BAR 1.</summary>
    public const uint Bar1Size = 0x1000;

    /// <summary>Offset of the common configuration structure in BAR 0.</summary>
    public const uint CommonConfigOffset = 0x0000;

    /// <summary>Length of the common configuration structure (through queue_device, 4.1.4.3).</summary>
    public const uint CommonConfigLength = 0x38;

    /// <summary>Offset of the ISR status byte in BAR 0.</summary>
    public const uint IsrOffset = 0x1000;

    /// <summary>Length of the ISR structure.</summary>
    public const uint IsrLength = 4;

    /// <summary>Offset of the device-specific configuration in BAR 0.</summary>
    public const uint DeviceConfigOffset = 0x2000;

    /// <summary>Room for the device-specific configuration.</summary>
    public const uint DeviceConfigMaxLength = 0x1000;

    /// <summary>Offset of the notification structure in BAR 0.</summary>
    public const uint NotifyOffset = 0x3000;

    /// <summary>notify_off_multiplier: queue q is notified at <see cref="NotifyOffset"/> + 4 * q (4.1.4.4).</summary>
    public const uint NotifyOffMultiplier = 4;

    /// <summary>Room for the notification registers (1024 queues).</summary>
    public const uint NotifyMaxLength = 0x1000;

    /// <summary>Offset of the MSI-X table in BAR 1.</summary>
    public const uint MsixTableOffset = 0;

    /// <summary>Offset of the MSI-X pending bit array in BAR 1.</summary>
    public const uint MsixPbaOffset = 0x800;

    /// <summary>Most MSI-X vectors: what fits in the table's half of BAR 1.</summary>
    public const int MaxMsixVectors = (int)(MsixPbaOffset / 16);

    // virtio_pci_cap.cfg_type values (4.1.4).
    /// <summary>VIRTIO_PCI_CAP_COMMON_CFG.</summary>
    public const byte CapCommonConfig = 1;

    /// <summary>VIRTIO_PCI_CAP_NOTIFY_CFG.</summary>
    public const byte CapNotifyConfig = 2;

    /// <summary>VIRTIO_PCI_CAP_ISR_CFG.</summary>
    public const byte CapIsrConfig = 3;

    /// <summary>VIRTIO_PCI_CAP_DEVICE_CFG.</summary>
    public const byte CapDeviceConfig = 4;

    /// <summary>VIRTIO_PCI_CAP_PCI_CFG.</summary>
    public const byte CapPciConfig = 5;

    /// <summary>The vendor-specific capability ID every virtio structure capability uses (4.1.4).</summary>
    public const byte VendorCapabilityId = 0x09;

    /// <summary>ISR bit 0: a queue interrupt (4.1.4.5).</summary>
    public const byte IsrQueue = 1;

    /// <summary>ISR bit 1: a device configuration change (4.1.4.5).</summary>
    public const byte IsrConfig = 2;

    /// <summary>The PCI class code for a device type: network 02/00, block 01/00, console (simple communication) 07/80, others ff/00.</summary>
    public static uint ClassCode(VirtioDeviceType type) => type switch
    {
        VirtioDeviceType.Net => 0x02_00_00,
        VirtioDeviceType.Block => 0x01_00_00,
        VirtioDeviceType.Console => 0x07_80_00,
        _ => 0xFF_00_00,
    };
}
