namespace SharpVmm.Sys;

/// <summary>
/// The process's seccomp choice, and the call each VMM thread makes as it starts to confine itself. A filter binds the
/// thread that installs it and the threads it creates afterwards, so each kind of thread installs its own
/// (<see cref="SyscallAllowList"/>), as Firecracker's vCPU and VMM threads do. The default is <see cref="SeccompMode.Off"/>:
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
        }

        _mode = (int)mode;
    }

    /// <summary>Installs <paramref name="mode"/>'s filter on a short-lived thread of its own, to learn before a VM
    /// starts whether this kernel accepts it.</summary>
    /// <exception cref="SystemCallException">The kernel refused the filter.</exception>
    public static void Probe(SeccompMode mode)
    {
        if (mode == SeccompMode.Off)
        {
            return;
        }

        SystemCallException? refused = null;
        var probe = new Thread(() =>
        {
            try
            {
                SeccompFilter.Install(SyscallAllowList.Device, mode);
            }
            catch (SystemCallException ex)
            {
                refused = ex;
            }
        }, 256 * 1024) { Name = "seccomp probe", IsBackground = true };
        probe.Start();
        probe.Join();
        if (refused is not null)
        {
            throw refused;
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
