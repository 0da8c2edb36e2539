using System.Runtime.InteropServices;

namespace SharpVmm.Devices.Bus;

/// <summary>
/// A free-running counter read as one 32-bit register, which its device publishes as where it started and how fast it
/// counts (<see cref="IPublishesCounter"/>), so that code outside the runtime can answer a read without calling the
/// device: a vCPU's run loop reads the host's <c>CLOCK_MONOTONIC</c> and computes
/// <c>((now - Start) * Rate / 10^9) &amp; Mask</c>, as <see cref="CountAt"/> does. The ACPI PM timer is one: Linux reads
/// it dozens of times while it checks it before using it as a clock source.
/// </summary>
public sealed class PublishedCounter
{
    /// <summary>The clock's unit: <see cref="Start"/> and the time a read is answered at are in nanoseconds.</summary>
    public const long NanosecondsPerSecond = 1_000_000_000;

    // Start, rate and mask, in a pinned array so that code outside the runtime can read them where they are (Address).
    private readonly long[] _cell = GC.AllocateArray<long>(3, pinned: true);

    /// <summary>A counter at <paramref name="offset"/> that counts at <paramref name="rate"/> Hz and reads through
    /// <paramref name="mask"/>, starting now at 0 (<see cref="Start"/> is 0 until set).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rate"/> is not between 1 Hz and 1 GHz.</exception>
    public PublishedCounter(ulong offset, long rate, uint mask)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rate);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rate, NanosecondsPerSecond); // the count then fits 64 bits
        Offset = offset;
        _cell[1] = rate;
        _cell[2] = mask;
    }

    /// <summary>The register's offset from its device's first address.</summary>
    public ulong Offset { get; }

    /// <summary>How many counts a second.</summary>
    public long Rate => _cell[1];

    /// <summary>The bits a read keeps.</summary>
    public uint Mask => (uint)_cell[2];

    /// <summary>The host's <c>CLOCK_MONOTONIC</c>, in nanoseconds, at which the count was 0.</summary>
    public long Start
    {
        get => Volatile.Read(ref _cell[0]);
        set => Volatile.Write(ref _cell[0], value);
    }

    /// <summary>
    /// Where the start, the rate and the mask are, as three 64-bit words in that order. They stay there for the
    /// counter's lifetime, so code that runs outside the runtime may read them while it holds the counter.
    /// </summary>
    public nint Address => Marshal.UnsafeAddrOfPinnedArrayElement(_cell, 0);

    /// <summary>What a read answers at <paramref name="now"/> (<c>CLOCK_MONOTONIC</c>, in nanoseconds): 0 before
    /// <see cref="Start"/>.</summary>
    public uint CountAt(long now)
    {
        ulong elapsed = (ulong)Math.Max(now - Start, 0);
        return (uint)(ulong)((UInt128)elapsed * (ulong)Rate / NanosecondsPerSecond) & Mask;
    }
}
