using SharpVmm.Kvm;

namespace SharpVmm.Diagnostics;

/// <summary>
/// Exits counted and timed by where they came from (<see cref="ExitSite"/>): which port or MMIO address, read or
/// write, or which other exit reason. Turned on with <see cref="VirtualMachine.CollectExitStatistics"/> (the CLI's
/// <c>--exit-stats</c>); the vCPU threads then record each exit they handled, with the time they spent on it.
/// </summary>
/// <remarks>
/// Recording allocates nothing and takes no lock: a fixed open-addressed table of <see cref="Capacity"/> sites whose
/// keys are claimed with a compare-exchange and whose counters are added to with interlocked adds. Exits from more
/// sites than the table holds (a guest that probes thousands of ports) are counted together in <see cref="Other"/>.
/// </remarks>
public sealed class ExitStatistics
{
    /// <summary>Sites the table holds apart.</summary>
    public const int Capacity = 1024;

    private const int MaxProbes = 32;
    private const int ReasonShift = 56, WriteShift = 55;
    private const long AddressMask = (1L << WriteShift) - 1;

    private readonly long[] _keys = new long[Capacity]; // key + 1, so 0 marks a free slot
    private readonly long[] _counts = new long[Capacity];
    private readonly long[] _ticks = new long[Capacity];
    private readonly long[] _longest = new long[Capacity];
    private long _otherCount, _otherTicks;

    /// <summary>Records one handled exit that took <paramref name="ticks"/> (<see cref="SharpVmm.Sys.CycleClock"/> counts).</summary>
    public void Record(VcpuExit exit, long ticks)
    {
        uint reason = exit.Run.ExitReason;
        (bool write, ulong address) = exit.Reason switch
        {
            KvmExitReason.Io => (exit.IoIsWrite, (ulong)exit.IoPort),
            KvmExitReason.Mmio => (exit.Run.Mmio.IsWrite != 0, exit.Run.Mmio.PhysAddr),
            _ => (false, 0UL),
        };
        Record(reason, write, address, ticks);
    }

    /// <summary>Records one handled exit of <paramref name="reason"/> at <paramref name="address"/>.</summary>
    public void Record(uint reason, bool isWrite, ulong address, long ticks) => Record(reason, isWrite, address, 1, ticks, ticks);

    /// <summary>Records <paramref name="count"/> handled exits of <paramref name="reason"/> at <paramref name="address"/>
    /// that took <paramref name="ticks"/> together, the longest <paramref name="longest"/>.</summary>
    public void Record(uint reason, bool isWrite, ulong address, long count, long ticks, long longest)
    {
        long key = ((long)(reason & 0x7f) << ReasonShift) | (isWrite ? 1L << WriteShift : 0) | ((long)address & AddressMask);
        int slot = (int)((ulong)(key * unchecked((long)0x9E3779B97F4A7C15)) >> 54) & (Capacity - 1); // Fibonacci hashing
        for (int probe = 0; probe < MaxProbes; probe++, slot = (slot + 1) & (Capacity - 1))
        {
            long held = Volatile.Read(ref _keys[slot]);
            if (held == 0)
            {
                held = Interlocked.CompareExchange(ref _keys[slot], key + 1, 0);
                if (held == 0)
                {
                    held = key + 1; // claimed it
                }
            }

            if (held == key + 1)
            {
                Interlocked.Add(ref _counts[slot], count);
                Interlocked.Add(ref _ticks[slot], ticks);
                long recorded = Volatile.Read(ref _longest[slot]);
                while (longest > recorded && Interlocked.CompareExchange(ref _longest[slot], longest, recorded) is long seen && seen != recorded)
                {
                    recorded = seen;
                }

                return;
            }
        }

        Interlocked.Add(ref _otherCount, count);
        Interlocked.Add(ref _otherTicks, ticks);
    }

    /// <summary>Exits from sites the table had no room for, all together.</summary>
    public (long Count, TimeSpan Time) Other =>
        (Interlocked.Read(ref _otherCount), SharpVmm.Sys.CycleClock.ToTimeSpan(Interlocked.Read(ref _otherTicks)));

    /// <summary>Every site seen, the most expensive (total time) first.</summary>
    public IReadOnlyList<ExitSite> Sites()
    {
        var sites = new List<ExitSite>();
        for (int slot = 0; slot < Capacity; slot++)
        {
            long held = Volatile.Read(ref _keys[slot]);
            long count = Interlocked.Read(ref _counts[slot]);
            if (held == 0 || count == 0)
            {
                continue;
            }

            long key = held - 1;
            sites.Add(new ExitSite((uint)(key >> ReasonShift), (key & (1L << WriteShift)) != 0, (ulong)(key & AddressMask), count,
                SharpVmm.Sys.CycleClock.ToTimeSpan(Interlocked.Read(ref _ticks[slot])))
            {
                Longest = SharpVmm.Sys.CycleClock.ToTimeSpan(Interlocked.Read(ref _longest[slot])),
            });
        }

        return [.. sites.OrderByDescending(s => s.Time).ThenByDescending(s => s.Count)];
    }

    /// <summary>The sites summed by exit reason (address and direction 0), the most expensive first.</summary>
    public IReadOnlyList<ExitSite> ByReason() =>
        [.. Sites().GroupBy(s => s.Reason)
            .Select(g => new ExitSite(g.Key, false, 0, g.Sum(s => s.Count), TimeSpan.FromTicks(g.Sum(s => s.Time.Ticks))))
            .OrderByDescending(s => s.Time).ThenByDescending(s => s.Count)];
}
