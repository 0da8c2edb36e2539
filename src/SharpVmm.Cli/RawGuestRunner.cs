using SharpVmm.Boot;
using SharpVmm.Cli.Parsing;
using SharpVmm.Devices.Legacy;
using SharpVmm.Kvm.Structs;
using SharpVmm.Memory;
using SharpVmm.Platform;
using SharpVmm.X86;

namespace SharpVmm.Cli;

/// <summary>Builds a VM for a raw image, runs it, and prints what the classic demos print.</summary>
public sealed class RawGuestRunner
{
    /// <summary>Environment variable that points the CLI at another KVM device node (tests use it).</summary>
    public const string KvmDeviceVariable = "SHARPVMM_KVM_DEVICE";

    private const ushort SerialPort = 0x3F8;

    private readonly TextWriter _out;
    private readonly TextWriter _err;
    private readonly Stream _serialOut;

    /// <summary>Creates a runner printing to the given writers; guest serial output goes to <paramref name="serialOut"/>.</summary>
    public RawGuestRunner(TextWriter output, TextWriter error, Stream serialOut)
    {
        _out = output;
        _err = error;
        _serialOut = serialOut;
    }

    /// <summary>Runs the guest and returns the process exit code.</summary>
    public int Run(RawGuestSpec spec)
    {
        EntryPoint entry = spec.Entry ?? DefaultEntry(spec);
        ValidateEntry(spec.Mode, entry);
        byte[] image = spec.ImageBytes ?? RawImageLoader.ReadFile(spec.ImageName); // a bad path is reported before KVM is touched

        var builder = new VirtualMachineBuilder()
            .WithMemory(spec.MemorySize)
            .WithVcpus(spec.Vcpus)
            .WithKvmDevice(Environment.GetEnvironmentVariable(KvmDeviceVariable) is { Length: > 0 } dev ? dev : Kvm.KvmSystem.DefaultDevicePath);
        var uart = new Uart8250(_serialOut);
        builder.AddIoDevice(SerialPort, Uart8250.PortCount, uart);
        VirtualMachine? built = null;
        builder.AddIoDevice(DebugExitPort.DefaultPort, DebugExitPort.DefaultSize, new DebugExitPort(status => built?.RequestDebugExit(status)))
            .WhenBuilt(vm => built = vm);
        if (spec.TestDevices)
        {
            PcTestDevices.AddTo(builder); // no interrupt controller here: the line ports accept writes that reach nothing
        }

        if (spec.TraceIo)
        {
            builder.WithExitTracer(new IoTraceWriter(_out));
        }

        using VirtualMachine vm = builder.Build();
        var load = new GuestAddress(spec.LoadAddress);
        RawImageLoader.Load(spec.ImageName, image, vm.Memory, load);

        foreach (Vcpu vcpu in vm.Vcpus)
        {
            EnterMode(vcpu, vm.Memory, spec.Mode, entry);
            if (spec.Registers.Count > 0)
            {
                KvmRegs regs = vcpu.Kvm.GetRegs();
                foreach (RegisterAssignment assignment in spec.Registers)
                {
                    assignment.ApplyTo(ref regs);
                }

                vcpu.Kvm.SetRegs(regs);
            }
        }

        using SerialConsoleInput? input = spec.SerialInput ? new SerialConsoleInput(uart.EnqueueInput, vm.Stop, _err) : null;
        input?.Start();
        VmRunResult result = vm.Run(new VmRunOptions { MaxExits = spec.MaxExits, TimeLimit = spec.TimeLimit });
        _out.Flush();
        return Report(result);
    }

    private int Report(VmRunResult result)
    {
        switch (result.Reason)
        {
            case VmStopReason.AllVcpusHalted:
                _out.Write("KVM_EXIT_HLT\n");
                break;
            case VmStopReason.ExitLimitReached:
            case VmStopReason.TimeLimitReached:
            case VmStopReason.StopRequested:
            case VmStopReason.SystemEvent:
            case VmStopReason.GuestDebugExit:
                _err.WriteLine($"sharpvmm: {result.Summary}");
                break;
            default:
                _err.WriteLine($"sharpvmm: error: {result.Summary}");
                if (result.Report is not null)
                {
                    _err.Write(result.Report);
                }

                break;
        }

        _out.Flush();
        return ExitCodes.For(result);
    }

    private static EntryPoint DefaultEntry(RawGuestSpec spec) =>
        spec.Mode == CpuMode.Real
            ? spec.LoadAddress <= 0xFFFF0 && spec.LoadAddress % 16 == 0
                ? new EntryPoint((ushort)(spec.LoadAddress >> 4), 0)
                : throw new UsageException($"real mode cannot start at 0x{spec.LoadAddress:x} without --entry SEG:OFF (it must be 16-byte aligned and below 1 MiB)")
            : new EntryPoint(null, spec.LoadAddress);

    private static void ValidateEntry(CpuMode mode, EntryPoint entry)
    {
        if (mode == CpuMode.Real && entry.Segment is null)
        {
            throw new UsageException($"--entry {entry}: real mode needs SEG:OFF (e.g. 0x1000:0x0)");
        }

        if (mode != CpuMode.Real && entry.Segment is not null)
        {
            throw new UsageException($"--entry {entry}: {mode} mode takes a flat address, not SEG:OFF");
        }

        if (mode == CpuMode.Protected32 && entry.Offset > uint.MaxValue)
        {
            throw new UsageException($"--entry {entry}: 32-bit protected mode cannot start above 4 GiB");
        }
    }

    private static void EnterMode(Vcpu vcpu, GuestMemory memory, CpuMode mode, EntryPoint entry)
    {
        switch (mode)
        {
            case CpuMode.Real:
                CpuModeSetup.EnterRealMode(vcpu.Kvm, entry.Segment!.Value, (ushort)entry.Offset);
                break;
            case CpuMode.Protected32:
                CpuModeSetup.EnterProtectedMode(vcpu.Kvm, memory, (uint)entry.Offset);
                break;
            case CpuMode.Long64:
                CpuModeSetup.EnterLongMode(vcpu.Kvm, memory, entry.Offset);
                break;
        }
    }
}
