using System.Runtime.InteropServices;
using SharpVmm.Sys;

namespace SharpVmm.Kvm;

/// <summary>
/// <c>KVM_RUN</c> in a loop of hand-assembled code that answers a vCPU's one-byte port accesses to published registers
/// (<see cref="PublishedPort"/>) without returning to managed code: a read gets the published value, a write that puts
/// the value back is dropped. A free-running counter's 4-byte reads (<see cref="PublishedPort.Counter"/>: the ACPI PM
/// timer) get the count computed from the host's <c>CLOCK_MONOTONIC</c>. Any other exit, a kick, an error, a stale mark
/// (<see cref="MarkStale"/>) or a spent budget of answers returns to the caller.
/// </summary>
/// <remarks>
/// <para>
/// A polling driver makes such accesses by the thousand: Linux's 8250 console reads the line status before every byte
/// it prints until user space opens the port. Each costs the round trip through the kernel, which no VMM avoids, and
/// the VMM's own part. In managed code that part is the P/Invoke transition and the objects the exit path reads, about
/// 20 pages; here it is this page and the loop's block, besides <c>kvm_run</c> and its data page (a caller that
/// keeps copies of the values in the block, <see cref="SlotCell"/>, saves the values' pages too). Where the CPU is itself emulated (QEMU's
/// TCG, which flushes its software TLB at every emulated world switch), what an exit costs follows the pages it
/// touches, and the loop answers a boot's LSR reads in about half the time (docs/performance.md).
/// </para>
/// <para>
/// The loop's block is one page of native memory, written by the vCPU's thread between runs (<see cref="SetPorts"/>)
/// and read by the loop: the vCPU's file descriptor, its <c>kvm_run</c> area, the ports with the address of each
/// value (a 32-bit cell: the byte, or -1 while withdrawn), and counters. The time of each answered exit, from
/// <c>KVM_RUN</c>'s return to the next <c>KVM_RUN</c>, is measured with <c>rdtsc</c> (<see cref="CycleClock"/>
/// counts) and counted per port and direction.
/// </para>
/// </remarks>
public sealed unsafe partial class PublishedPortRunLoop : IDisposable
{
    /// <summary>How many ports the loop answers at most; further ones reach the caller.</summary>
    public const int Capacity = 32;

    /// <summary>How many ranges of unclaimed ports the loop takes at most (<see cref="SetUnclaimedRanges"/>).</summary>
    public const int MaxUnclaimedRanges = 64;

    /// <summary>How many exits <see cref="Run"/> answers at most before it returns
    /// (<see cref="RunLoopOutcome.AnswersSpent"/>), so that the caller's counts stay close to the truth while a guest
    /// does nothing but poll.</summary>
    public const int AnswersPerRun = 4096;

    // The block's layout, shared with the code (PublishedPortRunLoop.Code.cs).
    private const int FdOffset = 0x00, PortCountOffset = 0x04, RunOffset = 0x08, LastReturnOffset = 0x10;
    private const int CyclesOffset = 0x18, AnsweredOffset = 0x20, StaleOffset = 0x28, BudgetOffset = 0x30, RangeCountOffset = 0x38;
    private const int PortsOffset = 0x40, PortSize = 16; // { u64 value cell; u16 port; u8 flags (1 reads, 2 rewrites, 4 unclaimed, 8 counter) }
    private const int CountsOffset = 0x240, PortCyclesOffset = 0x440, LongestOffset = 0x640; // u64 [2 * Capacity]: slot = entry * 2 + is write
    private const int SlotCellsOffset = 0x840; // i32 [Capacity]: cells for copies of the values (SlotCell); slot 0 is the unclaimed ports'
    private const int RangesOffset = 0x8C0; // { u16 first; u16 last } [MaxUnclaimedRanges]: ports no device claims
    private const int ClockFunctionOffset = 0x9C0; // libc's clock_gettime, for counters (PublishedPort.Counter), or 0
    private const int BlockSize = 0x1000;
    private const byte AnswersReads = 1, DropsRewrites = 2, Unclaimed = 4, Counter = 8;

