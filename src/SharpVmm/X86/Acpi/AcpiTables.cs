using System.Buffers.Binary;
using SharpVmm.Memory;

namespace SharpVmm.X86.Acpi;

/// <summary>
/// Writes the ACPI tables of a PC without firmware (ACPI 6.4 chapter 5): the RSDP at <see cref="AcpiLayout.TablesAddress"/>,
/// then the FACS, the DSDT (<c>\_S5</c>, and the PCI host bridge when there is PCI), the FADT (legacy fixed hardware at the layout's ports), the MADT (every
/// vCPU's local APIC, the IOAPIC, the SCI override) and the RSDT and XSDT listing the FADT and MADT, all in the BIOS
/// area below 1 MiB. Hand the returned RSDP address to the kernel (boot_params.acpi_rsdp_addr or PVH rsdp_paddr), or
/// let it find the RSDP by the standard search.
/// </summary>
public static class AcpiTables
{
    /// <summary>Start of the area an OS searches for the RSDP (ACPI 6.4 section 5.2.5.1: the BIOS read-only area).</summary>
    public const uint BiosAreaStart = 0xE_0000;

    /// <summary>End (exclusive) of the RSDP search area: 1 MiB.</summary>
    public const uint BiosAreaEnd = 0x10_0000;

    /// <summary>OEMID in the RSDP and every table header.</summary>
    public const string OemId = "SHRPVM";

    /// <summary>OEM Table ID in every table header.</summary>
    public const string OemTableId = "SHARPVMM";

    /// <summary>OEM Revision in every table header.</summary>
    public const uint OemRevision = 1;

    /// <summary>Creator ID in every table header (the tool that made the tables).</summary>
    public const string CreatorId = "SVMM";

    /// <summary>Creator Revision in every table header.</summary>
    public const uint CreatorRevision = 1;

    private const int TableAlignment = 8;
    private const byte RootTableRevision = 1; // RSDT and XSDT (ACPI 6.4 tables 5.5 and 5.6)
    private const int RootEntries = 2;        // FADT, MADT

    /// <summary>Size in bytes of everything written for <paramref name="vcpuCount"/> vCPUs at <paramref name="address"/>.</summary>
    public static int SizeFor(uint address, int vcpuCount, PciRootDescription? pci = null) => Place(address, vcpuCount, pci, s3: true).End;

    /// <summary>Where the FACS sits when the tables start at <paramref name="layout"/>'s address (it follows the RSDP).</summary>
    public static GuestAddress FacsAddress(AcpiLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        return layout.TablesAddress.Add((ulong)Align((uint)layout.TablesAddress.Value, Rsdp.Size, Facs.Alignment));
    }

    /// <summary>
    /// The FACS's Firmware Waking Vector (ACPI 6.4 table 5.14), which the operating system writes before it enters S3:
    /// the real-mode address the firmware jumps to on wake. Zero means the OS left none.
    /// </summary>
    public static uint ReadFirmwareWakingVector(GuestMemory memory, AcpiLayout layout)
    {
        ArgumentNullException.ThrowIfNull(memory);
        return memory.Read<uint>(FacsAddress(layout).Add(Facs.FirmwareWakingVectorOffset));
    }

    /// <summary>
    /// Writes the tables for <paramref name="vcpuCount"/> vCPUs (APIC IDs 0…n-1) where <paramref name="layout"/> says; with
    /// <paramref name="pci"/>, the DSDT describes the PCI host bridge and its devices' interrupt routing.
    /// </summary>
    /// <returns>The RSDP's guest-physical address.</returns>
    /// <exception cref="ArgumentException">The layout puts the tables outside [0xE0000, 0x100000) or the RSDP off a 16-byte boundary.</exception>
    public static GuestAddress Write(GuestMemory memory, int vcpuCount, AcpiLayout layout, PciRootDescription? pci = null)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(layout);
        ulong at = layout.TablesAddress.Value;
        if (at < BiosAreaStart || at >= BiosAreaEnd || at % 16 != 0 || at + (ulong)SizeFor((uint)at, vcpuCount, pci) > BiosAreaEnd)
        {
            throw new ArgumentException(
                $"the ACPI tables must start 16-byte aligned and fit in [0x{BiosAreaStart:x}, 0x{BiosAreaEnd:x}), not at {layout.TablesAddress}",
                nameof(layout));
        }

