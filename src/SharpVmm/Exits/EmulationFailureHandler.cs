using System.Buffers.Binary;
using System.Collections.Concurrent;
using SharpVmm.Kvm;
using SharpVmm.Kvm.Structs;
using SharpVmm.Memory;

namespace SharpVmm.Exits;

/// <summary>
/// Handles <c>KVM_INTERNAL_ERROR_EMULATION</c> exits: reads the vCPU state, lets <see cref="InstructionEmulator"/> decide,
/// and applies the decision with the register, FPU and event ioctls. KVM on a host without hardware virtualization
/// (kvm_pvm) runs guest ring 0 through its emulator, which lacks <c>int3</c>, <c>clac</c>/<c>stac</c>, <c>popcnt</c>,
/// <c>cmpxchg16b</c> and a few more; this lets such guests run on. Thread-safe: one instance serves every vCPU.
/// </summary>
public sealed class EmulationFailureHandler
{
    private const ulong Cr0Pe = 1, Cr0Pg = 1UL << 31;

    private readonly GuestMemory _memory;
    private readonly ConcurrentDictionary<string, long> _handled = new(StringComparer.Ordinal);

    /// <summary>Creates a handler that reads and writes instruction operands in <paramref name="memory"/>.</summary>
    public EmulationFailureHandler(GuestMemory memory)
    {
        _memory = memory;
    }

    /// <summary>How many instructions were handled so far, per mnemonic (a snapshot).</summary>
    public IReadOnlyDictionary<string, long> HandledCounts => new SortedDictionary<string, long>(_handled, StringComparer.Ordinal);

    /// <summary>How many instructions were handled so far, all mnemonics together.</summary>
    public long HandledTotal => _handled.Values.Sum();

    /// <summary>
    /// One line for a person, e.g. <c>completed 12 instructions KVM could not emulate: cmpxchg16b 9, int3 3</c> (most
    /// frequent first), or <c>null</c> when none were handled.
    /// </summary>
    public string? Summary()
    {
        KeyValuePair<string, long>[] counts = [.. HandledCounts.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal)];
        if (counts.Length == 0)
        {
            return null;
        }

        long total = counts.Sum(c => c.Value);
        string noun = total == 1 ? "instruction" : "instructions";
        return System.FormattableString.Invariant($"completed {total} {noun} KVM could not emulate: {string.Join(", ", counts.Select(c => System.FormattableString.Invariant($"{c.Key} {c.Value}")))}");
    }

    /// <summary>
    /// Handles one emulation failure on <paramref name="vcpu"/>. <paramref name="reportedBytes"/> are the bytes KVM
    /// reported (<see cref="VcpuExit.EmulationFailureInstruction"/>); when empty, the bytes at CS:RIP are read from
    /// guest memory instead. Returns the action taken: for <see cref="EmulationActionKind.Stop"/> nothing was changed.
    /// </summary>
    public EmulationAction Handle(IKvmVcpuState vcpu, ReadOnlySpan<byte> reportedBytes)
    {
        ArgumentNullException.ThrowIfNull(vcpu);
        KvmRegs regs = vcpu.GetRegs();
        KvmSregs sregs = vcpu.GetSregs();
        var environment = new VcpuEmulationEnvironment(vcpu, _memory, (sregs.Cr0 & Cr0Pg) != 0);

        ReadOnlySpan<byte> bytes = reportedBytes;
        if (bytes.IsEmpty)
        {
            ulong linear = sregs.Cs.Base + regs.Rip;
            linear = (sregs.Cr0 & Cr0Pe) == 0 ? linear & 0xF_FFFF_FFFF : InstructionEmulator.Bitness(sregs) == 64 ? linear : linear & 0xFFFF_FFFF;
            byte[] fetched = new byte[VcpuExit.EmulationInstructionBytesCapacity];
            bytes = fetched.AsSpan(0, environment.ReadAvailable(linear, fetched));
        }

        EmulationAction action = InstructionEmulator.Decide(bytes, regs, sregs, environment);
        if (action.Kind == EmulationActionKind.Stop)
        {
            return action;
        }

        if (action.StoreAddress is ulong storeAt)
        {
            Span<byte> value = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(value, action.StoreValue);
            if (!environment.TryWriteLinear(storeAt, value))
            {
                return action with
                {
                    Kind = EmulationActionKind.Stop,
                    Message = $"KVM cannot emulate `{action.Instruction}` at RIP 0x{regs.Rip:x}, and its operand at 0x{storeAt:x} is not writable guest RAM",
                };
            }
        }

        if (action.Mxcsr is uint mxcsr)
        {
            KvmFpu fpu = vcpu.GetFpu();
            fpu.Mxcsr = mxcsr;
            vcpu.SetFpu(fpu);
        }

        // KVM_SET_REGS also drops a pending exception: without KVM_CAP_EXIT_ON_EMULATION_FAILURE, KVM queues #UD for the
        // failed instruction before it exits, and that #UD must not reach the guest now that the instruction was handled.
        vcpu.SetRegs(action.Registers);
        KvmVcpuEvents events = vcpu.GetVcpuEvents();
        bool eventsChanged = false;
        if ((events.ExceptionInjected != 0 || events.ExceptionPending != 0) && events.ExceptionNr == InstructionEmulator.VectorInvalidOpcode)
        {
            ClearException(ref events);
            eventsChanged = true;
        }

        if (action.Kind == EmulationActionKind.InjectException)
        {
            if (events.ExceptionInjected != 0 || events.ExceptionPending != 0)
            {
                vcpu.SetRegs(regs);
                return action with
                {
                    Kind = EmulationActionKind.Stop,
                    Message = $"cannot deliver vector {action.Vector} for `{action.Instruction}` at RIP 0x{regs.Rip:x}: exception {events.ExceptionNr} is already pending",
                };
            }

            // An injected (not pending) exception is delivered on the next entry; for the soft exception #BP the
            // return address is the RIP set above, just past the int3.
            ClearException(ref events);
            events.ExceptionInjected = 1;
            events.ExceptionNr = action.Vector;
            events.ExceptionHasErrorCode = action.ErrorCode is null ? (byte)0 : (byte)1;
            events.ExceptionErrorCode = action.ErrorCode ?? 0;
            eventsChanged = true;
        }

        if (eventsChanged)
        {
            vcpu.SetVcpuEvents(events);
        }

        _handled.AddOrUpdate(action.Mnemonic ?? "?", 1, static (_, count) => count + 1);
        return action;
    }

    private static void ClearException(ref KvmVcpuEvents events)
    {
        events.ExceptionInjected = 0;
        events.ExceptionPending = 0;
        events.ExceptionNr = 0;
        events.ExceptionHasErrorCode = 0;
        events.ExceptionErrorCode = 0;
        events.ExceptionHasPayload = 0;
        events.ExceptionPayload = 0;
    }
}
