using SharpVmm.Boot.MemoryMap;
using SharpVmm.Devices.Firmware;
using SharpVmm.Devices.Legacy;
using SharpVmm.Memory;

namespace SharpVmm.Platform;

/// <summary>
/// The legacy PC devices a booting operating system expects, wired to KVM's in-kernel irqchip: a 16550A UART at
/// 0x3f8 on IRQ 4 (COM1), the i8042 keyboard controller at 0x60/0x64 on IRQs 1 and 12 (its reset line ends the run),
/// the MC146818 RTC/CMOS at 0x70, the POST-code port 0x80, and two of QEMU's interfaces that test kernels and
/// firmware use: isa-debug-exit at 0xf4 (a write of V ends the run with status (V &lt;&lt; 1) | 1) and fw_cfg at
/// 0x510/0x511 (signature, RAM size, CPU count, the RAM blocks in <c>etc/e820</c>, and whatever callers add). The CMOS
/// memory-size bytes and fw_cfg describe the VM's <see cref="VmDevices.RamLayout"/>. The devices are built on a VM that
/// exists, so their lines are the irqchip's and their resets go to its <see cref="IVmControl"/>. The PIT (0x40-0x43) and
/// speaker port (0x61) are KVM's own (<see cref="VirtualMachineBuilder.WithInKernelIrqchip"/>). As on a PC, a triple
/// fault should reset the machine: build it <see cref="VirtualMachineBuilder.WithTripleFaultAsReset"/> (<see cref="Machine"/> does both).
/// </summary>
/// <example>
/// <code>
/// using VirtualMachine vm = PcPlatform.Machine(new VirtualMachineBuilder().WithMemory(256 &lt;&lt; 20).WithVcpus(2)).Build();
/// PcPlatform pc = PcPlatform.Attach(vm.Devices, Console.OpenStandardOutput());
/// pc.Serial.EnqueueInput("ls\n"u8);
/// </code>
/// </example>
public sealed class PcPlatform
{
    /// <summary>COM1's base port.</summary>
    public const ushort Com1Port = 0x3F8;

    /// <summary>COM1's ISA IRQ.</summary>
    public const uint Com1Irq = 4;

    /// <summary>The i8042's data port (the status/command port is 4 above it).</summary>
    public const ushort I8042DataPort = 0x60;

    /// <summary>The i8042's keyboard IRQ.</summary>
    public const uint KeyboardIrq = 1;

    /// <summary>The i8042's auxiliary (mouse) IRQ.</summary>
    public const uint AuxIrq = 12;

    /// <summary>The RTC/CMOS index port (data is the next one).</summary>
    public const ushort RtcPort = 0x70;

    /// <summary>The POST-code diagnostic port.</summary>
    public const ushort PostPort = 0x80;

    /// <summary>
    /// What a Linux kernel is told about this machine's i8042 ahead of its own command line, so that it skips probes
    /// whose answers are known, as Firecracker's default command line and kvmtool's do: nothing is behind the AUX port
    /// (<c>i8042.noaux</c>), the controller has no active multiplexer (<c>i8042.nomux</c>) and no PnP node, so it is
    /// looked for at 0x60 at once (<c>i8042.nopnp</c>), and the keyboard needs no reset, identification or LEDs
    /// (<c>i8042.dumbkbd</c>; its scan codes, Ctrl-Alt-Del's among them, still reach the kernel). The controller answers
    /// each of these probes as real hardware does, so a command line that turns one back on (<c>i8042.noaux=0</c>: the
    /// kernel keeps the last value it is given) boots the same, with about a hundred exits more.
    /// </summary>
    public const string LinuxI8042Parameters = "i8042.noaux i8042.nomux i8042.nopnp i8042.dumbkbd";

    /// <summary>
    /// What a Linux kernel is told ahead of its command line on a machine without a PCI bus (no virtio-pci device), as
    /// Firecracker's default command line says it: the kernel then does not probe the configuration mechanisms, some 200
    /// accesses to ports no device decodes (its early quirks, which run before it reads <c>pci=</c>, still read bus 0).
    /// </summary>
    public const string LinuxNoPciParameter = "pci=off";

    /// <summary>The fw_cfg file that lists the guest's RAM blocks for firmware, as QEMU's (packed struct e820_entry).</summary>
    public const string E820FileName = "etc/e820";

    private PcPlatform(VmDevices devices, Stream serialOutput, TimeProvider time)
    {
        IVmControl control = devices.Control;
        GuestRamLayout ram = devices.RamLayout;
        Serial = new Uart8250(serialOutput, devices.InterruptLine(Com1Irq));
        Keyboard = new I8042Controller(devices.InterruptLine(KeyboardIrq), devices.InterruptLine(AuxIrq),
            () => control.RequestReset("i8042 reset line"));
        Rtc = new CmosRtc(time, ram.BelowHoleSize, ram.AboveFourGiBSize);
        PostCode = new PostCodePort();
        DebugExit = new DebugExitPort(control.RequestDebugExit);
        FirmwareConfig = FwCfgDevice.ForMachine(ram.TotalSize, devices.VcpuCount)
            .AddFile(E820FileName, E820Map.Encode(E820Map.RamBlocks(ram)));
    }

    /// <summary>COM1.</summary>
    public Uart8250 Serial { get; }

    /// <summary>The keyboard controller.</summary>
    public I8042Controller Keyboard { get; }

    /// <summary>The real-time clock and CMOS RAM.</summary>
    public CmosRtc Rtc { get; }

    /// <summary>The POST-code port.</summary>
    public PostCodePort PostCode { get; }

    /// <summary>QEMU's isa-debug-exit port.</summary>
    public DebugExitPort DebugExit { get; }

    /// <summary>QEMU's fw_cfg interface; add items and files before the guest runs.</summary>
    public FwCfgDevice FirmwareConfig { get; }

    /// <summary>What a PC needs of the machine: the in-kernel irqchip and PIT, and a triple fault that resets.</summary>
    public static VirtualMachineBuilder Machine(VirtualMachineBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.WithInKernelIrqchip().WithTripleFaultAsReset();
    }

    /// <summary>
    /// Builds the devices for the VM <paramref name="devices"/> belongs to (which needs the in-kernel irqchip) and puts
    /// them on its ports. COM1's output goes to <paramref name="serialOutput"/>; the RTC reads <paramref name="time"/>
    /// (default: the host clock).
    /// </summary>
    /// <exception cref="InvalidOperationException">The VM has no in-kernel irqchip, or has started.</exception>
    public static PcPlatform Attach(VmDevices devices, Stream serialOutput, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(devices);
        var platform = new PcPlatform(devices, serialOutput, time ?? TimeProvider.System);
        devices
            .AddIoDevice(Com1Port, Uart8250.PortCount, platform.Serial)
            .Owns(platform.Serial) // its writer thread: flushed on pause, drained on dispose
            .AddIoDevice(I8042DataPort, 1, platform.Keyboard.DataPort)
            .AddIoDevice(I8042DataPort + I8042Controller.StatusCommandOffset, 1, platform.Keyboard.StatusCommandPort)
            .AddIoDevice(RtcPort, CmosRtc.PortCount, platform.Rtc)
            .AddIoDevice(PostPort, 1, platform.PostCode)
            .AddIoDevice(DebugExitPort.DefaultPort, DebugExitPort.DefaultSize, platform.DebugExit)
            .AddIoDevice(FwCfgDevice.SelectorPort, FwCfgDevice.PortCount, platform.FirmwareConfig);
        return platform;
    }
}
