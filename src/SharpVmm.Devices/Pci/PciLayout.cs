using SharpVmm.Memory;

namespace SharpVmm.Devices.Pci;

/// <summary>
/// The PCI part of the SharpVmm PC memory and interrupt map, in one place for the bus, the devices and the firmware
/// tables (DSDT <c>_CRS</c>/<c>_PRT</c>, MP table):
/// <list type="bullet">
/// <item>guest RAM below 4 GiB stops at <see cref="MmioWindowBase"/> (0xC000_0000, <see cref="GuestRamLayout.HoleStart"/>)
/// and continues from 4 GiB (<see cref="GuestRamLayout"/>);</item>
/// <item>the 32-bit PCI memory window is [<see cref="MmioWindowBase"/>, <see cref="MmioWindowEnd"/>]
/// (0xC000_0000-0xCFFF_FFFF): the VMM places every BAR there, naturally aligned, before boot;</item>
/// <item>[0xD000_0000, 0xFEBF_FFFF] is left to non-PCI MMIO devices (virtio-mmio) and is described as such;</item>
/// <item>the PCI I/O window is unused (memory BARs only);</item>
/// <item>configuration mechanism #1 at ports <see cref="ConfigAddressPort"/> (address) and <see cref="ConfigDataPort"/>
/// to 0xCFF (data); bus 0 only, function 0 only;</item>
/// <item>the host bridge at 00:00.0, devices from slot <see cref="FirstDeviceSlot"/>;</item>
/// <item>INTx: slot s, pin INTA..INTD (p = 0..3) arrives on GSI 16 + ((s + p) % 4) (IOAPIC pins 16-19),
/// level-triggered, active-low (<see cref="IntxGsi"/>).</item>
/// </list>
/// </summary>
public static class PciLayout
{
    /// <summary>CONFIG_ADDRESS (PCI Local Bus 3.0, 3.2.2.3.2): a 32-bit register at 0xCF8.</summary>
    public const ushort ConfigAddressPort = 0xCF8;

    /// <summary>CONFIG_DATA: 0xCFC-0xCFF.</summary>
    public const ushort ConfigDataPort = 0xCFC;

    /// <summary>Number of ports the configuration mechanism decodes (0xCF8-0xCFF).</summary>
    public const ushort ConfigPortCount = 8;

    /// <summary>First address of the 32-bit PCI memory window.</summary>
    public const ulong MmioWindowBase = GuestRamLayout.HoleStart;

    /// <summary>Size of the 32-bit PCI memory window (256 MiB).</summary>
    public const ulong MmioWindowSize = 0x1000_0000;

    /// <summary>Last address (inclusive) of the 32-bit PCI memory window.</summary>
    public const ulong MmioWindowEnd = MmioWindowBase + MmioWindowSize - 1;

    /// <summary>First address of the MMIO range left to non-PCI devices (virtio-mmio).</summary>
    public const ulong PlatformMmioBase = 0xD000_0000;

    /// <summary>Last address (inclusive) of the non-PCI MMIO range: just below the IOAPIC.</summary>
    public const ulong PlatformMmioEnd = 0xFEBF_FFFF;

    /// <summary>The host bridge's device number.</summary>
    public const int HostBridgeSlot = 0;

    /// <summary>The first device number given to a device.</summary>
    public const int FirstDeviceSlot = 1;

    /// <summary>Device numbers on a bus (PCI Local Bus 3.0: 5 bits).</summary>
    public const int SlotCount = 32;

    /// <summary>The GSI of INTA (IOAPIC pin 16); INTx lines use pins 16-19.</summary>
    public const uint FirstIntxGsi = 16;

    /// <summary>Number of GSIs the INTx lines are swizzled over.</summary>
    public const int IntxGsiCount = 4;

    /// <summary>The GSI (IOAPIC pin) that slot <paramref name="slot"/>'s pin <paramref name="pin"/> (0 = INTA … 3 = INTD) drives.</summary>
    public static uint IntxGsi(int slot, int pin)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, SlotCount);
        ArgumentOutOfRangeException.ThrowIfNegative(pin);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pin, 3);
        return FirstIntxGsi + (uint)((slot + pin) % IntxGsiCount);
    }
}
