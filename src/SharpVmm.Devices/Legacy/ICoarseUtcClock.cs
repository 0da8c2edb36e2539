namespace SharpVmm.Devices.Legacy;

/// <summary>
/// A wall clock that is cheaper to read than <see cref="TimeProvider.GetUtcNow"/> and trails it by
/// <see cref="MaxLag"/> at most, as Linux's <c>CLOCK_REALTIME_COARSE</c> trails <c>CLOCK_REALTIME</c>. A
/// <see cref="TimeProvider"/> given to <see cref="CmosRtc"/> may implement it; <see cref="TimeProvider.System"/> has
/// the host's.
/// </summary>
public interface ICoarseUtcClock
{
    /// <summary>How far <see cref="GetCoarseUtcNow"/> trails the precise clock at most.</summary>
    TimeSpan MaxLag { get; }

    /// <summary>The coarse time now, in UTC: at most <see cref="MaxLag"/> before the precise time, never after it.</summary>
    DateTimeOffset GetCoarseUtcNow();
}
