using SharpVmm.Devices.Bus;

namespace SharpVmm.Devices.Acpi;

/// <summary>
/// The ACPI power-management timer (ACPI 6.4 section 4.8.3.3, PM_TMR_BLK): a free-running 24-bit counter at
/// 3.579545 MHz, read as one 32-bit register whose bits 24-31 read as zero (the FADT's TMR_VAL_EXT flag is clear). The
/// count comes from the injected <see cref="TimeProvider"/>'s timestamp, so it is monotonic and wraps at 2^24.
/// Writes are ignored: the register is read-only. With <see cref="TimeProvider.System"/>, whose timestamp is the host's
/// <c>CLOCK_MONOTONIC</c> in nanoseconds, it publishes the counter (<see cref="IPublishesCounter"/>), so that a vCPU's run
/// loop answers a read itself.
/// </summary>
/// <remarks>TMR_STS (the carry out of bit 23) is not raised: Linux uses the timer as a clocksource only.</remarks>
public sealed class AcpiPmTimer : IBusDevice, IPublishesCounter
{
    /// <summary>Number of I/O ports the timer decodes (PM_TMR_LEN).</summary>
    public const int BlockLength = 4;

    /// <summary>The counter's rate in Hz (ACPI 6.4 section 4.8.3.3).</summary>
    public const long Frequency = 3_579_545;

    /// <summary>The counter's width: it counts modulo 2^24.</summary>
    public const uint CounterMask = 0xFF_FFFF;

    private readonly TimeProvider _time;
    private readonly PublishedCounter _counter = new(0, Frequency, CounterMask); // its Start is the timer's, in _time's timestamp
    private readonly bool _published;

    /// <summary>Creates a timer that reads 0 now and counts with <paramref name="timeProvider"/>'s timestamp.</summary>
    public AcpiPmTimer(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        _time = timeProvider;
        _counter.Start = timeProvider.GetTimestamp();
        _published = ReferenceEquals(timeProvider, TimeProvider.System) && OperatingSystem.IsLinux()
            && timeProvider.TimestampFrequency == PublishedCounter.NanosecondsPerSecond; // Stopwatch: CLOCK_MONOTONIC in ns
    }

    /// <inheritdoc />
    public PublishedCounter? PublishedCounter => _published ? _counter : null;

    /// <summary>The counter as the guest reads it now (24 bits).</summary>
    public uint Value
    {
        get
        {
            return (uint)(ElapsedTicks() & CounterMask);
        }
    }

    /// <summary>How far the timer has counted (see <see cref="AcpiPmTimerState"/>).</summary>
    public AcpiPmTimerState SaveState() => new() { ElapsedTicks = (ulong)ElapsedTicks() };

    /// <summary>Makes the timer count on from <paramref name="state"/>'s count. Call before the vCPUs run.</summary>
    /// <exception cref="DeviceStateException">The count is too large for the host timestamp; nothing is changed then.</exception>
    public void RestoreState(AcpiPmTimerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        // Rounded up, so the restored count is never below the saved one: the clocksource must not run backwards.
        UInt128 timestamps = (((UInt128)state.ElapsedTicks * (ulong)_time.TimestampFrequency) + Frequency - 1) / Frequency;
        DeviceStateException.Require(timestamps <= long.MaxValue / 2, "acpi-pm-timer", nameof(state.ElapsedTicks),
            "is more than the host timestamp can count back");
        _counter.Start = _time.GetTimestamp() - (long)timestamps;
    }

    /// <inheritdoc />
    public void Read(ulong offset, Span<byte> data)
    {
        uint value = Value;
        for (int i = 0; i < data.Length; i++)
        {
            ulong at = offset + (ulong)i;
            data[i] = at < BlockLength ? (byte)(value >> (int)(at * 8)) : (byte)0xFF;
        }
    }

    // Ticks at Frequency since the start, not wrapped.
    private UInt128 ElapsedTicks()
    {
        long elapsed = _time.GetTimestamp() - _counter.Start;
        return (UInt128)(ulong)Math.Max(elapsed, 0) * Frequency / (ulong)_time.TimestampFrequency;
    }

    /// <inheritdoc />
    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
    }
}
