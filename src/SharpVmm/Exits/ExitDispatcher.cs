using System.Runtime.CompilerServices;
using SharpVmm.Devices.Bus;
using SharpVmm.Kvm;

namespace SharpVmm.Exits;

/// <summary>
/// Turns one KVM exit into device accesses or a decision to stop. It allocates nothing on the device paths
/// (port I/O, MMIO) and holds no per-vCPU state, so all vCPU threads share one instance.
/// </summary>
public sealed class ExitDispatcher
{
    // Exit counts by kvm_run.exit_reason (an unknown reason counts as 0, KVM_EXIT_UNKNOWN): a fixed array, so
    // counting allocates nothing on the exit path.
    private readonly long[] _exitsByReason = new long[64];

    /// <summary>Exits dispatched so far with each <c>exit_reason</c> (index), all vCPUs together.</summary>
    public long ExitsWithReason(uint reason) => reason < (uint)_exitsByReason.Length ? Interlocked.Read(ref _exitsByReason[reason]) : 0;

    // KVM_SYSTEM_EVENT_* types.
    private const uint SystemEventShutdown = 1, SystemEventReset = 2, SystemEventCrash = 3;

    // KVM_INTERNAL_ERROR_* suberrors.
    private const uint InternalErrorEmulation = 1, InternalErrorSimulEx = 2, InternalErrorDeliveryEv = 3, InternalErrorUnexpectedExitReason = 4;

    private readonly IoBus _io;
    private readonly MmioBus _mmio;
    private readonly IExitTracer? _tracer;
    private readonly EmulationFailureHandler? _emulation;

    /// <summary>
    /// Creates a dispatcher over the VM's buses. With <paramref name="emulation"/>, an instruction KVM could not emulate
    /// goes to it first, and only stops the VM when it cannot handle the instruction either.
    /// </summary>
    public ExitDispatcher(IoBus io, MmioBus mmio, IExitTracer? tracer = null, EmulationFailureHandler? emulation = null)
    {
        _io = io;
        _mmio = mmio;
        _tracer = tracer;
        _emulation = emulation;
    }

    /// <summary>Whether every port and MMIO access is traced, so that none may be answered without this dispatcher.</summary>
    internal bool TracesAccesses => _tracer is not null;

    /// <summary>Counts <paramref name="count"/> port I/O exits answered without this dispatcher (a vCPU's run loop
    /// answered them from published values), so that <see cref="ExitsWithReason"/> stays the total.</summary>
    internal void CountAnsweredPortIo(long count) => Interlocked.Add(ref _exitsByReason[(int)KvmExitReason.Io], count);

    /// <summary>
    /// Whether a triple fault resets the machine, as on a PC (<see cref="VmStopReason.GuestReset"/>, the way a kernel
    /// reboots when nothing else works), instead of being an error (<see cref="VmStopReason.TripleFault"/>).
    /// </summary>
    public bool TripleFaultResets { get; init; }

    /// <summary>
    /// Handles <paramref name="exit"/> for vCPU <paramref name="vcpuId"/>. <paramref name="vcpu"/> is needed only for
    /// exits that change vCPU state (emulation failures); without it they stop the VM with a report.
    /// </summary>
    public ExitOutcome Dispatch(int vcpuId, VcpuExit exit, IKvmVcpuState? vcpu = null)
    {
        uint reason = exit.Run.ExitReason;
        Interlocked.Increment(ref _exitsByReason[reason < (uint)_exitsByReason.Length ? reason : 0]);
        switch (exit.Reason)
        {
            case KvmExitReason.Io:
                return HandlePortIo(vcpuId, exit);
            case KvmExitReason.Mmio:
                return HandleMmio(vcpuId, exit);
            case KvmExitReason.Hlt:
                return ExitOutcome.Halt;
            case KvmExitReason.IrqWindowOpen:
            case KvmExitReason.Intr:
                return ExitOutcome.Continue;
            case KvmExitReason.Shutdown:
                return TripleFaultResets
                    ? ExitOutcome.Fatal(VmStopReason.GuestReset, "KVM_EXIT_SHUTDOWN (guest triple fault: the machine resets)")
                    : ExitOutcome.Fatal(VmStopReason.TripleFault, "KVM_EXIT_SHUTDOWN (guest triple fault)");
            case KvmExitReason.FailEntry:
                ref readonly var fail = ref exit.Run.FailEntry;
                return ExitOutcome.Fatal(VmStopReason.EntryFailure,
                    $"KVM_EXIT_FAIL_ENTRY: hardware_entry_failure_reason = 0x{fail.HardwareEntryFailureReason:x} on host CPU {fail.Cpu}");
            case KvmExitReason.InternalError:
                return _emulation is not null && vcpu is not null && exit.InternalSuberror == InternalErrorEmulation
                    ? HandleEmulationFailure(_emulation, vcpu, exit)
                    : ExitOutcome.Fatal(VmStopReason.InternalError, DescribeInternalError(exit));
            case KvmExitReason.SystemEvent:
                return ExitOutcome.Fatal(VmStopReason.SystemEvent, DescribeSystemEvent(exit));
            default:
                return ExitOutcome.Fatal(VmStopReason.UnhandledExit,
                    $"{KvmExitReasonNames.Of(exit.Run.ExitReason)} is not handled by this VMM (exit_reason = {exit.Run.ExitReason})");
        }
    }

