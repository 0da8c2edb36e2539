namespace SharpVmm.Platform;

/// <summary>How virtio devices reach the guest (virtio 1.2, section 4).</summary>
public enum VirtioTransport
{
    /// <summary>virtio-pci modern (4.1): PCI functions on bus 0 behind a host bridge, MSI-X per queue. The default, as in QEMU.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("pci")]
    Pci,

    /// <summary>virtio-mmio version 2 (4.2): 4 KiB register windows from 0xD0000000, announced on the kernel command line, as in Firecracker.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("mmio")]
    Mmio,
}
