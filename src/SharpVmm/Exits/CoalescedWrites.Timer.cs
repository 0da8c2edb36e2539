namespace SharpVmm.Exits;

// The replay timer: its period follows how fast the guest queues writes.
internal sealed partial class CoalescedWrites
{
    private long _replayedAtTick; // _replayed at the last timer replay (the timer's callback, one at a time)
    private TimeSpan _period = ReplayPeriod; // the timer's period now (changed under _zoneLock)
    private int _inTimer; // 1 while a callback runs

    // In the timer's callback, after its replay: by how many writes were delivered since the last tick (by the timer or
    // by vCPUs), a shorter period while the guest fills the ring fast, a longer one while it queues little.
    private void AdjustPeriod()
    {
        long replayed = Interlocked.Read(ref _replayed);
        long sinceLastTick = replayed - _replayedAtTick;
        _replayedAtTick = replayed;
        TimeSpan period = sinceLastTick >= _ring.Capacity / 4 ? _period / 2
            : sinceLastTick <= _ring.Capacity / 16 ? _period * 2
            : _period;
        period = period < BusyReplayPeriod ? BusyReplayPeriod : period > ReplayPeriod ? ReplayPeriod : period;
        lock (_zoneLock)
        {
            if (period != _period && !_disposed && Failure is null)
            {
                _period = period;
                _timer.Change(period, period);
            }
        }
    }

    private void OnTimer()
    {
        // Callbacks overlap when one outlasts the period; the one running does what a second would.
        if (Volatile.Read(ref _disposed) || Interlocked.Exchange(ref _inTimer, 1) == 1)
        {
            return;
        }

        try
        {
            Replay();
            AdjustPeriod();
            Tick?.Invoke();
        }
#pragma warning disable CA1031 // a timer thread's last resort: a device's failure must not end the process
        catch (Exception ex)
#pragma warning restore CA1031
        {
            // The vCPUs still replay before each exit, and the same failure stops the VM there with a report.
            lock (_zoneLock)
            {
                Failure = ex;
                _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
        }
        finally
        {
            Volatile.Write(ref _inTimer, 0);
        }
    }
}