    // SAFETY: the page holds the code (Code), which follows the System V calling convention (rbx, r12-r14 saved and
    // restored; on the stack beyond them only a counter's timespec, with rdi and r10 while clock_gettime runs), reads
    // and writes only the block it is given, the kvm_run area and the cells the block names, makes one system call,
    // KVM_RUN, which may block (hence a GC transition), and calls libc's clock_gettime, which calls nothing managed.
    private static readonly delegate* unmanaged<byte*, long> Enter = (delegate* unmanaged<byte*, long>)ExecutablePage.Create(Code);

    // libc's clock_gettime, which a counter's answer calls (through the vDSO where the clock source has a reader there);
    // 0 where libc does not export it: counters are then left to the caller.
    private static readonly nint ClockGetTime = NativeLibrary.TryLoad("libc.so.6", out nint libc)
        && NativeLibrary.TryGetExport(libc, "clock_gettime", out nint function) ? function : 0;

    /// <summary>Whether the loop can answer counters (<see cref="PublishedPort.Counter"/>): libc's
    /// <c>clock_gettime</c> was found.</summary>
    public static bool AnswersCounters => ClockGetTime != 0;

    private readonly KvmVcpu _vcpu;
    private readonly long[] _seenCounts = new long[2 * Capacity];
    private readonly long[] _seenCycles = new long[2 * Capacity];
    private object[] _keepAlive = [];
    private byte* _block;
    private long _seenAnswered, _seenAnsweredCycles;
    private bool _perPortTaken = true; // the counters start at zero, as the seen copies do

    /// <summary>Creates the loop for <paramref name="vcpu"/>, answering nothing until <see cref="SetPorts"/>.</summary>
    public PublishedPortRunLoop(KvmVcpu vcpu)
    {
        ArgumentNullException.ThrowIfNull(vcpu);
        _vcpu = vcpu;
        _block = (byte*)NativeMemory.AlignedAlloc(BlockSize, BlockSize);

        // SAFETY: the block was just allocated, BlockSize bytes, and is this object's alone until Dispose.
        new Span<byte>(_block, BlockSize).Clear();
        new Span<int>(_block + SlotCellsOffset, Capacity).Fill(-1); // withdrawn until a copy is written
        *(int*)(_block + FdOffset) = vcpu.FdNumber;
        *(nint*)(_block + RunOffset) = vcpu.RunAddress;
        *(int*)(_block + StaleOffset) = 1;
        *(nint*)(_block + ClockFunctionOffset) = ClockGetTime;
    }

    /// <summary>Whether the ports must be set again before the loop answers anything (<see cref="MarkStale"/>).</summary>
    public bool IsStale => Volatile.Read(ref *(int*)(Block + StaleOffset)) != 0;

    /// <summary>Exits the loop has answered.</summary>
    public long Answered => Volatile.Read(ref *(long*)(Block + AnsweredOffset));

    /// <summary>Time the loop spent on the exits it answered, in <see cref="CycleClock"/> counts.</summary>
    public long AnsweredCycles => Volatile.Read(ref *(long*)(Block + CyclesOffset));

    /// <summary>When the last <c>KVM_RUN</c> returned (<see cref="CycleClock"/> counts): where the caller's handling
    /// of the exit it returned with began.</summary>
    public long LastReturn => *(long*)(Block + LastReturnOffset);

    private byte* Block
    {
        get
        {
            ObjectDisposedException.ThrowIf(_block == null, this);
            return _block;
        }
    }

    /// <summary>Any thread, before <see cref="Dispose"/>: the ports the loop answers are out of date; from the next exit
    /// on it answers none until the vCPU's thread has cleared the mark (<see cref="ClearStale"/>) and set them again.</summary>
    public void MarkStale() => Volatile.Write(ref *(int*)(Block + StaleOffset), 1);

