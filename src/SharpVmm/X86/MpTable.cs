using System.Buffers.Binary;
using System.Text;
using SharpVmm.Memory;

namespace SharpVmm.X86;

/// <summary>
/// Writes an Intel MultiProcessor Specification 1.4 table (chapter 4): the floating pointer structure and a
/// configuration table listing every vCPU's local APIC, the ISA bus, the IOAPIC and the ISA interrupt wiring, so an
/// operating system without ACPI finds all processors and routes legacy interrupts through the IOAPIC. With a
/// <see cref="PciRootDescription"/> it also lists PCI bus 0 (bus ID 0, as the spec wants PCI bus IDs to match bus
/// numbers; the ISA bus then takes ID 1) and one I/O interrupt entry per slot and pin, level-triggered and active-low,
/// so a kernel booted with <c>acpi=off</c> routes INTx too.
/// </summary>
public static class MpTable
{
    /// <summary>Where the table goes by default: the last KiB of base memory, one of the places the spec says to search.</summary>
    public static readonly GuestAddress DefaultAddress = new(0x9_FC00);

    /// <summary>The local APIC's default physical address.</summary>
    public const uint LocalApicAddress = 0xFEE0_0000;

    /// <summary>The IOAPIC's default physical address.</summary>
    public const uint IoApicAddress = 0xFEC0_0000;

    /// <summary>Number of legacy (ISA) interrupt inputs routed to the IOAPIC.</summary>
    public const int IsaIrqCount = 16;

    private const int FloatingPointerSize = 16, HeaderSize = 44, ProcessorEntrySize = 20, ShortEntrySize = 8;
    private const byte SpecRevision = 4; // MP spec 1.4
    private const byte EntryProcessor = 0, EntryBus = 1, EntryIoApic = 2, EntryIoInterrupt = 3, EntryLocalInterrupt = 4;
    private const byte CpuEnabled = 1, CpuBootProcessor = 2;
    private const byte InterruptInt = 0, InterruptNmi = 1, InterruptExtInt = 3;
    private const byte LocalApicVersion = 0x14, IoApicVersion = 0x11;
    private const byte PciBusId = 0;
    private const byte PciInterruptFlags = 0x0F; // trigger level (bits 3:2 = 3), polarity active low (bits 1:0 = 3)

    // CPU signature (family 6) and feature flags (FPU, APIC) written in processor entries, as the spec's example does.
    private const uint CpuSignature = 0x600, CpuFeatures = 0x201;

    /// <summary>Size in bytes of the table for <paramref name="vcpuCount"/> vCPUs and, when given, PCI bus <paramref name="pci"/>.</summary>
    public static int SizeFor(int vcpuCount, PciRootDescription? pci = null) =>
        FloatingPointerSize + HeaderSize + (vcpuCount * ProcessorEntrySize) + ((2 + IsaIrqCount + 2) * ShortEntrySize)
        + (pci is null ? 0 : (1 + pci.Routes.Count()) * ShortEntrySize);

    /// <summary>The IOAPIC's ID: the first one after the vCPUs' local APIC IDs.</summary>
    public static byte IoApicId(int vcpuCount) => (byte)vcpuCount;

    /// <summary>
    /// Writes the table for <paramref name="vcpuCount"/> vCPUs (APIC IDs 0…n-1, vCPU 0 boots) and, when given, PCI bus
    /// <paramref name="pci"/> at <paramref name="at"/>.
    /// </summary>
    public static void Write(GuestMemory memory, GuestAddress at, int vcpuCount, PciRootDescription? pci = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vcpuCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(vcpuCount, 254); // APIC IDs 0..253, then the IOAPIC, 0xFF is broadcast
        if (at.Value % 16 != 0 || at.Value + (ulong)SizeFor(vcpuCount, pci) > 0x10_0000)
        {
            throw new ArgumentException($"the MP floating pointer must be 16-byte aligned below 1 MiB, not at {at}", nameof(at));
        }

        byte[] table = Build((uint)at.Value, vcpuCount, pci);
        memory.Write(at, table);
    }

