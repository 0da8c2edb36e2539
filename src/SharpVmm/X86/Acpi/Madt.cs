using System.Buffers.Binary;

namespace SharpVmm.X86.Acpi;

/// <summary>
/// The Multiple APIC Description Table, signature "APIC" (ACPI 6.4 section 5.2.12): one local APIC per vCPU (APIC ID =
/// processor UID = vCPU index), the IOAPIC after them, an interrupt source override for the SCI only, and LINT1 as NMI
/// on every processor.
/// </summary>
/// <remarks>
/// ISA IRQ 0 is not overridden: KVM's in-kernel IOAPIC receives GSI n on pin n, the PIT on pin 0 included (the MP table
/// says the same, and Linux boots with it). The SCI needs its override because ACPI's default for it is level-triggered
/// active low, and KVM's lines are active high.
/// </remarks>
internal static class Madt
{
    /// <summary>The table's signature.</summary>
    public const string Signature = "APIC";

    // MADT revision 5: ACPI 6.3 and 6.4 (table 5.19).
    private const byte Revision = 5;

    // Body offsets after the header: Local Interrupt Controller Address, Flags (ACPI 6.4 table 5.19).
    private const int LocalApicAddressOffset = 36, FlagsOffset = 40, EntriesOffset = 44;
    private const uint PcatCompat = 1 << 0; // the PC has dual 8259s, which an APIC-mode OS must mask (table 5.20)

    // Interrupt controller structure types and sizes (ACPI 6.4 table 5.21 and sections 5.2.12.2-5.2.12.7).
    private const byte ProcessorLocalApic = 0, IoApic = 1, InterruptSourceOverride = 2, LocalApicNmi = 4;
    private const int ProcessorLocalApicSize = 8, IoApicSize = 12, InterruptSourceOverrideSize = 10, LocalApicNmiSize = 6;
    private const uint LocalApicEnabled = 1 << 0; // table 5.23
    private const byte IsaBus = 0;                // "Bus: 0, constant, meaning ISA"

    // MPS INTI flags (ACPI 6.4 table 5.26): polarity in bits 0-1 (01 active high), trigger mode in bits 2-3 (11 level).
    private const ushort ActiveHigh = 0b01, LevelTriggered = 0b11 << 2, ConformsToBus = 0;

    private const byte AllProcessors = 0xFF; // Local APIC NMI's ACPI Processor UID for "every processor"
    private const byte Lint1 = 1;

    /// <summary>Size of the table for <paramref name="vcpuCount"/> vCPUs.</summary>
    public static int SizeFor(int vcpuCount) =>
        EntriesOffset + (vcpuCount * ProcessorLocalApicSize) + IoApicSize + InterruptSourceOverrideSize + LocalApicNmiSize;

    /// <summary>Writes the MADT into <paramref name="table"/> (exactly <see cref="SizeFor"/> bytes, zeroed).</summary>
    public static void Write(Span<byte> table, int vcpuCount, byte sciIrq)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(table[LocalApicAddressOffset..], MpTable.LocalApicAddress);
        BinaryPrimitives.WriteUInt32LittleEndian(table[FlagsOffset..], PcatCompat);

        int offset = EntriesOffset;
        for (int cpu = 0; cpu < vcpuCount; cpu++)
        {
            Span<byte> e = Entry(table, ref offset, ProcessorLocalApic, ProcessorLocalApicSize);
            e[2] = (byte)cpu; // ACPI Processor UID
            e[3] = (byte)cpu; // APIC ID
            BinaryPrimitives.WriteUInt32LittleEndian(e[4..], LocalApicEnabled);
        }

        Span<byte> ioApic = Entry(table, ref offset, IoApic, IoApicSize);
        ioApic[2] = MpTable.IoApicId(vcpuCount);
        BinaryPrimitives.WriteUInt32LittleEndian(ioApic[4..], MpTable.IoApicAddress);
        BinaryPrimitives.WriteUInt32LittleEndian(ioApic[8..], 0); // Global System Interrupt Base

        Span<byte> sci = Entry(table, ref offset, InterruptSourceOverride, InterruptSourceOverrideSize);
        sci[2] = IsaBus;
        sci[3] = sciIrq;
        BinaryPrimitives.WriteUInt32LittleEndian(sci[4..], sciIrq); // same GSI: only the polarity and trigger change
        BinaryPrimitives.WriteUInt16LittleEndian(sci[8..], ActiveHigh | LevelTriggered);

        Span<byte> nmi = Entry(table, ref offset, LocalApicNmi, LocalApicNmiSize);
        nmi[2] = AllProcessors;
        BinaryPrimitives.WriteUInt16LittleEndian(nmi[3..], ConformsToBus);
        nmi[5] = Lint1;

        AcpiTableHeader.Complete(table, Signature, Revision);
    }

    private static Span<byte> Entry(Span<byte> table, ref int offset, byte type, int size)
    {
        Span<byte> entry = table.Slice(offset, size);
        entry[0] = type;
        entry[1] = (byte)size;
        offset += size;
        return entry;
    }
}
