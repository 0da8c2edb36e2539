using Microsoft.Extensions.Time.Testing;

namespace SharpVmm.Tests.Support;

/// <summary>
/// A clock that stands still (<see cref="FakeTimeProvider"/>), with timers that fire only when a test says so:
/// <see cref="FirePending"/> runs, on the caller's thread, every timer that has a due time, as if that time had come. A
/// test can then decide exactly where in a guest's run a timer's work happens.
/// </summary>
public sealed class HeldTimers : FakeTimeProvider
{
    private readonly List<HeldTimer> _timers = [];

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new HeldTimer(callback, state);
        timer.Change(dueTime, period);
        lock (_timers)
        {
            _timers.Add(timer);
        }

        return timer;
    }

    /// <summary>How many timers have a due time now.</summary>
    public int Pending
    {
        get
        {
            lock (_timers)
            {
                return _timers.Count(t => t.IsPending);
            }
        }
    }

    /// <summary>Runs the callback of every timer that has a due time, once; returns how many ran.</summary>
    public int FirePending()
    {
        HeldTimer[] pending;
        lock (_timers)
        {
            pending = [.. _timers.Where(t => t.IsPending)];
        }

        foreach (HeldTimer timer in pending)
        {
            timer.Fire();
        }

        return pending.Length;
    }

    private sealed class HeldTimer(TimerCallback callback, object? state) : ITimer
    {
        private readonly Lock _lock = new();
        private TimeSpan? _due;
        private TimeSpan _period = Timeout.InfiniteTimeSpan;

        public bool IsPending
        {
            get
            {
                lock (_lock)
                {
                    return _due is not null;
                }
            }
        }

        public void Fire()
        {
            lock (_lock)
            {
                _due = _period == Timeout.InfiniteTimeSpan ? null : _period; // a periodic timer stays pending
            }

            callback(state);
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (_lock)
            {
                _due = dueTime == Timeout.InfiniteTimeSpan ? null : dueTime;
                _period = period;
            }

            return true;
        }

        public void Dispose() => Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
