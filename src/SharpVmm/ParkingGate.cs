namespace SharpVmm;

/// <summary>
/// Where vCPU threads wait off <c>KVM_RUN</c>, blocked on a monitor and using no CPU: one gate for a guest suspended to
/// RAM (ACPI S3), one for a paused VM. The VM closes the gate and kicks every vCPU; each parks here; opening it lets
/// them run again.
/// </summary>
internal sealed class ParkingGate
{
    private readonly object _gate = new();
    private bool _closed;
    private int _parked;

    /// <summary>Whether the VM is suspended (vCPUs park instead of running).</summary>
    public bool IsClosed => Volatile.Read(ref _closed);

    /// <summary>Closes the gate; false when it already was.</summary>
    public bool Close()
    {
        lock (_gate)
        {
            if (_closed)
            {
                return false;
            }

            Volatile.Write(ref _closed, true);
            return true;
        }
    }

    /// <summary>Parks the calling vCPU thread until the gate opens or <paramref name="stopping"/> says the run is over.</summary>
    public void Park(Func<bool> stopping)
    {
        lock (_gate)
        {
            _parked++;
            Monitor.PulseAll(_gate);
            while (_closed && !stopping())
            {
                Monitor.Wait(_gate);
            }

            _parked--;
        }
    }

    /// <summary>
    /// Waits until <paramref name="liveVcpus"/>() threads are parked, then runs <paramref name="whileParked"/> (which may
    /// touch every vCPU's state: none is in <c>KVM_RUN</c>) and opens the gate. False if they did not all park in time.
    /// </summary>
    public bool Open(Func<int> liveVcpus, Action whileParked, TimeSpan timeout)
    {
        lock (_gate)
        {
            if (!WaitForParked(liveVcpus, timeout))
            {
                return false;
            }

            whileParked();
            Volatile.Write(ref _closed, false);
            Monitor.PulseAll(_gate);
            return true;
        }
    }

    /// <summary>Threads parked here now.</summary>
    public int Parked
    {
        get
        {
            lock (_gate)
            {
                return _parked;
            }
        }
    }

    /// <summary>Waits until at least <paramref name="needed"/>() threads are parked; false if they were not in time.</summary>
    public bool WaitForParked(Func<int> needed, TimeSpan timeout)
    {
        lock (_gate)
        {
            long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
            while (_parked < needed())
            {
                long left = deadline - Environment.TickCount64;
                if (left <= 0)
                {
                    return false;
                }

                // Bounded waits: needed() may change without a pulse here (a vCPU thread that ends, a wake elsewhere).
                Monitor.Wait(_gate, TimeSpan.FromMilliseconds(Math.Min(left, 20)));
            }

            return true;
        }
    }

    /// <summary>Wakes every parked thread to look at the run's state again (the VM is stopping).</summary>
    public void Release()
    {
        lock (_gate)
        {
            Monitor.PulseAll(_gate);
        }
    }
}
