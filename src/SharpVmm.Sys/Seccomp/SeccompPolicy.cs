namespace SharpVmm.Sys;

/// <summary>
/// The process's seccomp choice, and the call each VMM thread makes as it starts to confine itself. A filter binds the
/// thread that installs it and the threads it creates afterwards, so each kind of thread installs its own
/// (<see cref="SyscallAllowList"/>), as Firecracker's vCPU and VMM threads do; <see cref="ConfineProcess"/> gives every
/// other thread the VMM list first. The default is <see cref="SeccompMode.Off"/>:
/// an embedding program decides for its own process (the <c>sharpvmm</c> CLI enforces by default).
/// </summary>
public static class SeccompPolicy
{
    private static volatile int _mode = (int)SeccompMode.Off;
    private static long _installed;

    /// <summary>The mode threads apply from now on.</summary>
    public static SeccompMode Mode => (SeccompMode)_mode;

    /// <summary>Filters installed so far, one per confined thread.</summary>
    public static long FiltersInstalled => Interlocked.Read(ref _installed);

    /// <summary>Sets the mode for threads that start from now on; threads already confined keep their filter.</summary>
    public static void Configure(SeccompMode mode)
    {
        if (mode != SeccompMode.Off)
        {
            UnconfinedThreadStarter.Prepare();
            StartRuntimeThreads();
        }

        _mode = (int)mode;
    }

    /// <summary>
    /// Confines the whole process: every thread it has now and every thread it starts later gets the
    /// <see cref="SeccompThreadKind.Vmm"/> filter (the main thread, the API server's, the .NET thread pool's), and then
    /// <see cref="Configure"/>s <paramref name="mode"/>, so that vCPU and device threads add their narrower lists on
    /// top. Call it once, before any thread has confined itself; nothing is done for <see cref="SeccompMode.Off"/>.
    /// </summary>
    /// <exception cref="SystemCallException">The kernel refused the filter (no seccomp, or no <c>SECCOMP_RET_LOG</c>).</exception>
    /// <exception cref="InvalidOperationException">A thread had already confined itself.</exception>
    public static void ConfineProcess(SeccompMode mode)
    {
        if (mode != SeccompMode.Off)
        {
            SeccompFilter.InstallOnAllThreads(SyscallAllowList.Vmm, mode);
            Interlocked.Increment(ref _installed);
        }

        Configure(mode);
    }

    /// <summary>
    /// A thread inherits the filters of the thread that creates it, and the runtime creates its timer thread, and the
    /// thread pool its gate and worker threads, on whichever thread first needs them. Needed first by a vCPU, they would
    /// carry the vCPU's list, and so would the pool's later threads, which then run API requests. So they are started
    /// here, before any vCPU runs: a timer due at once fires (on the timer thread) and its callback runs on the pool
    /// (due in 1 ms, it cost the CLI's start-up 1.3-1.8 ms more). The VMM's vCPU and device threads hand work on
    /// through timers (the timer thread asks the pool), never by queueing to the pool themselves.
    /// </summary>
    private static void StartRuntimeThreads()
    {
        using var fired = new ManualResetEventSlim();
        using (new Timer(_ => fired.Set(), null, 0, Timeout.Infinite))
        {
            fired.Wait();
        }
    }

    /// <summary>
    /// Confines the calling thread to <paramref name="kind"/>'s allow-list, unless the mode is <see cref="SeccompMode.Off"/>.
    /// </summary>
    /// <exception cref="SystemCallException">The kernel refused the filter (no seccomp, or no <c>SECCOMP_RET_LOG</c>).</exception>
    public static void ApplyToCurrentThread(SeccompThreadKind kind)
    {
        SeccompMode mode = Mode;
        if (mode == SeccompMode.Off)
        {
            return;
        }

        SeccompFilter.Install(SyscallAllowList.For(kind), mode);
        Interlocked.Increment(ref _installed);
    }
}
