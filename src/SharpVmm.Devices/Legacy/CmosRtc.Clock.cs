namespace SharpVmm.Devices.Legacy;

// The clock the time registers and register A's update flag are read from.
public sealed partial class CmosRtc
{
    private DateTimeOffset Now() => _time.GetUtcNow() + _offset;

    // The guest's time from the coarse clock, when that reading settles which second it is and that no update is in
    // progress: the precise time lies within MaxLag after it, and so does every moment of that span. Null otherwise.
    private DateTimeOffset? SettledNow()
    {
        if (_coarse is null)
        {
            return null;
        }

        DateTimeOffset coarse = _coarse.GetCoarseUtcNow() + _offset;
        long intoSecond = coarse.UtcTicks % TimeSpan.TicksPerSecond;
        return intoSecond + _coarse.MaxLag.Ticks < TimeSpan.TicksPerSecond - UpdateInProgressWindow.Ticks ? coarse : null;
    }

    private bool UpdateInProgress()
    {
        if ((_ram[RegisterB] & BSet) != 0 || (_ram[RegisterA] & ADividerMask) != ADividerNormal)
        {
            return false; // updates are stopped
        }

        if (SettledNow() is not null)
        {
            return false;
        }

        long intoSecond = Now().Ticks % TimeSpan.TicksPerSecond;
        return intoSecond >= TimeSpan.TicksPerSecond - UpdateInProgressWindow.Ticks;
    }
}
