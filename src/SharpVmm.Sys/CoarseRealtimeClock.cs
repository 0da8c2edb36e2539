using System.Runtime.InteropServices;

namespace SharpVmm.Sys;

/// <summary>
/// Linux's <c>CLOCK_REALTIME_COARSE</c>: the wall clock as the kernel last updated it, at a tick. The vDSO reads it
/// from its data page, with neither a system call nor a read of the clock source's hardware. The precise clock
/// (<c>CLOCK_REALTIME</c>, which <see cref="DateTimeOffset.UtcNow"/> reads) is that time plus what the clock source
/// counted since. Where the clock source has no vDSO reader (the HPET, inside tools/nested-kvm) the precise read is a
/// system call, 1 µs warm and about 20 µs just after a world switch there; this read is 33-54 ns.
/// </summary>
public static unsafe partial class CoarseRealtimeClock
{
    private const int ClockRealtimeCoarse = 5; // CLOCK_REALTIME_COARSE, linux/time.h

    /// <summary>Whether the kernel has the clock (since Linux 2.6.32).</summary>
    public static bool IsAvailable { get; } = TryRead(out _);

    /// <summary>
    /// How far the coarse clock trails the precise one at most: twice its resolution (the tick), so that a tick the
    /// kernel takes late is covered. Zero where the clock is not available.
    /// </summary>
    public static TimeSpan MaxLag { get; } = Resolution() * 2;

    /// <summary>The coarse wall clock in UTC, or false where the kernel has no such clock.</summary>
    public static bool TryGetUtcNow(out DateTimeOffset now)
    {
        if (!TryRead(out long unixTicks))
        {
            now = default;
            return false;
        }

        now = DateTimeOffset.UnixEpoch.AddTicks(unixTicks);
        return true;
    }

    private static bool TryRead(out long unixTicks)
    {
        long* timespec = stackalloc long[2];
        // SAFETY: timespec is two 64-bit words on this stack frame, the struct timespec clock_gettime writes on x86-64.
        if (ClockGetTime(ClockRealtimeCoarse, timespec) != 0)
        {
            unixTicks = 0;
            return false;
        }

        unixTicks = (timespec[0] * TimeSpan.TicksPerSecond) + (timespec[1] / TimeSpan.NanosecondsPerTick);
        return true;
    }

    private static TimeSpan Resolution()
    {
        long* timespec = stackalloc long[2];
        // SAFETY: as in TryRead; clock_getres writes the same struct.
        return ClockGetResolution(ClockRealtimeCoarse, timespec) != 0 ? TimeSpan.Zero
            : TimeSpan.FromTicks((timespec[0] * TimeSpan.TicksPerSecond) + ((timespec[1] + TimeSpan.NanosecondsPerTick - 1) / TimeSpan.NanosecondsPerTick));
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    [UnmanagedCallConv(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvSuppressGCTransition)])]
    private static partial int ClockGetTime(int clock, long* timespec);

    [LibraryImport("libc", EntryPoint = "clock_getres")]
    private static partial int ClockGetResolution(int clock, long* timespec);
}
