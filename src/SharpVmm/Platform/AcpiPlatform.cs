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
/// layout's ISA IRQ on KVM's in-kernel irqchip. Power-off, reset and S3 go to the VM's <see cref="IVmControl"/>.
/// </summary>
/// <example>
/// <code>
/// using VirtualMachine vm = PcPlatform.Machine(new VirtualMachineBuilder().WithMemory(256 &lt;&lt; 20).WithVcpus(2)).Build();
/// PcPlatform pc = PcPlatform.Attach(vm.Devices, Console.OpenStandardOutput());
/// AcpiPlatform acpi = AcpiPlatform.Attach(vm.Devices, wakeAlarm: pc.Rtc);
/// GuestAddress rsdp = acpi.WriteTables(vm.Memory, vm.Vcpus.Count); // hand to the kernel as acpi_rsdp_addr / rsdp_paddr
/// </code>
/// </example>
public sealed class AcpiPlatform
{
    private AcpiPlatform(VmDevices devices, AcpiLayout layout, TimeProvider time, CmosRtc? wakeAlarm)
    {
        IVmControl control = devices.Control;
        Layout = layout;
        Events = new AcpiPm1EventBlock(devices.InterruptLine(layout.SciIrq));
        Sleep = new SuspendToRam(control, devices.Memory, layout, Events, wakeAlarm, time, () => Control!.ResetAfterWake());
        Control = new AcpiPm1ControlBlock(layout.S5SleepType, () => control.RequestPowerOff("ACPI S5 (PM1a_CNT SLP_EN)"),
            layout.S3SleepType, layout.S3SleepType is null ? null : Sleep.Enter);
        Timer = new AcpiPmTimer(time);
        Reset = new AcpiResetRegister(layout.ResetValue, () => control.RequestReset("ACPI reset register"));
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
    /// Builds the devices for the VM <paramref name="devices"/> belongs to (which needs the in-kernel irqchip for the SCI)
    /// and puts them at <paramref name="layout"/>'s ports (default <see cref="AcpiLayout.Default"/>); the PM timer and
    /// the S3 wake timer read <paramref name="time"/> (default: the host clock). <paramref name="wakeAlarm"/> (the PC's
    /// RTC) is the alarm that wakes the guest from S3; without it a suspended guest sleeps until the run ends.
    /// </summary>
    /// <exception cref="Devices.Bus.BusConflictException">The layout's blocks overlap each other or another device.</exception>
    /// <exception cref="InvalidOperationException">The VM has no in-kernel irqchip, or has started.</exception>
    public static AcpiPlatform Attach(VmDevices devices, AcpiLayout? layout = null, TimeProvider? time = null, CmosRtc? wakeAlarm = null)
    {
        ArgumentNullException.ThrowIfNull(devices);
        layout ??= AcpiLayout.Default;
        var platform = new AcpiPlatform(devices, layout, time ?? TimeProvider.System, wakeAlarm);
        devices
            .AddIoDevice(layout.Pm1aEventPort, AcpiPm1EventBlock.BlockLength, platform.Events)
            .AddIoDevice(layout.Pm1aControlPort, AcpiPm1ControlBlock.BlockLength, platform.Control)
            .AddIoDevice(layout.PmTimerPort, AcpiPmTimer.BlockLength, platform.Timer)
            .AddIoDevice(layout.ResetPort, AcpiResetRegister.BlockLength, platform.Reset)
            .Owns(platform.Sleep);
        return platform;
    }

    /// <summary>
    /// Writes the tables describing these devices, <paramref name="vcpuCount"/> vCPUs and, when given, the PCI bus
    /// <paramref name="pci"/>; returns the RSDP's address.
    /// </summary>
    public GuestAddress WriteTables(GuestMemory memory, int vcpuCount, PciRootDescription? pci = null) =>
        AcpiTables.Write(memory, vcpuCount, Layout, pci);
}