    /// <summary>
    /// The exit path's shortcut for a one-byte port access to a register its device publishes: a read (a UART's line
    /// status, polled before every byte of a boot log) is answered with the published value, and a write of the value
    /// the register holds, where rewriting it changes nothing (the UART's interrupt enables, restored after every
    /// line), is dropped. Counts the exit as <see cref="Dispatch"/> would, without the device. False, with nothing
    /// done, for any other exit, and always while an exit tracer must see every access.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // the exit path's commonest case: one stretch of code
    public bool TryAnswerPublished(VcpuExit exit)
    {
        if (_tracer is not null || exit.Reason != KvmExitReason.Io || exit.IoSize != 1 || exit.IoCount != 1)
        {
            return false;
        }

        Span<byte> data = exit.IoData;
        if (data.IsEmpty)
        {
            return false;
        }

        if (exit.IoIsWrite)
        {
            if (!_io.IsPublishedRewrite(exit.IoPort, data[0]))
            {
                return false;
            }
        }
        else if (_io.TryReadPublished(exit.IoPort, out byte value))
        {
            data[0] = value;
        }
        else
        {
            return false;
        }

        Interlocked.Increment(ref _exitsByReason[(int)KvmExitReason.Io]);
        return true;
    }

    private ExitOutcome HandlePortIo(int vcpuId, VcpuExit exit)
    {
        int size = exit.IoSize;
        Span<byte> data = exit.IoData;
        if (size is not (1 or 2 or 4) || data.IsEmpty)
        {
            return ExitOutcome.Fatal(VmStopReason.UnhandledExit,
                $"KVM_EXIT_IO with impossible size {size} / count {exit.IoCount} at port 0x{exit.IoPort:x}");
        }

        ushort port = exit.IoPort;
        bool isWrite = exit.IoIsWrite;

        // String I/O (rep ins/outs) arrives as count back-to-back accesses to the same port.
        for (int offset = 0; offset < data.Length; offset += size)
        {
            Span<byte> one = data.Slice(offset, size);
            if (isWrite)
            {
                _io.Write(port, one);
            }
            else
            {
                _io.Read(port, one);
            }

            _tracer?.OnPortIo(vcpuId, port, isWrite, one);
        }

        return ExitOutcome.Continue;
    }

    private ExitOutcome HandleMmio(int vcpuId, VcpuExit exit)
    {
        Span<byte> data = exit.MmioData;
        if (exit.MmioIsWrite)
        {
            _mmio.Write(exit.MmioAddress, data);
        }
        else
        {
            _mmio.Read(exit.MmioAddress, data);
        }

        _tracer?.OnMmio(vcpuId, exit.MmioAddress, exit.MmioIsWrite, data);
        return ExitOutcome.Continue;
    }

    private static ExitOutcome HandleEmulationFailure(EmulationFailureHandler emulation, IKvmVcpuState vcpu, VcpuExit exit)
    {
        EmulationAction action = emulation.Handle(vcpu, exit.EmulationFailureInstruction);
        return action.Kind == EmulationActionKind.Stop
            ? ExitOutcome.Fatal(VmStopReason.InternalError, $"{DescribeInternalError(exit)}: {action.Message}")
            : ExitOutcome.Continue;
    }

    private static string DescribeInternalError(VcpuExit exit)
    {
        uint suberror = exit.InternalSuberror;
        string kind = suberror switch
        {
            InternalErrorEmulation => "KVM could not emulate an instruction",
            InternalErrorSimulEx => "exception raised while delivering another exception",
            InternalErrorDeliveryEv => "exit while delivering an event",
            InternalErrorUnexpectedExitReason => "unexpected hardware exit reason",
            _ => "unknown suberror",
        };
        string text = $"KVM_EXIT_INTERNAL_ERROR: suberror = 0x{suberror:x} ({kind})";
        ReadOnlySpan<byte> instruction = exit.EmulationFailureInstruction;
        if (!instruction.IsEmpty)
        {
            return text + $", instruction bytes: {Convert.ToHexString(instruction).ToLowerInvariant()}";
        }

        ReadOnlySpan<ulong> data = exit.InternalData;
        if (!data.IsEmpty)
        {
            var words = new string[data.Length];
            for (int i = 0; i < data.Length; i++)
            {
                words[i] = $"0x{data[i]:x}";
            }

            text += $", data: {string.Join(' ', words)}";
        }

        return text;
    }

    private static string DescribeSystemEvent(VcpuExit exit)
    {
        uint type = exit.Run.SystemEvent.Type;
        string what = type switch
        {
            SystemEventShutdown => "guest powered off",
            SystemEventReset => "guest requested a reset",
            SystemEventCrash => "guest reported a crash",
            _ => $"type {type}",
        };
        return $"KVM_EXIT_SYSTEM_EVENT: {what}";
    }
}
