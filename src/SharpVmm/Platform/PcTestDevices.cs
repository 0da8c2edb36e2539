using SharpVmm.Devices;
using SharpVmm.Devices.Testing;
using SharpVmm.Memory;

namespace SharpVmm.Platform;

/// <summary>
/// QEMU's <c>pc-testdev</c> (hw/misc/pc-testdev.c), which test suites such as kvm-unit-tests expect next to
/// isa-debug-exit: a 32-bit scratch register at ports 0xe0-0xe3 and again, byte-wide, at 0xe8-0xeb; a page-flush port
/// at 0xe4 (a 32-bit write of a guest-physical address makes KVM forget its mapping of that page); 24 interrupt-line
/// ports at 0x2000 (a write of V to 0x2000 + n drives line n to V != 0); and 64 KiB of device memory at 0xff000000.
/// Not part of a PC: add it only when a test guest asks for it (<c>--test-devices</c>).
/// </summary>
/// <example>
/// <code>
/// using VirtualMachine vm = new VirtualMachineBuilder().WithInKernelIrqchip().Build();
/// PcTestDevices tests = PcTestDevices.Attach(vm.Devices);
/// </code>
/// </example>
public sealed class PcTestDevices
{
    /// <summary>The scratch register's first window (any width).</summary>
    public const ushort DataPort = 0xE0;

    /// <summary>The page-flush port.</summary>
    public const ushort PageFlushPort = 0xE4;

    /// <summary>The scratch register's second window (QEMU handles it a byte at a time; the bytes are the same).</summary>
    public const ushort ByteDataPort = 0xE8;

    /// <summary>
    /// The host-call port: a write makes the vCPU thread open and close a Unix socket, a system call no vCPU thread
    /// needs, so that a test can see the seccomp filter stop it. A byte of <see cref="HostCallOnThreadPool"/> instead makes
    /// a .NET thread-pool thread create a symbolic link, which no thread of a VMM needs.
    /// </summary>
    public const ushort HostCallPort = 0xEC;

    /// <summary>The value that sends the host-call port's call to the .NET thread pool.</summary>
    public const byte HostCallOnThreadPool = 1;

    /// <summary>The value that makes a .NET thread-pool thread open and close a Unix socket: allowed there, and
    /// forbidden only where a pool thread wrongly carries a vCPU's filter.</summary>
    public const byte HostCallSocketOnThreadPool = 2;

    /// <summary>The first interrupt-line port: line n is at this port + n.</summary>
    public const ushort IrqLinePort = 0x2000;

    /// <summary>The guest-physical base of the device memory window.</summary>
    public const ulong MemoryWindowAddress = 0xFF00_0000;

    private PcTestDevices(VmDevices devices)
    {
        var lines = new IInterruptLine[TestIrqLinePorts.PortCount];
        for (uint n = 0; n < lines.Length; n++)
        {
            lines[n] = devices.HasIrqchip ? devices.InterruptLine(n) : NullInterruptLine.Instance;
        }

        GuestMemory memory = devices.Memory;
        Data = new TestDataRegister();
        PageFlush = new TestPageFlushPort(page => memory.FlushSecondaryMappings(new GuestAddress(page)));
        IrqLines = new TestIrqLinePorts(lines);
        MemoryWindow = new TestMemoryWindow();
        HostCall = new TestHostCallPort(static value =>
        {
            if (value is HostCallOnThreadPool or HostCallSocketOnThreadPool)
            {
                // A call no thread of a VMM needs, made on a .NET thread-pool thread while the vCPU waits for it. The
                // work goes through a timer, as the VMM's own does: the timer thread, not the vCPU, asks the pool for it.
                using var done = new ManualResetEventSlim();
                using var timer = new Timer(_ =>
                {
                    try
                    {
                        if (value == HostCallSocketOnThreadPool)
                        {
                            OpenSocket();
                        }
                        else
                        {
                            string link = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"sharpvmm-host-call-{Environment.ProcessId}-{Guid.NewGuid():N}");
                            File.CreateSymbolicLink(link, "/");
                            File.Delete(link);
                        }
                    }
                    finally
                    {
                        done.Set();
                    }
                }, null, 1, Timeout.Infinite);
                done.Wait();
                return;
            }

            OpenSocket();
        });
    }

    /// <summary>The host-call port.</summary>
    public TestHostCallPort HostCall { get; }

    private static void OpenSocket()
    {
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream,
            System.Net.Sockets.ProtocolType.Unspecified);
    }

    /// <summary>The scratch register (both windows).</summary>
    public TestDataRegister Data { get; }

    /// <summary>The page-flush port.</summary>
    public TestPageFlushPort PageFlush { get; }

    /// <summary>The interrupt-line ports.</summary>
    public TestIrqLinePorts IrqLines { get; }

    /// <summary>The device memory window.</summary>
    public TestMemoryWindow MemoryWindow { get; }

    /// <summary>
    /// Builds the devices for the VM <paramref name="devices"/> belongs to and puts them on its buses. With the in-kernel
    /// irqchip, line n of the interrupt-line ports is GSI n (ISA IRQ n for n &lt; 16, IOAPIC pin n above); without one the
    /// lines reach nothing, as a raw guest has no interrupt controller.
    /// </summary>
    /// <exception cref="InvalidOperationException">The VM has started.</exception>
    public static PcTestDevices Attach(VmDevices devices)
    {
        ArgumentNullException.ThrowIfNull(devices);
        var tests = new PcTestDevices(devices);
        devices
            .AddIoDevice(DataPort, TestDataRegister.PortCount, tests.Data)
            .AddIoDevice(PageFlushPort, TestPageFlushPort.PortCount, tests.PageFlush)
            .AddIoDevice(ByteDataPort, TestDataRegister.PortCount, tests.Data)
            .AddIoDevice(HostCallPort, TestHostCallPort.PortCount, tests.HostCall)
            .AddIoDevice(IrqLinePort, TestIrqLinePorts.PortCount, tests.IrqLines)
            .AddMmioDevice(MemoryWindowAddress, TestMemoryWindow.Length, tests.MemoryWindow);
        return tests;
    }
}
