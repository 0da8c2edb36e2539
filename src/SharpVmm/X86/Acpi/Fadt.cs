using System.Buffers.Binary;
using SharpVmm.Devices.Acpi;

namespace SharpVmm.X86.Acpi;

/// <summary>
/// The Fixed ACPI Description Table, signature "FACP" (ACPI 6.4 section 5.2.9): a PC with the legacy fixed hardware
/// (not hardware-reduced), whose PM1a event and control blocks, PM timer and reset register sit at the ports of an
/// <see cref="AcpiLayout"/>. There is no SMI command port, so the machine is always in ACPI mode.
/// </summary>
internal static class Fadt
{
    /// <summary>Size of a revision 6 FADT (ACPI 6.4 table 5.9).</summary>
    public const int Size = 276;

    /// <summary>The table's signature.</summary>
    public const string Signature = "FACP";

    // FADT Major Version 6, Minor Version 4: ACPI 6.4.
    private const byte Revision = 6, MinorVersion = 4;

    // Field offsets (ACPI 6.4 table 5.9).
    internal const int FirmwareCtrl = 36, Dsdt = 40, PreferredPmProfile = 45, SciInt = 46, SmiCmd = 48;
    internal const int Pm1aEvtBlk = 56, Pm1aCntBlk = 64, PmTmrBlk = 76, Pm1EvtLen = 88, Pm1CntLen = 89;
    internal const int PmTmrLen = 91, PLvl2Lat = 96, PLvl3Lat = 98, Century = 108, IapcBootArch = 109, Flags = 112;
    internal const int ResetReg = 116, ResetValue = 128, MinorVersionOffset = 131, XFirmwareCtrl = 132, XDsdt = 140;
    internal const int XPm1aEvtBlk = 148, XPm1aCntBlk = 172, XPmTmrBlk = 208, HypervisorVendorIdentity = 268;

    // Fixed feature flags (ACPI 6.4 table 5.10).
    internal const uint Wbinvd = 1 << 0;          // WBINVD works on this processor
    internal const uint ProcC1 = 1 << 2;          // C1 (HLT) is supported on all processors
    internal const uint SlpButton = 1 << 5;       // no fixed-feature sleep button
    internal const uint FixRtc = 1 << 6;          // RTC wake status is not in the fixed register space
    internal const uint TmrValExt = 1 << 8;       // clear here: the PM timer is 24 bits
    internal const uint ResetRegSup = 1 << 10;    // RESET_REG and RESET_VALUE are valid
    internal const uint HwReducedAcpi = 1 << 20;  // clear here: the fixed hardware exists

    // IA-PC boot architecture flags (ACPI 6.4 table 5.11).
    internal const ushort LegacyDevices = 1 << 0; // ISA devices not enumerated by ACPI (UART, RTC, PIT)
    internal const ushort I8042 = 1 << 1;         // an 8042 keyboard controller at 0x60/0x64
    internal const ushort VgaNotPresent = 1 << 2; // do not probe VGA

    // P_LVL2_LAT above 100 and P_LVL3_LAT above 1000 say C2 and C3 are not supported (ACPI 6.4 table 5.9).
    private const ushort NoC2 = 101, NoC3 = 1001;

    // CMOS index of the RTC century byte (CmosRtc keeps it at 0x32, as PC firmware does).
    private const byte RtcCenturyIndex = 0x32;

    // "SHRPVMM\0": the hypervisor vendor identity, a free-form 64-bit value (ACPI 6.4 table 5.9).
    private const ulong HypervisorId = 0x004D_4D56_5052_4853;

    /// <summary>Writes the FADT into <paramref name="table"/> (exactly <see cref="Size"/> bytes, zeroed).</summary>
    public static void Write(Span<byte> table, AcpiLayout layout, uint facs, uint dsdt)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(table[FirmwareCtrl..], facs);
        BinaryPrimitives.WriteUInt32LittleEndian(table[Dsdt..], dsdt);
        table[PreferredPmProfile] = 0; // unspecified
        BinaryPrimitives.WriteUInt16LittleEndian(table[SciInt..], layout.SciIrq);
        BinaryPrimitives.WriteUInt32LittleEndian(table[SmiCmd..], 0); // no SMM: ACPI_ENABLE/ACPI_DISABLE unused

        BinaryPrimitives.WriteUInt32LittleEndian(table[Pm1aEvtBlk..], layout.Pm1aEventPort);
        BinaryPrimitives.WriteUInt32LittleEndian(table[Pm1aCntBlk..], layout.Pm1aControlPort);
        BinaryPrimitives.WriteUInt32LittleEndian(table[PmTmrBlk..], layout.PmTimerPort);
        table[Pm1EvtLen] = AcpiPm1EventBlock.BlockLength;
        table[Pm1CntLen] = AcpiPm1ControlBlock.BlockLength;
        table[PmTmrLen] = AcpiPmTimer.BlockLength;
        BinaryPrimitives.WriteUInt16LittleEndian(table[PLvl2Lat..], NoC2);
        BinaryPrimitives.WriteUInt16LittleEndian(table[PLvl3Lat..], NoC3);
        table[Century] = RtcCenturyIndex;
        BinaryPrimitives.WriteUInt16LittleEndian(table[IapcBootArch..], LegacyDevices | I8042 | VgaNotPresent);
        BinaryPrimitives.WriteUInt32LittleEndian(table[Flags..], Wbinvd | ProcC1 | SlpButton | FixRtc | ResetRegSup);

        GenericAddress.Io(layout.ResetPort, AcpiResetRegister.BlockLength, 1).Write(table[ResetReg..]);
        table[ResetValue] = layout.ResetValue;
        table[MinorVersionOffset] = MinorVersion;

        BinaryPrimitives.WriteUInt64LittleEndian(table[XFirmwareCtrl..], facs);
        BinaryPrimitives.WriteUInt64LittleEndian(table[XDsdt..], dsdt);
        GenericAddress.Io(layout.Pm1aEventPort, AcpiPm1EventBlock.BlockLength, 2).Write(table[XPm1aEvtBlk..]);
        GenericAddress.Io(layout.Pm1aControlPort, AcpiPm1ControlBlock.BlockLength, 2).Write(table[XPm1aCntBlk..]);
        GenericAddress.Io(layout.PmTimerPort, AcpiPmTimer.BlockLength, 4).Write(table[XPmTmrBlk..]);
        BinaryPrimitives.WriteUInt64LittleEndian(table[HypervisorVendorIdentity..], HypervisorId);

        AcpiTableHeader.Complete(table, Signature, Revision);
    }
}
