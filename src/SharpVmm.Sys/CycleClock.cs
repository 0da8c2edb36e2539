using System.Diagnostics;

namespace SharpVmm.Sys;

/// <summary>
/// The CPU's time-stamp counter, read with <c>rdtsc</c> from a page of hand-assembled code: the exit path's clock. A
/// <see cref="Stopwatch"/> timestamp is a <c>clock_gettime</c> call, 20-30 ns where the kernel's clock source is the
/// TSC, but a system call and an emulated timer read where it is not: 2.4-10.8 µs inside tools/nested-kvm, whose clock
/// source is the HPET, against 0.2 µs for <c>rdtsc</c> there. Counts convert to time at the rate measured between the
/// counter's first use and the conversion, against the <see cref="Stopwatch"/>.
/// </summary>
public static unsafe class CycleClock
{
    // rdtsc; shl rdx, 32; or rax, rdx; ret
    private static ReadOnlySpan<byte> ReadCounterCode => [0x0F, 0x31, 0x48, 0xC1, 0xE2, 0x20, 0x48, 0x09, 0xD0, 0xC3];

    // SAFETY: the page holds the four instructions above, which touch only rax and rdx (caller-saved) and the stack's
    // return address; it is mapped read+execute and never freed. No GC transition: the code cannot block or call back.
    private static readonly delegate* unmanaged[SuppressGCTransition]<long> ReadCounter =
        (delegate* unmanaged[SuppressGCTransition]<long>)ExecutablePage.Create(ReadCounterCode);

    private static readonly (long Cycles, long Ticks) Origin = ReadPair();

    /// <summary>The counter now.</summary>
    public static long Now() => ReadCounter();

    /// <summary>How many counts of <see cref="Now"/> <paramref name="time"/> lasts, at the rate measured so far (the
    /// inverse of <see cref="ToTimeSpan"/>).</summary>
    public static long FromTimeSpan(TimeSpan time) => (long)(time.Ticks * (CountsPerSecond() / TimeSpan.TicksPerSecond));

    /// <summary>How long <paramref name="cycles"/> counts of <see cref="Now"/> last, at the rate measured so far
    /// (waiting until 10 ms have passed since the first use, when less have).</summary>
    public static TimeSpan ToTimeSpan(long cycles) => TimeSpan.FromTicks((long)(cycles / CountsPerSecond() * TimeSpan.TicksPerSecond));

    private static double CountsPerSecond()
    {
        (long cycles, long ticks) = ReadPair();
        while (ticks - Origin.Ticks < Stopwatch.Frequency / 100)
        {
            Thread.Sleep(1);
            (cycles, ticks) = ReadPair();
        }

        long elapsedCycles = cycles - Origin.Cycles;
        return elapsedCycles > 0 ? elapsedCycles * (double)Stopwatch.Frequency / (ticks - Origin.Ticks) : Stopwatch.Frequency;
    }

    // The counter and the Stopwatch at one moment: the counter read between two Stopwatch reads, taking the closest of
    // a few tries. A thread preempted between two plain reads would skew the rate by the time it lost (5 % for half a
    // millisecond against the first 10 ms).
    private static (long Cycles, long Ticks) ReadPair()
    {
        long tight = Math.Max(1, Stopwatch.Frequency / 100_000); // 10 µs
        (long Cycles, long Ticks) best = default;
        long bestSpan = long.MaxValue;
        for (int i = 0; i < 50 && bestSpan > tight; i++)
        {
            long before = Stopwatch.GetTimestamp();
            long cycles = ReadCounter();
            long span = Stopwatch.GetTimestamp() - before;
            if (span < bestSpan)
            {
                bestSpan = span;
                best = (cycles, before + (span / 2));
            }
        }

        return best;
    }
}
