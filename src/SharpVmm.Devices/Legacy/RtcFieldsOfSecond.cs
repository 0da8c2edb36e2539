namespace SharpVmm.Devices.Legacy;

/// <summary>
/// The <see cref="RtcFields"/> of the last second asked for. A guest reads the clock's registers one at a time, several
/// times within a second (Linux reads them all, then the seconds again), and the fields of a time depend only on its
/// whole second, so the date arithmetic runs once per second instead of once per read. Not thread-safe: the
/// <see cref="CmosRtc"/> calls it under its lock.
/// </summary>
internal sealed class RtcFieldsOfSecond
{
    private long _second = long.MinValue;
    private RtcFields _fields;

    /// <summary>The registers for <paramref name="time"/> (UTC), as <see cref="RtcFields.From"/> gives them.</summary>
    public RtcFields Get(DateTimeOffset time)
    {
        long second = time.UtcTicks / TimeSpan.TicksPerSecond; // ticks count from year 1: never negative
        if (second != _second)
        {
            _fields = RtcFields.From(time);
            _second = second;
        }

        return _fields;
    }
}
