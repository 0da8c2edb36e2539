using System.Runtime.InteropServices;
using SharpVmm.Kvm.Structs;

namespace SharpVmm.Kvm;

/// <summary>
/// A zero-copy view of one exit, over the vCPU's <c>kvm_run</c> area. Valid until the vCPU runs again.
/// Every span it hands out is bounds-checked against the mapped area.
/// </summary>
public readonly ref struct VcpuExit
{
    /// <summary><c>KVM_EXIT_IO_IN</c>.</summary>
    public const byte IoIn = 0;

    /// <summary><c>KVM_EXIT_IO_OUT</c>.</summary>
    public const byte IoOut = 1;

    /// <summary><c>KVM_INTERNAL_ERROR_EMULATION</c>: KVM's instruction emulator failed.</summary>
    public const uint InternalErrorEmulation = 1;

    /// <summary><c>KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES</c>: <c>insn_size</c>/<c>insn_bytes</c> are valid.</summary>
    public const ulong EmulationFlagInstructionBytes = 1;

    /// <summary>
    /// Offset of <c>kvm_run.emulation_failure.insn_bytes</c> in the kvm_run area: 17 bytes into the exit union,
    /// after suberror, ndata, flags and insn_size (checked against &lt;linux/kvm.h&gt; by the layout tests).
    /// </summary>
    public const int EmulationInstructionBytesOffset = KvmRun.ExitUnionOffset + 17;

    /// <summary>Capacity of <c>insn_bytes</c> (the longest x86 instruction).</summary>
    public const int EmulationInstructionBytesCapacity = 15;

    private readonly Span<byte> _area;

    /// <summary>Creates a view over a kvm_run area (the vCPU mapping, or a buffer in tests).</summary>
    public VcpuExit(Span<byte> runArea)
    {
        if (runArea.Length < KvmRun.Size)
        {
            throw new ArgumentException($"a kvm_run area needs at least {KvmRun.Size} bytes", nameof(runArea));
        }

        _area = runArea;
    }

    /// <summary>The whole kvm_run structure.</summary>
    public ref KvmRun Run => ref MemoryMarshal.AsRef<KvmRun>(_area);

    /// <summary>The exit reason.</summary>
    public KvmExitReason Reason => (KvmExitReason)Run.ExitReason;

    /// <summary>For port I/O: true for OUT (guest writes), false for IN.</summary>
    public bool IoIsWrite => Run.Io.Direction == IoOut;

    /// <summary>For port I/O: the port.</summary>
    public ushort IoPort => Run.Io.Port;

    /// <summary>For port I/O: bytes per access (1, 2 or 4).</summary>
    public int IoSize => Run.Io.Size;

    /// <summary>For port I/O: number of accesses (more than 1 for <c>rep ins/outs</c>).</summary>
    public int IoCount => (int)Run.Io.Count;

    /// <summary>
    /// For port I/O: the data buffer, <see cref="IoSize"/> × <see cref="IoCount"/> bytes inside the mapped area.
    /// Empty when KVM reported an impossible size or offset.
    /// </summary>
    public Span<byte> IoData
    {
        get
        {
            ref readonly KvmRunIo io = ref Run.Io;
            ulong length = (ulong)io.Size * io.Count;
            return io.DataOffset <= (ulong)_area.Length && length <= (ulong)_area.Length - io.DataOffset
                ? _area.Slice((int)io.DataOffset, (int)length)
                : [];
        }
    }

    /// <summary>For MMIO: the guest-physical address.</summary>
    public ulong MmioAddress => Run.Mmio.PhysAddr;

    /// <summary>For MMIO: true for a write.</summary>
    public bool MmioIsWrite => Run.Mmio.IsWrite != 0;

    /// <summary>For MMIO: the data bytes (at most 8).</summary>
    public Span<byte> MmioData
    {
        get
        {
            // kvm_run.mmio.data sits 8 bytes into the exit union.
            int length = (int)Math.Min(Run.Mmio.Len, 8u);
            return _area.Slice(KvmRun.ExitUnionOffset + 8, length);
        }
    }

    /// <summary>For <c>KVM_EXIT_INTERNAL_ERROR</c>: the suberror.</summary>
    public uint InternalSuberror => Run.Internal.Suberror;

    /// <summary>For <c>KVM_EXIT_INTERNAL_ERROR</c>: the number of valid data words KVM reported (not clamped).</summary>
    public uint InternalNdata => Run.Internal.Ndata;

    /// <summary>True for <c>KVM_EXIT_INTERNAL_ERROR</c> with suberror <c>KVM_INTERNAL_ERROR_EMULATION</c>.</summary>
    public bool IsEmulationFailure => Reason == KvmExitReason.InternalError && Run.Internal.Suberror == InternalErrorEmulation;

    /// <summary>For an emulation failure: <c>emulation_failure.flags</c> (<see cref="EmulationFlagInstructionBytes"/>).</summary>
    public ulong EmulationFailureFlags => Run.EmulationFailure.Flags;

    /// <summary>For <c>KVM_EXIT_INTERNAL_ERROR</c>: the valid data words (at most 16).</summary>
    public ReadOnlySpan<ulong> InternalData =>
        MemoryMarshal.Cast<byte, ulong>(_area.Slice(KvmRun.ExitUnionOffset + 8, 16 * sizeof(ulong)))[..(int)Math.Min(Run.Internal.Ndata, 16u)];

    /// <summary>
    /// For an emulation failure (<c>KVM_INTERNAL_ERROR_EMULATION</c>): the instruction bytes KVM could not emulate,
    /// or empty when KVM did not supply them.
    /// </summary>
    public ReadOnlySpan<byte> EmulationFailureInstruction
    {
        get
        {
            ref readonly var failure = ref Run.EmulationFailure;
            if (failure.Suberror != InternalErrorEmulation || (failure.Flags & EmulationFlagInstructionBytes) == 0)
            {
                return [];
            }

            return _area.Slice(EmulationInstructionBytesOffset, Math.Min((int)failure.InsnSize, EmulationInstructionBytesCapacity));
        }
    }
}