        memory.Write(layout.TablesAddress, Build((uint)at, vcpuCount, layout, pci));
        return layout.TablesAddress;
    }

    /// <summary>Builds the tables as they will sit at guest-physical <paramref name="address"/> (the RSDP first).</summary>
    public static byte[] Build(uint address, int vcpuCount, AcpiLayout layout, PciRootDescription? pci = null)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentOutOfRangeException.ThrowIfLessThan(vcpuCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(vcpuCount, 254); // APIC IDs 0..253, then the IOAPIC, 0xFF is broadcast
        if (address % 16 != 0)
        {
            throw new ArgumentException($"the RSDP must be 16-byte aligned, not at 0x{address:x}", nameof(address));
        }

        if (layout.S5SleepType > 7 || layout.S3SleepType > 7 || layout.S3SleepType == layout.S5SleepType || layout.SciIrq >= MpTable.IsaIrqCount)
        {
            throw new ArgumentException("SLP_TYPx is 3 bits, S3 and S5 need different values, and the SCI must be an ISA IRQ (0-15)", nameof(layout));
        }

        var p = Place(address, vcpuCount, pci, layout.S3SleepType is not null);
        byte[] buffer = new byte[p.End];
        Span<byte> all = buffer;

        Facs.Write(all.Slice(p.Facs, Facs.Size));
        Dsdt.Build(layout.S5SleepType, pci, layout.S3SleepType).CopyTo(all[p.Dsdt..]);
        Fadt.Write(all.Slice(p.Fadt, Fadt.Size), layout, address + (uint)p.Facs, address + (uint)p.Dsdt);
        Madt.Write(all.Slice(p.Madt, Madt.SizeFor(vcpuCount)), vcpuCount, layout.SciIrq);

        Span<byte> rsdt = all.Slice(p.Rsdt, AcpiTableHeader.Size + (RootEntries * sizeof(uint)));
        BinaryPrimitives.WriteUInt32LittleEndian(rsdt[AcpiTableHeader.Size..], address + (uint)p.Fadt);
        BinaryPrimitives.WriteUInt32LittleEndian(rsdt[(AcpiTableHeader.Size + sizeof(uint))..], address + (uint)p.Madt);
        AcpiTableHeader.Complete(rsdt, "RSDT", RootTableRevision);

        Span<byte> xsdt = all.Slice(p.Xsdt, AcpiTableHeader.Size + (RootEntries * sizeof(ulong)));
        BinaryPrimitives.WriteUInt64LittleEndian(xsdt[AcpiTableHeader.Size..], address + (uint)p.Fadt);
        BinaryPrimitives.WriteUInt64LittleEndian(xsdt[(AcpiTableHeader.Size + sizeof(ulong))..], address + (uint)p.Madt);
        AcpiTableHeader.Complete(xsdt, "XSDT", RootTableRevision);

        Rsdp.Write(all[..Rsdp.Size], address + (uint)p.Rsdt, address + (uint)p.Xsdt);
        return buffer;
    }

    /// <summary>The byte that makes <paramref name="bytes"/> (with that byte still 0) sum to zero modulo 256.</summary>
    public static byte Checksum(ReadOnlySpan<byte> bytes) => MpTable.Checksum(bytes);

    // Offsets from the RSDP: the FACS on a 64-byte boundary in guest-physical terms, the other tables 8-byte aligned.
    private static (int Facs, int Dsdt, int Fadt, int Madt, int Rsdt, int Xsdt, int End) Place(uint address, int vcpuCount, PciRootDescription? pci, bool s3)
    {
        int facs = Align(address, Rsdp.Size, Facs.Alignment);
        int dsdt = Align(address, facs + Facs.Size, TableAlignment);
        int fadt = Align(address, dsdt + Dsdt.SizeFor(pci, s3), TableAlignment);
        int madt = Align(address, fadt + Fadt.Size, TableAlignment);
        int rsdt = Align(address, madt + Madt.SizeFor(vcpuCount), TableAlignment);
        int xsdt = Align(address, rsdt + AcpiTableHeader.Size + (RootEntries * sizeof(uint)), TableAlignment);
        int end = xsdt + AcpiTableHeader.Size + (RootEntries * sizeof(ulong));
        return (facs, dsdt, fadt, madt, rsdt, xsdt, end);
    }

    private static int Align(uint address, int offset, int alignment)
    {
        long absolute = address + (long)offset;
        long aligned = (absolute + alignment - 1) / alignment * alignment;
        return (int)(aligned - address);
    }
}
