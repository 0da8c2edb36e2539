using SharpVmm.Devices.Acpi;
using SharpVmm.Memory;

namespace SharpVmm.X86.Acpi;

/// <summary>
/// Where the ACPI tables go and where the fixed-hardware registers they describe sit, in one place: the FADT writer
/// (<see cref="AcpiTables"/>) and the platform that registers the devices (<see cref="AcpiPm1EventBlock"/>,
/// <see cref="AcpiPm1ControlBlock"/>, <see cref="AcpiPmTimer"/>, <see cref="AcpiResetRegister"/>) read the same
/// record, so the tables always describe the ports the devices answer on.
/// </summary>
/// <example>
/// <see cref="Platform.AcpiPlatform.Attach"/> registers the devices from a layout and writes the tables; by hand it is:
/// <code>
/// AcpiLayout acpi = AcpiLayout.Default;
/// vm.Devices
///     .AddIoDevice(acpi.Pm1aEventPort, AcpiPm1EventBlock.BlockLength, new AcpiPm1EventBlock(vm.Devices.InterruptLine(acpi.SciIrq)))
///     .AddIoDevice(acpi.Pm1aControlPort, AcpiPm1ControlBlock.BlockLength, new AcpiPm1ControlBlock(acpi.S5SleepType, () => vm.RequestPowerOff("S5")))
///     .AddIoDevice(acpi.PmTimerPort, AcpiPmTimer.BlockLength, new AcpiPmTimer(TimeProvider.System))
///     .AddIoDevice(acpi.ResetPort, AcpiResetRegister.BlockLength, new AcpiResetRegister(acpi.ResetValue, () => vm.RequestReset("reset register")));
/// GuestAddress rsdp = AcpiTables.Write(vm.Memory, vm.Vcpus.Count, acpi); // then boot_params.acpi_rsdp_addr = rsdp
/// </code>
/// </example>
public sealed record AcpiLayout
{
    /// <summary>The layout SharpVmm uses unless told otherwise.</summary>
    public static AcpiLayout Default { get; } = new();

    /// <summary>
    /// Where the RSDP goes, the other tables following it: 16-byte aligned in the BIOS read-only area
    /// [0xE0000, 0x100000), where an operating system searches for it (ACPI 6.4 section 5.2.5.1). The default,
    /// 0xF0000, is inside the range the e820 map already reserves, so the kernel never reuses the tables' memory.
    /// </summary>
    public GuestAddress TablesAddress { get; init; } = new(0xF_0000);

    /// <summary>PM1a_EVT_BLK: the PM1 status and enable registers (<see cref="AcpiPm1EventBlock.BlockLength"/> ports).</summary>
    public ushort Pm1aEventPort { get; init; } = 0x600;

    /// <summary>PM1a_CNT_BLK: the PM1 control register (<see cref="AcpiPm1ControlBlock.BlockLength"/> ports).</summary>
    public ushort Pm1aControlPort { get; init; } = 0x604;

    /// <summary>PM_TMR_BLK: the power-management timer (<see cref="AcpiPmTimer.BlockLength"/> ports).</summary>
    public ushort PmTimerPort { get; init; } = 0x608;

    /// <summary>
    /// RESET_REG: one I/O port of its own (0xCF9 is avoided so a later PCI host bridge can decode 0xCF8-0xCFF whole).
    /// </summary>
    public ushort ResetPort { get; init; } = 0x60C;

    /// <summary>RESET_VALUE: the byte that, written to <see cref="ResetPort"/>, resets the machine.</summary>
    public byte ResetValue { get; init; } = 0x01;

    /// <summary>SCI_INT: the ISA IRQ (and GSI) of the system control interrupt, level-triggered, active high.</summary>
    public byte SciIrq { get; init; } = 9;

    /// <summary>
    /// The SLP_TYPx value the DSDT's <c>\_S3</c> object gives for suspend to RAM (3 bits), QEMU's 1; null leaves
    /// <c>\_S3</c> out, so an operating system does not offer S3.
    /// </summary>
    public byte? S3SleepType { get; init; } = 1;

    /// <summary>The SLP_TYPx value the DSDT's <c>\_S5</c> object gives for soft-off (3 bits).</summary>
    public byte S5SleepType { get; init; } = 5;
}