    /// <summary>Builds the table as it will sit at guest-physical <paramref name="address"/>.</summary>
    public static byte[] Build(uint address, int vcpuCount, PciRootDescription? pci = null)
    {
        byte[] buffer = new byte[SizeFor(vcpuCount, pci)];
        byte isaBusId = pci is null ? (byte)0 : (byte)1;
        Span<byte> fp = buffer.AsSpan(0, FloatingPointerSize);
        Span<byte> config = buffer.AsSpan(FloatingPointerSize);
        byte ioApicId = IoApicId(vcpuCount);

        int offset = HeaderSize;
        ushort entries = 0;
        for (int cpu = 0; cpu < vcpuCount; cpu++)
        {
            Span<byte> e = config.Slice(offset, ProcessorEntrySize);
            e[0] = EntryProcessor;
            e[1] = (byte)cpu;
            e[2] = LocalApicVersion;
            e[3] = (byte)(CpuEnabled | (cpu == 0 ? CpuBootProcessor : 0));
            BinaryPrimitives.WriteUInt32LittleEndian(e[4..], CpuSignature);
            BinaryPrimitives.WriteUInt32LittleEndian(e[8..], CpuFeatures);
            offset += ProcessorEntrySize;
            entries++;
        }

        if (pci is not null)
        {
            Span<byte> pciBus = config.Slice(offset, ShortEntrySize);
            pciBus[0] = EntryBus;
            pciBus[1] = PciBusId;
            Encoding.ASCII.GetBytes("PCI   ", pciBus[2..]);
            offset += ShortEntrySize;
            entries++;
        }

        Span<byte> bus = config.Slice(offset, ShortEntrySize);
        bus[0] = EntryBus;
        bus[1] = isaBusId;
        Encoding.ASCII.GetBytes("ISA   ", bus[2..]);
        offset += ShortEntrySize;
        entries++;

        Span<byte> ioApic = config.Slice(offset, ShortEntrySize);
        ioApic[0] = EntryIoApic;
        ioApic[1] = ioApicId;
        ioApic[2] = IoApicVersion;
        ioApic[3] = 1; // enabled
        BinaryPrimitives.WriteUInt32LittleEndian(ioApic[4..], IoApicAddress);
        offset += ShortEntrySize;
        entries++;

        // ISA IRQ n arrives on IOAPIC pin n, KVM's default GSI routing, IRQ 0 (the PIT) included. The PIC's output
        // reaches the CPUs through LINT0 (below), not through an IOAPIC pin: listing pin 0 as ExtINT makes Linux's
        // timer check look for an ExtINT pin KVM's IOAPIC does not wire, and 6.1 then oopses in check_timer().
        for (byte irq = 0; irq < IsaIrqCount; irq++)
        {
            WriteInterrupt(config.Slice(offset, ShortEntrySize), EntryIoInterrupt, InterruptInt, isaBusId, irq, ioApicId, irq);
            offset += ShortEntrySize;
            entries++;
        }

        // A PCI source IRQ is the device number in bits 6:2 and the pin (0 = INTA) in bits 1:0 (MP spec D.3).
        foreach ((int slot, int pin, uint gsi) in pci?.Routes ?? [])
        {
            Span<byte> e = config.Slice(offset, ShortEntrySize);
            WriteInterrupt(e, EntryIoInterrupt, InterruptInt, PciBusId, (byte)((slot << 2) | pin), ioApicId, (byte)gsi);
            e[2] = PciInterruptFlags;
            offset += ShortEntrySize;
            entries++;
        }

        // LINT0 gets the PIC (ExtINT), LINT1 gets NMI, on every local APIC (destination 0xFF).
        WriteInterrupt(config.Slice(offset, ShortEntrySize), EntryLocalInterrupt, InterruptExtInt, isaBusId, 0, 0xFF, 0);
        offset += ShortEntrySize;
        WriteInterrupt(config.Slice(offset, ShortEntrySize), EntryLocalInterrupt, InterruptNmi, isaBusId, 0, 0xFF, 1);
        offset += ShortEntrySize;
        entries += 2;

        // Configuration table header (spec table 4-2).
        Encoding.ASCII.GetBytes("PCMP", config);
        BinaryPrimitives.WriteUInt16LittleEndian(config[4..], (ushort)offset);
        config[6] = SpecRevision;
        Encoding.ASCII.GetBytes("SHARPVMM", config[8..]);
        Encoding.ASCII.GetBytes("000000000000", config[16..]);
        BinaryPrimitives.WriteUInt16LittleEndian(config[34..], entries);
        BinaryPrimitives.WriteUInt32LittleEndian(config[36..], LocalApicAddress);
        config[7] = Checksum(config[..offset]);

        // Floating pointer structure (spec table 4-1): feature byte 1 = 0 means "a configuration table is present".
        Encoding.ASCII.GetBytes("_MP_", fp);
        BinaryPrimitives.WriteUInt32LittleEndian(fp[4..], address + FloatingPointerSize);
        fp[8] = 1; // length in 16-byte paragraphs
        fp[9] = SpecRevision;
        fp[10] = Checksum(fp);
        return buffer;
    }

    /// <summary>The byte that makes <paramref name="bytes"/> (with that byte still 0) sum to zero.</summary>
    public static byte Checksum(ReadOnlySpan<byte> bytes)
    {
        byte sum = 0;
        foreach (byte b in bytes)
        {
            sum += b;
        }

        return (byte)-sum;
    }

    private static void WriteInterrupt(Span<byte> e, byte entryType, byte interruptType, byte sourceBus, byte sourceIrq, byte destinationId, byte destinationPin)
    {
        e[0] = entryType;
        e[1] = interruptType;
        BinaryPrimitives.WriteUInt16LittleEndian(e[2..], 0); // polarity and trigger "conform to the bus"
        e[4] = sourceBus;
        e[5] = sourceIrq;
        e[6] = destinationId;
        e[7] = destinationPin;
    }
}