    /// <summary>The vCPU's thread: clears the stale mark and says whether it was set. Clear it before reading what
    /// the ports are to be, then <see cref="SetPorts"/>: a <see cref="MarkStale"/> after the clear then stands.</summary>
    public bool ClearStale() => Interlocked.Exchange(ref *(int*)(Block + StaleOffset), 0) != 0; // a full fence: the reads that follow come after it

    /// <summary>
    /// A 32-bit cell in the loop's own block for a copy of the value of the port in <paramref name="slot"/>, for a
    /// <see cref="PublishedPort.ValueCell"/> that costs the loop no page of its own to read: where the CPU is emulated,
    /// each page an exit touches costs it. Whoever keeps the copy current must stop writing to it before
    /// <see cref="Dispose"/>. It reads -1 (withdrawn) until written; slot 0 holds the unclaimed ports' value once
    /// <see cref="SetUnclaimedRanges"/> has run, so a caller with ranges keeps no copy there.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="slot"/> is not below <see cref="Capacity"/>.</exception>
    public nint SlotCell(int slot)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, Capacity);
        return (nint)(Block + SlotCellsOffset + (slot * sizeof(int)));
    }

    /// <summary>
    /// The vCPU's thread, between runs: the ports to answer from now on (the first <see cref="Capacity"/>). Each
    /// port's value cell must stay where it is while it is set: the owners in <paramref name="keepAlive"/> are held
    /// until the next call. The loop answers them once the stale mark is clear (<see cref="ClearStale"/>).
    /// </summary>
    public void SetPorts(ReadOnlySpan<PublishedPort> ports, object[] keepAlive)
    {
        ArgumentNullException.ThrowIfNull(keepAlive);
        ObjectDisposedException.ThrowIf(_block == null, this);
        int count = 0;
        // SAFETY: the block is live (checked above) and BlockSize bytes; Capacity entries end at CountsOffset, inside
        // it, and only this vCPU's thread writes it, between runs.
        foreach (PublishedPort port in ports)
        {
            if (count == Capacity)
            {
                break;
            }

            if (port.Counter && !AnswersCounters)
            {
                continue; // the caller answers it
            }

            byte* entry = _block + PortsOffset + (count++ * PortSize);
            *(nint*)entry = port.ValueCell;
            *(ushort*)(entry + 8) = port.Port;
            *(entry + 10) = (byte)((port.AnswersReads ? AnswersReads : 0) | (port.DropsRewrites ? DropsRewrites : 0)
                | (port.Unclaimed ? Unclaimed : 0) | (port.Counter ? Counter : 0));
        }

        *(int*)(_block + PortCountOffset) = count;
        *(int*)(_block + RangeCountOffset) = 0; // until SetUnclaimedRanges
        _keepAlive = keepAlive;

        // Each slot counts for a port from here on (what was not taken is in the totals only), for whoever asks.
        SkipPerPortCounts();
        _perPortTaken = true;
        new Span<long>(_block + LongestOffset, 2 * Capacity).Clear();
    }

    /// <summary>
    /// The vCPU's thread, between runs, after <see cref="SetPorts"/>: the ranges of ports no device claims (the first
    /// <see cref="MaxUnclaimedRanges"/>; each a first and last port). An access to a port in one of them that no entry
    /// names adds an entry for it, while the table has fewer than <see cref="Capacity"/>, answered as the bus answers a
    /// port nothing claims: all ones for a read of 1, 2 or 4 bytes, a write dropped (<see cref="PublishedPort.Unclaimed"/>).
    /// Its accesses are then counted in its own slot, so that <see cref="TakeAnswered"/> reports it by port, the first
    /// access included. The ranges hold until the next <see cref="SetPorts"/>, which clears them.
    /// </summary>
    public void SetUnclaimedRanges(ReadOnlySpan<(ushort First, ushort Last)> ranges)
    {
        ObjectDisposedException.ThrowIf(_block == null, this);
        int count = Math.Min(ranges.Length, MaxUnclaimedRanges);
        // SAFETY: the block is live (checked above) and BlockSize bytes; the ranges end at RangesOffset + 4 *
        // MaxUnclaimedRanges, inside it, and only this vCPU's thread writes it, between runs.
        for (int i = 0; i < count; i++)
        {
            (ushort first, ushort last) = ranges[i];
            *(ushort*)(_block + RangesOffset + (i * 4)) = first;
            *(ushort*)(_block + RangesOffset + (i * 4) + 2) = last;
        }

        *(int*)(_block + SlotCellsOffset) = 0xFF; // slot 0: what an unclaimed port reads, a byte of all ones
        *(int*)(_block + RangeCountOffset) = count;
    }

    /// <summary>
    /// Runs the vCPU until an exit the loop does not answer (<see cref="RunLoopOutcome.Exit"/>: it is in
    /// <c>kvm_run</c>), <c>KVM_RUN</c> is interrupted (<see cref="RunLoopOutcome.Interrupted"/>: a kick, EINTR or
    /// EAGAIN, as <see cref="KvmVcpu.Run"/> returns false), or <see cref="AnswersPerRun"/> exits have been answered
    /// (<see cref="RunLoopOutcome.AnswersSpent"/>: the last of them is completed by the next <c>KVM_RUN</c>).
    /// </summary>
    /// <exception cref="KvmException">KVM_RUN failed.</exception>
    public RunLoopOutcome Run()
    {
        byte* block = Block;
        *(long*)(block + BudgetOffset) = AnswersPerRun;
        long result = Enter(block);
        if (result >= 0)
        {
            return result == 0 ? RunLoopOutcome.Exit : RunLoopOutcome.AnswersSpent;
        }

        int errno = (int)-result;
        return errno is Errno.EINTR or Errno.EAGAIN ? RunLoopOutcome.Interrupted : throw new KvmException("KVM_RUN", errno);
    }

    /// <summary>
    /// What the loop answered since the last call: the number of exits and their time, in total and, when
    /// <paramref name="perPort"/> is given, per port and direction (port, is write, count, <see cref="CycleClock"/>
    /// counts, longest).
    /// </summary>
    public (long Exits, long Cycles) TakeAnswered(Action<ushort, bool, long, long, long>? perPort = null)
    {
        long answered = Answered, cycles = AnsweredCycles;
        (long Exits, long Cycles) delta = (answered - _seenAnswered, cycles - _seenAnsweredCycles);
        _seenAnswered = answered;
        _seenAnsweredCycles = cycles;
        if (perPort is null)
        {
            _perPortTaken = false;
        }
        else if (!_perPortTaken)
        {
            SkipPerPortCounts(); // the first call that wants them: counts from here on, not those answered while nobody asked
            _perPortTaken = true;
        }
        else if (delta.Exits > 0)
        {
            int count = *(int*)(_block + PortCountOffset);
            for (int slot = 0; slot < 2 * count; slot++)
            {
                long slotCount = ((long*)(_block + CountsOffset))[slot], slotCycles = ((long*)(_block + PortCyclesOffset))[slot];
                if (slotCount != _seenCounts[slot])
                {
                    perPort(*(ushort*)(_block + PortsOffset + (slot / 2 * PortSize) + 8), slot % 2 == 1, slotCount - _seenCounts[slot], slotCycles - _seenCycles[slot],
                        ((long*)(_block + LongestOffset))[slot]);
                    _seenCounts[slot] = slotCount;
                    _seenCycles[slot] = slotCycles;
                }
            }
        }

        return delta;
    }

    // What the per-port counters hold now is taken as seen, without being reported.
    private void SkipPerPortCounts()
    {
        new ReadOnlySpan<long>(_block + CountsOffset, 2 * Capacity).CopyTo(_seenCounts);
        new ReadOnlySpan<long>(_block + PortCyclesOffset, 2 * Capacity).CopyTo(_seenCycles);
    }

    /// <summary>Frees the block; the vCPU's thread must have left <see cref="Run"/> for good.</summary>
    public void Dispose()
    {
        if (_block != null)
        {
            NativeMemory.AlignedFree(_block);
            _block = null;
        }

        _keepAlive = [];
    }
}
