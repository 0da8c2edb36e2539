using SharpVmm.Boot.MemoryMap;
using SharpVmm.Devices.Firmware;
using SharpVmm.Devices.Legacy;

namespace SharpVmm.Platform;

/// <summary>
/// The legacy PC devices a booting operating system expects, wired to KVM's in-kernel irqchip: a 16550A UART at
/// 0x3f8 on IRQ 4 (COM1), the i8042 keyboard controller at 0x60/0x64 on IRQs 1 and 12 (its reset line ends the run),
/// the MC146818 RTC/CMOS at 0x70, the POST-code port 0x80, and two of QEMU's interfaces that test kernels and
/// firmware use: isa-debug-exit at 0xf4 (a write of V ends the run with status (V &lt;&lt; 1) | 1) and fw_cfg at
/// 0x510/0x511 (signature, RAM size, CPU count, the RAM blocks in <c>etc/e820</c>, and whatever callers add). The CMOS
/// memory-size bytes and fw_cfg describe the RAM as the builder's <see cref="VirtualMachineBuilder.RamLayout"/> has it
/// when <see cref="AddTo"/> is called, so choose the memory size first. The PIT (0x40-0x43) and speaker port (0x61) are
/// KVM's own (<see cref="VirtualMachineBuilder.WithInKernelIrqchip"/>). As on a PC, a triple fault resets the
/// machine (<see cref="VirtualMachineBuilder.WithTripleFaultAsReset"/>), which ends the run.
/// </summary>
/// <example>
/// <code>
/// var builder = new VirtualMachineBuilder().WithMemory(256 &lt;&lt; 20).WithVcpus(2);
/// PcPlatform pc = PcPlatform.AddTo(builder, Console.OpenStandardOutput());
/// using VirtualMachine vm = builder.Build();
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

    /// <summary>The fw_cfg file that lists the guest's RAM blocks for firmware, as QEMU's (packed struct e820_entry).</summary>
    public const string E820FileName = "etc/e820";

    private VirtualMachine? _vm;

    private PcPlatform(VirtualMachineBuilder builder, Stream serialOutput, TimeProvider time)
    {
        Serial = new Uart8250(serialOutput, builder.InterruptLine(Com1Irq));
        Keyboard = new I8042Controller(builder.InterruptLine(KeyboardIrq), builder.InterruptLine(AuxIrq),
            () => _vm?.RequestReset("i8042 reset line"));
        Rtc = new CmosRtc(time, builder.RamLayout.BelowHoleSize, builder.RamLayout.AboveFourGiBSize);
        PostCode = new PostCodePort();
        DebugExit = new DebugExitPort(status => _vm?.RequestDebugExit(status));
        FirmwareConfig = FwCfgDevice.ForMachine(builder.MemorySize, builder.VcpuCount)
            .AddFile(E820FileName, E820Map.Encode(E820Map.RamBlocks(builder.RamLayout)));
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

    /// <summary>
    /// Adds the devices to <paramref name="builder"/> (and turns on its in-kernel irqchip). COM1's output goes to
    /// <paramref name="serialOutput"/>; the RTC reads <paramref name="time"/> (default: the host clock).
    /// </summary>
    public static PcPlatform AddTo(VirtualMachineBuilder builder, Stream serialOutput, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.WithInKernelIrqchip().WithTripleFaultAsReset();
        var platform = new PcPlatform(builder, serialOutput, time ?? TimeProvider.System);
        builder
            .AddIoDevice(Com1Port, Uart8250.PortCount, platform.Serial)
            .AddIoDevice(I8042DataPort, 1, platform.Keyboard.DataPort)
            .AddIoDevice(I8042DataPort + I8042Controller.StatusCommandOffset, 1, platform.Keyboard.StatusCommandPort)
            .AddIoDevice(RtcPort, CmosRtc.PortCount, platform.Rtc)
            .AddIoDevice(PostPort, 1, platform.PostCode)
            .AddIoDevice(DebugExitPort.DefaultPort, DebugExitPort.DefaultSize, platform.DebugExit)
            .AddIoDevice(FwCfgDevice.SelectorPort, FwCfgDevice.PortCount, platform.FirmwareConfig)
            .WhenBuilt(vm => platform._vm = vm);
        return platform;
    }
}
