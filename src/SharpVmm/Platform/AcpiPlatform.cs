using SharpVmm.Devices.Acpi;
using SharpVmm.Devices.Legacy;
using SharpVmm.Memory;
using SharpVmm.X86;
using SharpVmm.X86.Acpi;

namespace SharpVmm.Platform;

/// <summary>
/// The ACPI fixed hardware of a PC, registered at the ports an <see cref="AcpiLayout"/> names, with the tables that
/// describe it: PM1a event and control blocks (S5 ends the run as a power-off, S3 suspends the guest until the RTC alarm
/// wakes it: <see cref="SuspendToRam"/>), the PM timer, and the reset register (ends the run as a reset). The SCI is the
/// layout's ISA IRQ on KVM's in-kernel irqchip.
/// </summary>
/// <example>
/// <code>
/// var builder = new VirtualMachineBuilder().WithMemory(256 &lt;&lt; 20).WithVcpus(2);
/// PcPlatform.AddTo(builder, Console.OpenStandardOutput());
/// AcpiPlatform acpi = AcpiPlatform.AddTo(builder);
/// using VirtualMachine vm = builder.Build();
/// GuestAddress rsdp = acpi.WriteTables(vm.Memory, vm.Vcpus.Count); // hand to the kernel as acpi_rsdp_addr / rsdp_paddr
/// </code>
/// </example>
public sealed class AcpiPlatform
{
    private VirtualMachine? _vm;

    private AcpiPlatform(AcpiLayout layout, AcpiPm1EventBlock events, TimeProvider time, CmosRtc? wakeAlarm)
    {
        Layout = layout;
        Events = events;
        Sleep = new SuspendToRam(layout, events, wakeAlarm, time, () => Control!.ResetAfterWake());
        Control = new AcpiPm1ControlBlock(layout.S5SleepType, () => _vm?.RequestPowerOff("ACPI S5 (PM1a_CNT SLP_EN)"),
            layout.S3SleepType, layout.S3SleepType is null ? null : Sleep.Enter);
        Timer = new AcpiPmTimer(time);
        Reset = new AcpiResetRegister(layout.ResetValue, () => _vm?.RequestReset("ACPI reset register"));
    }

    /// <summary>The ports, SCI, sleep type and reset value the devices and tables share.</summary>
    public AcpiLayout Layout { get; }

    /// <summary>PM1a_EVT_BLK (status and enable; <see cref="AcpiPm1EventBlock.PressPowerButton"/> asks the guest to shut down).</summary>
    public AcpiPm1EventBlock Events { get; }

    /// <summary>S3: suspend to RAM and the RTC-alarm wake.</summary>
    public SuspendToRam Sleep { get; }

    /// <summary>PM1a_CNT_BLK.</summary>
    public AcpiPm1ControlBlock Control { get; }

    /// <summary>PM_TMR_BLK.</summary>
    public AcpiPmTimer Timer { get; }

    /// <summary>RESET_REG.</summary>
    public AcpiResetRegister Reset { get; }

    /// <summary>
    /// Adds the devices to <paramref name="builder"/> at <paramref name="layout"/>'s ports (default
    /// <see cref="AcpiLayout.Default"/>) and turns on its in-kernel irqchip for the SCI; the PM timer and the S3 wake
    /// timer read <paramref name="time"/> (default: the host clock). <paramref name="wakeAlarm"/> (the PC's RTC) is the
    /// alarm that wakes the guest from S3; without it a suspended guest sleeps until the run ends.
    /// </summary>
    public static AcpiPlatform AddTo(VirtualMachineBuilder builder, AcpiLayout? layout = null, TimeProvider? time = null, CmosRtc? wakeAlarm = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        layout ??= AcpiLayout.Default;
        builder.WithInKernelIrqchip();
        var platform = new AcpiPlatform(layout, new AcpiPm1EventBlock(builder.InterruptLine(layout.SciIrq)), time ?? TimeProvider.System, wakeAlarm);

        builder
            .AddIoDevice(layout.Pm1aEventPort, AcpiPm1EventBlock.BlockLength, platform.Events)
            .AddIoDevice(layout.Pm1aControlPort, AcpiPm1ControlBlock.BlockLength, platform.Control)
            .AddIoDevice(layout.PmTimerPort, AcpiPmTimer.BlockLength, platform.Timer)
            .AddIoDevice(layout.ResetPort, AcpiResetRegister.BlockLength, platform.Reset)
            .Owns(platform.Sleep)
            .WhenBuilt(vm =>
            {
                platform._vm = vm;
                platform.Sleep.Attach(vm);
            });
        return platform;
    }

    /// <summary>
    /// Writes the tables describing these devices, <paramref name="vcpuCount"/> vCPUs and, when given, the PCI bus
    /// <paramref name="pci"/>; returns the RSDP's address.
    /// </summary>
    public GuestAddress WriteTables(GuestMemory memory, int vcpuCount, PciRootDescription? pci = null) =>
        AcpiTables.Write(memory, vcpuCount, Layout, pci);
}
